/*
 * luasys-footprint: what a `require` costs as the firmware loads it, for
 * bench/footprint.py.
 *
 *   luasys-footprint CODE [ARG...]
 *
 * Makes a Lua state the way the runtime does (luat_runtime.c: the counting
 * allocator, the standard libraries, `rtos`, the searcher of the embedded runtime,
 * which loads its binary chunks in place on Lua 5.5), runs the Lua chunk CODE with
 * one argument, the table of the ARGs (strings), and prints what it returns, one
 * value a line. The runtime is not started: CODE measures loading, not running.
 *
 * CODE may call load_fixed(path, chunkname), which loads the binary chunk in the file
 * at `path` as luat_embed.c loads an embedded one: from a buffer outside the Lua heap
 * (flash, on the device) that outlives the state, in place ("B") on Lua 5.5. That is
 * how a chunk that is not part of the image (LuatOS's sys.lua, compiled by the
 * build's own luac) is measured like the runtime's.
 *
 * Prints figures only; asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"
#include "luat_alloc.h"
#include "luat_embed.h"
#include "luat_lib_rtos.h"

/* The buffers load_fixed read, freed after the state is closed. */
typedef struct fixed_chunk {
    struct fixed_chunk *next;
    size_t size;
    char bytes[];
} fixed_chunk_t;

static fixed_chunk_t *s_chunks;

static int load_fixed(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    const char *chunkname = luaL_checkstring(L, 2);
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return luaL_error(L, "load_fixed: cannot open %s", path);
    }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    rewind(file);
    fixed_chunk_t *chunk = size < 0 ? NULL : malloc(sizeof *chunk + (size_t)size);
    if (chunk == NULL || fread(chunk->bytes, 1, (size_t)size, file) != (size_t)size) {
        free(chunk);
        fclose(file);
        return luaL_error(L, "load_fixed: cannot read %s", path);
    }
    fclose(file);
    chunk->size = (size_t)size;
    chunk->next = s_chunks;
    s_chunks = chunk;
    if (luaL_loadbufferx(L, chunk->bytes, chunk->size, chunkname, LUAT_EMBED_BINARY_MODE) != LUA_OK) {
        return lua_error(L);
    }
    return 1;
}

static int run(lua_State *L)
{
    int argc = (int)lua_tointeger(L, 1);
    char **argv = lua_touserdata(L, 2);
    luaL_openlibs(L);
    luaL_requiref(L, "rtos", luaopen_rtos, 1);
    lua_pop(L, 1);
    luat_embed_install_searcher(L);
    lua_register(L, "load_fixed", load_fixed);
    if (luaL_loadstring(L, argv[1]) != LUA_OK) {
        return lua_error(L);
    }
    lua_createtable(L, argc - 2, 0);
    for (int i = 2; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    lua_call(L, 1, LUA_MULTRET);
    for (int i = 3; i <= lua_gettop(L); i++) {
        puts(luaL_tolstring(L, i, NULL));
        lua_pop(L, 1);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: luasys-footprint CODE [ARG...]\n");
        return 2;
    }
    static luat_alloc_t alloc;
    luat_alloc_init(&alloc, 0);
#if LUA_VERSION_NUM >= 505
    lua_State *L = lua_newstate(luat_alloc, &alloc, luaL_makeseed(NULL));
#else
    lua_State *L = lua_newstate(luat_alloc, &alloc);
#endif
    if (L == NULL) {
        fprintf(stderr, "luasys-footprint: cannot create a Lua state\n");
        return 1;
    }
    lua_pushcfunction(L, run);
    lua_pushinteger(L, argc);
    lua_pushlightuserdata(L, argv);
    int status = lua_pcall(L, 2, 0, 0);
    if (status != LUA_OK) {
        fprintf(stderr, "luasys-footprint: %s\n", lua_tostring(L, -1));
    }
    lua_close(L);
    while (s_chunks != NULL) {
        fixed_chunk_t *next = s_chunks->next;
        free(s_chunks);
        s_chunks = next;
    }
    return status == LUA_OK ? 0 : 1;
}
