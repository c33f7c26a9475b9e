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

/* The reset reasons of ESP-IDF v5.5's esp_system.h, in its order. */
typedef enum {
    ESP_RST_UNKNOWN,
    ESP_RST_POWERON,
    ESP_RST_EXT,
    ESP_RST_SW,
    ESP_RST_PANIC,
    ESP_RST_INT_WDT,
    ESP_RST_TASK_WDT,
    ESP_RST_WDT,
    ESP_RST_DEEPSLEEP,
    ESP_RST_BROWNOUT,
    ESP_RST_SDIO,
    ESP_RST_USB,
    ESP_RST_JTAG,
    ESP_RST_EFUSE,
    ESP_RST_PWR_GLITCH,
    ESP_RST_CPU_LOCKUP,
} esp_reset_reason_t;

/* Why this process "reset": whoever starts it says so in the environment
 * variable LUASYS_RESET_REASON (the reason's name without ESP_RST_, e.g. "sw",
 * "panic"; `luasys native --serial` sets it when it restarts a process that
 * ended); absent or unknown names give ESP_RST_POWERON, a fresh start. */
esp_reset_reason_t esp_reset_reason(void);
