#pragma once

#include "lua.h"

/* Opens the `rtos` module (docs/rtos-contract.md) and returns its table. */
int luaopen_rtos(lua_State *L);
