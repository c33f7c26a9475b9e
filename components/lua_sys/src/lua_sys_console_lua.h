/* The console's two functions in the `rtos` table (docs/rtos-contract.md, *Console*). */
#pragma once

#include "lua.h"

/* rtos.console_read() -> tag | nil, source  |  nil */
int lua_sys_console_lua_read(lua_State *L);
/* rtos.console_reply(tag, ok, text) -> boolean */
int lua_sys_console_lua_reply(lua_State *L);
