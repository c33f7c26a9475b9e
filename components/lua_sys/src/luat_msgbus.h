/*
 * The message bus: the one FreeRTOS queue between posters (tasks, ISRs, the
 * timer service task) and the Lua task, with its counters.
 *
 * Counting: a post reserves its place in `posted` before xQueueSend and gives
 * it back (moving it to `dropped`) if the queue was full. So a receiver can
 * never count a message before its poster did, `received <= posted` always
 * holds, and depth = posted - received.
 */
#pragma once

#include <stdbool.h>

#include "esp_err.h"
#include "freertos/FreeRTOS.h"
#include "lua_sys.h"
#include "luat_msg.h"

/* Creates the queue (CONFIG_LUA_SYS_QUEUE_DEPTH items). Idempotent. */
esp_err_t luat_msgbus_init(void);

/* Whether luat_msgbus_init() has succeeded. ISR-safe. */
bool luat_msgbus_ready(void);

/* Task context, never blocks. ESP_OK, ESP_ERR_NO_MEM (full, counted in
 * dropped) or ESP_ERR_INVALID_STATE (no queue yet, counted in dropped). */
esp_err_t luat_msgbus_post(const luat_msg_t *msg);

/* ISR context, same results; sets *woken as xQueueSendFromISR does. */
esp_err_t luat_msgbus_post_from_isr(const luat_msg_t *msg, BaseType_t *woken);

/* Counts a C post refused for invalid name/arguments. ISR-safe. */
void luat_msgbus_count_rejected(void);

/* Lua task only. Waits up to `ticks` for an item; false on timeout. Wake
 * items are returned too (the caller skips them) but not counted. */
bool luat_msgbus_receive(luat_msg_t *out, TickType_t ticks);

/* Puts a wake item in the queue so a receiver blocked forever returns. If the
 * queue is full the receiver is not blocked, so failing is harmless. */
void luat_msgbus_wake(void);

/* Messages posted and not yet received. */
uint32_t luat_msgbus_depth(void);

void luat_msgbus_stats(lua_sys_queue_stats_t *out);
