/* `require` support for the Lua files embedded in the image. */
#include "luat_embed.h"

#include <string.h>

#include "lauxlib.h"

/* How an embedded binary chunk is loaded. Lua 5.5 loads it in place ("B", a fixed
 * buffer): the functions' code and line information and the long strings stay in
 * the image instead of being copied to the heap (docs/firmware.md has the figures).
 * The chunks keep their line information (cmake/host_luac/luat_luac.c says why).
 * Lua 5.4 has no fixed buffers and copies ("b"). The image holds source or bytecode
 * (cmake/luat_embed.cmake), never both. */
#if LUA_VERSION_NUM >= 505
#define BINARY_MODE "B"
#else
#define BINARY_MODE "b"
#endif

static int embed_searcher(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    for (const luat_embedded_module_t *m = luat_embedded_modules; m->module != NULL; m++) {
        if (strcmp(m->module, name) != 0) {
            continue;
        }
        const char *mode = m->size > 0 && m->source[0] == LUA_SIGNATURE[0] ? BINARY_MODE : "t";
        if (luaL_loadbufferx(L, (const char *)m->source, m->size, m->chunkname, mode) != LUA_OK) {
            return luaL_error(L, "error loading embedded module '%s':\n\t%s", name,
                              lua_tostring(L, -1));
        }
        lua_pushstring(L, m->chunkname + 1); /* second loader argument, like a file path */
        return 2;
    }
    lua_pushfstring(L, "no embedded module '%s'", name);
    return 1;
}

void luat_embed_install_searcher(lua_State *L)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchers");
    luaL_checktype(L, -1, LUA_TTABLE);
    /* Shift searchers 2..n up by one to make room at index 2. */
    for (lua_Integer i = (lua_Integer)luaL_len(L, -1); i >= 2; i--) {
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushcfunction(L, embed_searcher);
    lua_rawseti(L, -2, 2);
    lua_pop(L, 2);
}
