/* `require` support for the Lua files embedded in the image. */
#include "luat_embed.h"

#include <string.h>

#include "lauxlib.h"

static int embed_searcher(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    for (const luat_embedded_module_t *m = luat_embedded_modules; m->module != NULL; m++) {
        if (strcmp(m->module, name) != 0) {
            continue;
        }
        const char *mode = m->size > 0 && m->source[0] == LUA_SIGNATURE[0] ? LUAT_EMBED_BINARY_MODE : "t";
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
