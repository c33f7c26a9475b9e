/* Stops the build when this component would see Lua numbers other than the Lua
 * library's. The build states how the library was compiled in
 * LUA_SYS_LUA_LIBRARY_32BITS (ESP-IDF: read from espressif/lua's own compile
 * definitions, components/lua_sys/CMakeLists.txt; native build: from the Lua it
 * links); lua.h here must then give 32-bit integers and floats exactly when the
 * library has them. Otherwise the first script fails at run time with "core and
 * library have incompatible numeric types". */
#include "lua.h"

#ifndef LUA_SYS_LUA_LIBRARY_32BITS
#error "LUA_SYS_LUA_LIBRARY_32BITS is not set: the build must say whether the Lua library is compiled with LUA_32BITS"
#endif

#define LUA_SYS_SEES_32BITS (sizeof(lua_Integer) == 4 && sizeof(lua_Number) == 4)

#if LUA_SYS_LUA_LIBRARY_32BITS
_Static_assert(LUA_SYS_SEES_32BITS, "the Lua library is compiled with LUA_32BITS but lua_sys "
                                    "includes lua.h without it: define LUA_32BITS as the library does");
#else
_Static_assert(!LUA_SYS_SEES_32BITS, "the Lua library is compiled without LUA_32BITS but lua_sys "
                                     "includes lua.h with it: leave LUA_32BITS undefined as the library does");
#endif
