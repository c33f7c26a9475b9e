/*
 * rtos timers: a pool of CONFIG_LUA_SYS_TIMER_COUNT slots, each backed by a
 * FreeRTOS software timer while in use, firing MSG_TIMER items into the bus.
 *
 * Called from the Lua task only, except the FreeRTOS callback (timer service
 * task). Stopping is deterministic: each start of a slot has a sequence
 * number carried by its queue items, and luat_timer_accept() drops items of a
 * start that has since been stopped or replaced.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "luat_msg.h"

#define LUAT_TIMER_FOREVER (-1)

/* Starts (or restarts) timer `id` firing every `ms` milliseconds, `count`
 * times in all (LUAT_TIMER_FOREVER: until stopped). ESP_ERR_NO_MEM when no
 * slot is free; ESP_FAIL when FreeRTOS refused to create or start the timer. */
esp_err_t luat_timer_start(uint32_t id, uint32_t ms, int32_t count);

/* Stops timer `id`; true if it was active. Afterwards luat_timer_accept()
 * rejects every item of that start still in the queue. */
bool luat_timer_stop(uint32_t id);

/* Whether a dequeued MSG_TIMER item still counts, and frees the slot of a
 * finished timer once its last firing has been received. */
bool luat_timer_accept(const luat_msg_t *msg);

/* Timers that will still fire. */
uint32_t luat_timer_active_count(void);

/* Stops every timer and releases their FreeRTOS timers (end of a run). */
void luat_timer_stop_all(void);
