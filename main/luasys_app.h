/* The application logic shared by the firmware (main.c) and the native host
 * build (host_sim/native): run one script on the Lua runtime and report how
 * it ended. Nothing here is chip-specific. */
#pragma once

#include "lua_sys.h"

/* Starts the runtime with `config`, waits for the script to end and logs the
 * outcome (a script error has already been logged with its traceback). */
lua_sys_exit_t luasys_app_run(const lua_sys_config_t *config);

/* The boot script's run at boot, under safe mode (luasys_safe_mode.h): not
 * run (LUA_SYS_EXIT_ERROR) after too many failed starts in a row. */
lua_sys_exit_t luasys_app_boot(const lua_sys_config_t *config);

/* With a console: runs the boot script under safe mode (config->script_path), then whatever the
 * console's run/restart ask for, until the console's input ends. Call
 * lua_sys_console_start() first. */
void luasys_app_serve(lua_sys_config_t *config);
