/* esp_system.h shim. esp_restart() runs the registered shutdown handlers, then
 * ends the process with status 3 ("the board rebooted"). A handler may replace
 * the process image instead (luasys-native --restart-on-reboot re-executes
 * itself), which is the host's closest analogue of a reset. */
#pragma once

#include "esp_err.h"

typedef void (*shutdown_handler_t)(void);

esp_err_t esp_register_shutdown_handler(shutdown_handler_t handle);
void esp_restart(void) __attribute__((noreturn));

#define LUASYS_HOST_RESTART_EXIT_STATUS 3
