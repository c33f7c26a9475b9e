#include "luasys_linux_run.h"

#include <stdio.h>
#include <stdlib.h>

bool luasys_linux_run_requested(lua_sys_config_t *config)
{
    const char *script = getenv("LUASYS_RUN");
    if (script == NULL || script[0] == '\0') {
        return false;
    }
    const char *clock = getenv("LUASYS_RUN_CLOCK_START_MS");
    if (clock != NULL) {
        char *end;
        unsigned long ms = strtoul(clock, &end, 10);
        if (clock[0] == '\0' || *end != '\0' || ms > LUA_SYS_CLOCK_MASK) {
            fprintf(stderr, "LUASYS_RUN_CLOCK_START_MS must be an integer 0..%lu (got \"%s\")\n",
                    (unsigned long)LUA_SYS_CLOCK_MASK, clock);
            exit(2);
        }
        config->clock_start_ms = (uint32_t)ms;
    }
    config->script_path = script;
    config->exit_when_idle = true;
    return true;
}
