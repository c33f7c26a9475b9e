/*
 * The build machine's compiler of the runtime's Lua files (../luat_embed.cmake):
 *
 *   luat_luac [-n] -o OUT IN.lua
 *
 * writes IN.lua's binary chunk to OUT, as `luac -o` does. -n drops the names of local
 * variables and upvalues and keeps the line information, where `luac -s` drops both.
 * Lines cost no heap in a chunk that Lua 5.5 loads in place (they stay in the image)
 * and give the runtime's frames their lines in a traceback. A chunk without them is
 * loaded in place by Lua 5.5.1 with an empty line array that is not NULL, which
 * ldebug.c then walks past its end (docs/firmware.md). The names would cost heap.
 *
 * Built from the firmware's own Lua sources, whose internal headers it needs (Proto).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "lmem.h"
#include "lobject.h"

static void drop_names(lua_State *L, Proto *f)
{
    luaM_freearray(L, f->locvars, (size_t)f->sizelocvars);
    f->locvars = NULL;
    f->sizelocvars = 0;
    for (int i = 0; i < f->sizeupvalues; i++) {
        f->upvalues[i].name = NULL;
    }
    for (int i = 0; i < f->sizep; i++) {
        drop_names(L, f->p[i]);
    }
}

static int write_chunk(lua_State *L, const void *p, size_t size, void *file)
{
    (void)L;
    return size > 0 && fwrite(p, 1, size, file) != size;
}

static int usage(void)
{
    fprintf(stderr, "usage: luat_luac [-n] -o OUT IN.lua\n"
                    "  -n  drop local and upvalue names, keep line information\n");
    return 2;
}

int main(int argc, char **argv)
{
    int drop = 0;
    const char *out_path = NULL;
    const char *in_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0) {
            drop = 1;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out_path = argv[++i];
        } else if (argv[i][0] != '-' && in_path == NULL) {
            in_path = argv[i];
        } else {
            return usage();
        }
    }
    if (out_path == NULL || in_path == NULL) {
        return usage();
    }

    lua_State *L = luaL_newstate();
    if (L == NULL) {
        fprintf(stderr, "luat_luac: out of memory\n");
        return 1;
    }
    if (luaL_loadfile(L, in_path) != LUA_OK) {
        fprintf(stderr, "luat_luac: %s\n", lua_tostring(L, -1));
        lua_close(L);
        return 1;
    }
    if (drop) {
        drop_names(L, ((const LClosure *)lua_topointer(L, -1))->p);
    }
    FILE *out = fopen(out_path, "wb");
    if (out == NULL) {
        fprintf(stderr, "luat_luac: %s: %s\n", out_path, strerror(errno));
        lua_close(L);
        return 1;
    }
    int failed = lua_dump(L, write_chunk, out, 0) != 0;
    failed |= fclose(out) != 0;
    lua_close(L);
    if (failed) {
        fprintf(stderr, "luat_luac: cannot write %s\n", out_path);
        remove(out_path);
        return 1;
    }
    return 0;
}
