/*
 * The Lua runtime files compiled into the image (components/lua_sys/lua/),
 * generated at build time by cmake/luat_embed_gen.cmake, and the package
 * searcher that lets `require` find them.
 */
#pragma once

#include <stddef.h>

#include "lua.h"

typedef struct {
    const char *module; /* "sys", "x.y" for x/y.lua, "x" for x/init.lua */
    const char *chunkname; /* "@sys.lua": how tracebacks name the file */
    const unsigned char *source; /* Lua source, or a binary chunk (luac) */
    size_t size;
} luat_embedded_module_t;

/* How an embedded binary chunk is loaded. Lua 5.5 loads it in place ("B", a fixed
 * buffer): the functions' code and line information and the long strings stay in
 * the image instead of being copied to the heap (docs/firmware.md has the figures).
 * The chunks keep their line information (cmake/host_luac/luat_luac.c says why).
 * Lua 5.4 has no fixed buffers and copies ("b"). The image holds source or bytecode
 * (cmake/luat_embed.cmake), never both. */
#if LUA_VERSION_NUM >= 505
#define LUAT_EMBED_BINARY_MODE "B"
#else
#define LUAT_EMBED_BINARY_MODE "b"
#endif

/* Terminated by an entry whose module is NULL. */
extern const luat_embedded_module_t luat_embedded_modules[];

/* Inserts the embedded-module searcher into package.searchers right after the
 * preload searcher, ahead of the file searchers. Raises on failure. */
void luat_embed_install_searcher(lua_State *L);
