/* The application logic shared by the firmware (main.c) and the native host
 * build (host_sim/native): run one script on the Lua runtime and report how
 * it ended. Nothing here is chip-specific. */
#pragma once

#include "lua_sys.h"

/* Starts the runtime with `config`, waits for the script to end and logs the
 * outcome (a script error has already been logged with its traceback). */
lua_sys_exit_t luasys_app_run(const lua_sys_config_t *config);
