/*
 * The device console (docs/console-protocol.md): REPL lines and framed tool
 * requests (put/get/ls/rm/mkdir/df/run/restart/reset/eval/describe) on one byte stream, the
 * console UART or USB-Serial-JTAG on chips, stdin/stdout on hosts.
 *
 * File commands run on the console's own task; REPL lines and Lua requests
 * are handed to the running event loop through a one-request slot plus a
 * short SYS_CONSOLE message (rtos.console_read, docs/rtos-contract.md), so
 * long text never travels through the 32-byte message queue.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"
#include "lua_sys.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The byte stream the console serves. Writes are raw: no line-end translation. */
typedef struct {
    /** Reads up to `len` bytes, waiting at most `timeout_ms` (-1: no limit).
     *  Returns the count, 0 on timeout, -1 when the input has ended for good. */
    int (*read)(void *ctx, uint8_t *buf, size_t len, int timeout_ms);
    /** Writes all `len` bytes. */
    void (*write)(void *ctx, const uint8_t *buf, size_t len);
    void *ctx;
} lua_sys_console_io_t;

/** Longest protocol path (bytes), relative to fs_root. */
#define LUA_SYS_CONSOLE_PATH_MAX 64
/** Longest full path the console builds (bytes, with its NUL): fs_root, '/', a path, ".part". */
#define LUA_SYS_CONSOLE_FULL_PATH_MAX 256
/** Longest fs_root lua_sys_console_start takes (bytes), so that no full path is ever cut. */
#define LUA_SYS_CONSOLE_FS_ROOT_MAX (LUA_SYS_CONSOLE_FULL_PATH_MAX - 1 - 1 - LUA_SYS_CONSOLE_PATH_MAX - 5)

typedef struct {
    lua_sys_console_io_t io;
    const char *fs_root;     /*!< directory the file commands work in, e.g. "/lua";
                                  at most LUA_SYS_CONSOLE_FS_ROOT_MAX bytes */
    const char *boot_script; /*!< what `restart` runs, e.g. "/lua/main.lua" */
    uint32_t task_stack_size;
    unsigned task_priority;
    /** Optional safe mode hooks (the app's, docs/console-protocol.md): `safe-status`
     *  reports, `safe-clear` and a `put` of the boot script clear. NULL: those
     *  verbs answer `unknown-command`. Called on the console task. */
    void (*safe_mode_status)(unsigned *failed, unsigned *limit, bool *active);
    void (*safe_mode_clear)(void);
    /** Optional: the script filesystem's size and use in bytes, for `df`.
     *  NULL: `df` answers `unknown-command`. */
    esp_err_t (*fs_usage)(size_t *total, size_t *used);
} lua_sys_console_config_t;

/**
 * @brief Print the boot banner and start the console task.
 *
 * @param config copied; the strings must stay valid
 * @return ESP_OK, ESP_ERR_INVALID_ARG (a NULL field, or an fs_root longer than
 *         LUA_SYS_CONSOLE_FS_ROOT_MAX), ESP_ERR_INVALID_STATE (already
 *         started) or ESP_ERR_NO_MEM.
 */
esp_err_t lua_sys_console_start(const lua_sys_console_config_t *config);

/** The run the console asks for (lua_sys_console_next_run). */
typedef struct {
    char script_path[LUA_SYS_CONSOLE_FULL_PATH_MAX];
    /** `run <path> idle`: start it with lua_sys_config_t.exit_when_idle set. */
    bool exit_when_idle;
} lua_sys_console_run_t;

/**
 * @brief Wait, between two runs of the Lua runtime, for the console to ask for
 *        the next one (`run` or `restart`).
 *
 * @param ended how the run that just ended ended (a `run <path> idle` gets
 *        it as its second reply)
 * @param[out] next the run to start next
 * @return true with `next` set; false when the console's input has ended.
 */
bool lua_sys_console_next_run(lua_sys_exit_t ended, lua_sys_console_run_t *next);

/**
 * @brief Whether the console's input has ended for good (a host's stdin closed).
 *
 * The console then stops the running Lua runtime; one started after that moment
 * must be stopped by whoever started it: call this after lua_sys_start().
 */
bool lua_sys_console_input_closed(void);

/** @brief The console on a POSIX host's stdin/stdout (native build, ESP-IDF linux target). */
lua_sys_console_io_t lua_sys_console_stdio(void);

/**
 * @brief The console on the chip's console port (UART or USB-Serial-JTAG, as
 *        chosen in menuconfig): installs its driver and routes stdio through it.
 *        ESP_ERR_NOT_SUPPORTED when the console is USB CDC or none.
 */
esp_err_t lua_sys_console_port(lua_sys_console_io_t *io);

#ifdef __cplusplus
}
#endif
