/*
 * One run of the Lua runtime, in the calling task: state, libraries, rtos,
 * embedded searcher, package.path, `require "boot"`, then the script.
 * There is one runtime at a time; its state is read by the rtos binding.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lua_sys.h"
#include "luat_alloc.h"

/* Runs the script to completion; logs the traceback of an uncaught error. */
lua_sys_exit_t luat_runtime_run(const lua_sys_config_t *config);

/* Forgets a stop request; called before a run starts. */
void luat_runtime_clear_stop(void);

/* Makes the running script's rtos.receive() return nil,"stop". Any task. */
void luat_runtime_request_stop(void);
bool luat_runtime_stop_requested(void);

/* The console's Ctrl-C: the console chunk running (a task marked in the
 * registry table LUAT_CONSOLE_TASKS) gets the error "interrupted" at the hook's
 * next firing in it; other code is never interrupted. Chunks that wait are
 * console.lua's to cancel. Any task. */
#define LUAT_CONSOLE_TASKS "luasys.console_tasks"
/* The registry's function(thread) that puts the runtime's stop/interrupt hook
 * back on a thread, for sys.setWatchdog(nil), which replaced it (the hook is a
 * C one, which debug.sethook cannot set). */
#define LUAT_STOP_HOOK "luasys.stop_hook"
void luat_runtime_request_interrupt(void);
void luat_runtime_clear_interrupt(void);

bool luat_runtime_exit_when_idle(void);

/* Microseconds since the current run started. */
/** rtos.millis()'s value at start (lua_sys_config_t.clock_start_ms). */
uint32_t luat_runtime_clock_start_ms(void);

int64_t luat_runtime_elapsed_us(void);

/* Microseconds since the device booted: across runs (rtos.millis() starts
 * again with each), until the next reset. */
int64_t luat_runtime_uptime_us(void);

const luat_alloc_t *luat_runtime_alloc(void);
