/* ESP-IDF's linux target: a script run once, for test hosts. The program's main()
 * belongs to FreeRTOS's POSIX port, so the application has no command line; the
 * environment asks instead (the linux target's counterpart of luasys-native's
 * SCRIPT, --exit-when-idle and --clock-start-ms):
 *
 *   LUASYS_RUN=SCRIPT              run SCRIPT once, without the console; sys.run()
 *                                  returns when nothing can happen any more
 *   LUASYS_RUN_CLOCK_START_MS=MS   rtos.millis() starts at MS
 */
#pragma once

#include <stdbool.h>

#include "lua_sys.h"

/* true when LUASYS_RUN is set, with `config` set up for that run; false (config
 * untouched) otherwise. A bad LUASYS_RUN_CLOCK_START_MS is reported and ends the
 * program with status 2, as a bad option does luasys-native. */
bool luasys_linux_run_requested(lua_sys_config_t *config);
