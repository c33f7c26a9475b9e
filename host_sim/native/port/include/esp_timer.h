/* esp_timer.h shim: microseconds since the port started (CLOCK_MONOTONIC),
 * like esp_timer_get_time() counts from boot. */
#pragma once

#include <stdint.h>

int64_t esp_timer_get_time(void);
