#pragma once

#include "lua.h"

/* Opens the `rtos` module (docs/rtos-contract.md) and returns its table. */
int luaopen_rtos(lua_State *L);

/* The registry field where rtos.setPaths keeps the script search path of its first
 * call, before which every later call's templates go. */
#define LUAT_SEARCH_BASE_KEY "luasys.search_base"
