/*
 * FreeRTOS.h for the LuaSys host port: the subset of the FreeRTOS kernel API
 * (as shipped with ESP-IDF v5.x) that components/lua_sys uses, on pthreads.
 *
 * Names, types and return values follow the real kernel so the component
 * compiles unchanged; only what the component and its tests use exists here.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "FreeRTOSConfig.h"
#include "freertos/portmacro.h"

#define pdFALSE ((BaseType_t)0)
#define pdTRUE ((BaseType_t)1)
#define pdPASS pdTRUE
#define pdFAIL pdFALSE
#define errQUEUE_EMPTY ((BaseType_t)0)
#define errQUEUE_FULL ((BaseType_t)0)
#define errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY (-1)

/* Same definition as FreeRTOS 10.5: 64-bit intermediate, rounds down. */
#define pdMS_TO_TICKS(xTimeInMs) \
    ((TickType_t)(((uint64_t)(xTimeInMs) * (uint64_t)configTICK_RATE_HZ) / (uint64_t)1000U))
#define pdTICKS_TO_MS(xTicks) \
    ((TickType_t)(((uint64_t)(xTicks) * (uint64_t)1000U) / (uint64_t)configTICK_RATE_HZ))

#define configASSERT(x) \
    do { \
        if (!(x)) vPortAssertFailed(__FILE__, __LINE__, #x); \
    } while (0)

void vPortAssertFailed(const char *file, int line, const char *expr) __attribute__((noreturn));
