/*
 * stdout, shared by the console's replies, print() and ESP-IDF's log lines: each
 * writes whole pieces between luat_output_begin() and luat_output_end(), so none
 * lands inside another (a log line inside a reply would break its CRC).
 */
#pragma once

#include <stdarg.h>

#include "esp_err.h"

/* Creates what the lock needs and, under ESP-IDF, routes ESP-IDF's log lines
 * through it (esp_log_set_vprintf). Called by lua_sys_init() (which
 * lua_sys_console_start() calls too); idempotent. */
esp_err_t luat_output_init(void);

/* Takes stdout for a whole write, waiting for its current writer; recursive.
 * Every write between begin and end goes to stdout (stdio or its file descriptor). */
void luat_output_begin(void);
void luat_output_end(void);
