/* The few ESP-IDF system services LuaSys calls, implemented for the host. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esp_err.h"
#include "esp_log.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "port_internal.h"

#define SHUTDOWN_HANDLERS_MAX 5 /* same limit as ESP-IDF */

static shutdown_handler_t s_shutdown_handlers[SHUTDOWN_HANDLERS_MAX];
static esp_log_level_t s_log_level = ESP_LOG_INFO;

int64_t esp_timer_get_time(void)
{
    return port_clock_us();
}

uint32_t esp_log_timestamp(void)
{
    return (uint32_t)(port_clock_us() / 1000);
}

void esp_log_level_set(const char *tag, esp_log_level_t level)
{
    (void)tag;
    s_log_level = level;
}

void esp_log_write(esp_log_level_t level, const char *tag, const char *format, ...)
{
    (void)tag;
    if (level > s_log_level) {
        return;
    }
    /* stderr and stdout meet in one stream (a pty, a pipe), where the console writes its
     * replies under stdout's lock (lua_sys_console.c): a log line written outside that
     * lock could land inside a reply's data. On a chip, esp_log's vprintf takes it. */
    va_list ap;
    va_start(ap, format);
    flockfile(stdout);
    fflush(stdout);
    vfprintf(stderr, format, ap);
    funlockfile(stdout);
    va_end(ap);
}

const char *esp_err_to_name(esp_err_t code)
{
    switch (code) {
    case ESP_OK: return "ESP_OK";
    case ESP_FAIL: return "ESP_FAIL";
    case ESP_ERR_NO_MEM: return "ESP_ERR_NO_MEM";
    case ESP_ERR_INVALID_ARG: return "ESP_ERR_INVALID_ARG";
    case ESP_ERR_INVALID_STATE: return "ESP_ERR_INVALID_STATE";
    case ESP_ERR_INVALID_SIZE: return "ESP_ERR_INVALID_SIZE";
    case ESP_ERR_NOT_FOUND: return "ESP_ERR_NOT_FOUND";
    case ESP_ERR_NOT_SUPPORTED: return "ESP_ERR_NOT_SUPPORTED";
    case ESP_ERR_TIMEOUT: return "ESP_ERR_TIMEOUT";
    default: return "UNKNOWN ERROR";
    }
}

void _esp_error_check_failed(esp_err_t rc, const char *file, int line, const char *function,
                             const char *expression)
{
    fprintf(stderr, "ESP_ERROR_CHECK failed: esp_err_t 0x%x (%s) at %s:%d in %s: %s\n", rc,
            esp_err_to_name(rc), file, line, function, expression);
    abort();
}

esp_err_t esp_register_shutdown_handler(shutdown_handler_t handle)
{
    for (int i = 0; i < SHUTDOWN_HANDLERS_MAX; i++) {
        if (s_shutdown_handlers[i] == handle) {
            return ESP_ERR_INVALID_STATE;
        }
        if (s_shutdown_handlers[i] == NULL) {
            s_shutdown_handlers[i] = handle;
            return ESP_OK;
        }
    }
    return ESP_ERR_NO_MEM;
}

esp_reset_reason_t esp_reset_reason(void)
{
    static const char *const names[] = {
        [ESP_RST_UNKNOWN] = "unknown",     [ESP_RST_POWERON] = "poweron",   [ESP_RST_EXT] = "ext",
        [ESP_RST_SW] = "sw",               [ESP_RST_PANIC] = "panic",       [ESP_RST_INT_WDT] = "int_wdt",
        [ESP_RST_TASK_WDT] = "task_wdt",   [ESP_RST_WDT] = "wdt",           [ESP_RST_DEEPSLEEP] = "deepsleep",
        [ESP_RST_BROWNOUT] = "brownout",   [ESP_RST_SDIO] = "sdio",         [ESP_RST_USB] = "usb",
        [ESP_RST_JTAG] = "jtag",           [ESP_RST_EFUSE] = "efuse",       [ESP_RST_PWR_GLITCH] = "pwr_glitch",
        [ESP_RST_CPU_LOCKUP] = "cpu_lockup",
    };
    const char *given = getenv("LUASYS_RESET_REASON");
    for (size_t i = 0; given != NULL && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(given, names[i]) == 0) {
            return (esp_reset_reason_t)i;
        }
    }
    return ESP_RST_POWERON;
}

void esp_restart(void)
{
    for (int i = SHUTDOWN_HANDLERS_MAX - 1; i >= 0; i--) {
        if (s_shutdown_handlers[i] != NULL) {
            s_shutdown_handlers[i]();
        }
    }
    fflush(NULL);
    /* Like a reset, skip atexit handlers and the other threads' unwinding. */
    _exit(LUASYS_HOST_RESTART_EXIT_STATUS);
}
