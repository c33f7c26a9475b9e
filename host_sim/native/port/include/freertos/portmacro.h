/*
 * Port layer of the host port. Types match the 32-bit ESP chips (TickType_t is
 * 32 bits, so tick wrap-around arithmetic is exercised like on the device).
 * Critical sections take an ESP-IDF style spinlock argument; on the host a
 * spinlock is a recursive mutex (IDF spinlocks nest on the owning core too).
 * An "ISR" on the host is any thread that uses the ...FromISR API.
 */
#pragma once

#include <pthread.h>
#include <sched.h>
#include <stdint.h>

typedef long BaseType_t;
typedef unsigned long UBaseType_t;
typedef uint32_t TickType_t;
typedef uint8_t StackType_t;

#define portMAX_DELAY ((TickType_t)0xffffffffUL)
#define portTICK_PERIOD_MS ((TickType_t)1000 / configTICK_RATE_HZ)
#define portNUM_PROCESSORS 2
#define tskNO_AFFINITY ((BaseType_t)0x7fffffff)

typedef struct {
    pthread_mutex_t mutex;
} portMUX_TYPE;

#define portMUX_INITIALIZER_UNLOCKED { PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP }

void vPortEnterCritical(portMUX_TYPE *mux);
void vPortExitCritical(portMUX_TYPE *mux);
void vPortYieldFromISR(void);

#define portENTER_CRITICAL(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL(mux) vPortExitCritical(mux)
#define portENTER_CRITICAL_ISR(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL_ISR(mux) vPortExitCritical(mux)
#define portENTER_CRITICAL_SAFE(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL_SAFE(mux) vPortExitCritical(mux)
#define taskENTER_CRITICAL(mux) vPortEnterCritical(mux)
#define taskEXIT_CRITICAL(mux) vPortExitCritical(mux)

/* Same shape as ESP-IDF's linux port: takes the "higher priority task woken" flag. */
#define portYIELD_FROM_ISR(xSwitchRequired) \
    do { \
        if ((xSwitchRequired) != 0) vPortYieldFromISR(); \
    } while (0)
