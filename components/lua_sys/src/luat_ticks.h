#pragma once

#include <stdint.h>

#include "freertos/FreeRTOS.h"

/* Milliseconds to ticks, rounded up: a wait or a timer never ends early, and
 * 1 ms is at least one tick even at CONFIG_FREERTOS_HZ=100 (pdMS_TO_TICKS
 * rounds down, to 0 there). ms <= 2^31-1 fits TickType_t at up to 1 kHz. */
static inline TickType_t luat_ms_to_ticks(uint32_t ms)
{
    return (TickType_t)(((uint64_t)ms * configTICK_RATE_HZ + 999) / 1000);
}
