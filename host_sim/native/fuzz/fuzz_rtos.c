/*
 * libFuzzer target: the `rtos` Lua binding's argument handling
 * (components/lua_sys/src/luat_lib_rtos.c, luat_msg.c) on the native build's
 * FreeRTOS host port and Debian's Lua 5.4.
 *
 * Each input is a program: a sequence of calls to rtos.post / timer_start /
 * timer_stop / receive / meminfo / queue_stats / millis / console_reply /
 * console_read and the LuatOS-compatible micros / version / bsp / buildDate /
 * firmware / nop / autoCollectMem / setPaths / standy (every function but reboot),
 * each with 0..6 arguments decoded from the input (nil, booleans,
 * integers incl. the extremes, floats incl. NaN, infinities and -0.0, strings
 * incl. embedded NULs and long ones, a table). Every call runs under lua_pcall.
 *
 * Errors are fine; what must hold (abort() otherwise):
 *   - no crash, no UB, no leak (ASan, UBSan, LeakSanitizer);
 *   - an error is a string that names the function ("rtos.<fn>: ..."), or Lua's
 *     own "not enough memory" (the state has a 4 MiB cap);
 *   - the stack is balanced after each call;
 *   - the queue's counters reconcile: posted == received + depth <= capacity;
 *   - what receive returns for a message is a name of 1..15 bytes and at most 4
 *     arguments (rtos.post's limits);
 *   - after a setPaths that succeeds, package.path still ends with the search path
 *     of its first call (each call replaces the previous call's templates).
 * A receive timeout that would block is replaced by 0 (poll): the fuzzer must not
 * sleep. Timers are stopped and the queue drained after each input.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"
#include "lua_sys.h"
#include "luat_lib_rtos.h"
#include "luat_msgbus.h"
#include "luat_timer.h"

#define FAIL(...) \
    do { \
        fprintf(stderr, "fuzz_rtos: invariant violated: " __VA_ARGS__); \
        fputc('\n', stderr); \
        abort(); \
    } while (0)

#define HEAP_CAP (4u * 1024 * 1024)

typedef struct {
    size_t used;
} heap_t;

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    heap_t *heap = ud;
    size_t old = ptr != NULL ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        heap->used -= old;
        return NULL;
    }
    if (nsize > old && heap->used + (nsize - old) > HEAP_CAP) {
        return NULL;
    }
    void *grown = realloc(ptr, nsize);
    if (grown != NULL) {
        heap->used = heap->used - old + nsize;
    }
    return grown;
}

/* ---- input decoding ------------------------------------------------------------- */

typedef struct {
    const uint8_t *data;
    size_t len, pos;
} input_t;

static uint8_t take_byte(input_t *in)
{
    return in->pos < in->len ? in->data[in->pos++] : 0;
}

static uint64_t take_u64(input_t *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | take_byte(in);
    }
    return v;
}

static void push_arg(lua_State *L, input_t *in)
{
    static const lua_Integer ints[] = {
        0, 1, -1, 2, 15, 16, 31, 32, 33, 255, 256, INT32_MAX, (lua_Integer)INT32_MAX + 1, INT32_MIN,
        (lua_Integer)INT32_MIN - 1, UINT32_MAX, (lua_Integer)1 << 29, LUA_MAXINTEGER, LUA_MININTEGER, 64, 65,
    };
    static const double floats[] = {
        0.0, -0.0, 0.5, 1.0, -1.0, 1.5, 2147483647.0, 2147483648.0, -2147483649.0, 9223372036854775807.0,
        -9223372036854775808.0, 1e308, -1e308, 5e-324, NAN, -NAN, INFINITY, -INFINITY, 3.0,
    };
    uint8_t kind = take_byte(in);
    switch (kind % 9) {
    case 0:
        lua_pushnil(L);
        break;
    case 1:
        lua_pushboolean(L, kind & 0x10);
        break;
    case 2:
        lua_pushinteger(L, ints[take_byte(in) % (sizeof ints / sizeof *ints)]);
        break;
    case 3:
        lua_pushinteger(L, (lua_Integer)take_u64(in));
        break;
    case 4:
        lua_pushnumber(L, floats[take_byte(in) % (sizeof floats / sizeof *floats)]);
        break;
    case 5: {
        uint64_t bits = take_u64(in);
        double d;
        memcpy(&d, &bits, sizeof d);
        lua_pushnumber(L, d);
        break;
    }
    case 6: { /* a string of input bytes, NULs included */
        size_t n = take_byte(in) % 48;
        size_t left = in->len - in->pos;
        n = n < left ? n : left;
        lua_pushlstring(L, (const char *)in->data + in->pos, n);
        in->pos += n;
        break;
    }
    case 7: { /* a long string */
        size_t n = (size_t)take_byte(in) * 64 + 1;
        char *s = malloc(n);
        if (s == NULL) {
            abort();
        }
        memset(s, 'a' + kind % 26, n);
        s[n / 2] = '\0';
        lua_pushlstring(L, s, n);
        free(s);
        break;
    }
    default:
        lua_createtable(L, 0, 0);
        break;
    }
}

/* ---- the calls ------------------------------------------------------------------- */

/* The first 12 as the seeds in tests/fuzz/corpus/rtos were written for. */
static const char *const FUNCTIONS[] = {
    "post", "timer_start", "timer_stop", "receive", "meminfo", "queue_stats", "millis", "console_reply",
    "console_read", "post", "post", "timer_start", "micros", "version", "bsp", "buildDate", "firmware", "nop",
    "autoCollectMem", "setPaths", "standy",
};
#define FUNCTION_COUNT (sizeof FUNCTIONS / sizeof *FUNCTIONS)

static void check_queue(void)
{
    lua_sys_queue_stats_t st;
    luat_msgbus_stats(&st);
    if (st.depth > st.capacity || st.received > st.posted) {
        FAIL("queue counters: depth %u capacity %u posted %llu received %llu", (unsigned)st.depth,
             (unsigned)st.capacity, (unsigned long long)st.posted, (unsigned long long)st.received);
    }
}

/* rtos.receive must never block here: a valid timeout becomes 0 (poll). */
static void make_receive_poll(lua_State *L, int base)
{
    if (lua_gettop(L) <= base || lua_type(L, base + 1) != LUA_TNUMBER) {
        return;
    }
    int ok;
    lua_Integer t = lua_tointegerx(L, base + 1, &ok);
    if (ok && t >= -1 && t <= INT32_MAX) {
        lua_pushinteger(L, 0);
        lua_replace(L, base + 1);
    }
}

static void check_received(lua_State *L, int base, int results)
{
    if (results == 0 || lua_type(L, base + 1) != LUA_TSTRING) {
        return; /* nothing, nil + reason, or a timer (MSG_TIMER is an integer) */
    }
    size_t n;
    const char *name = lua_tolstring(L, base + 1, &n);
    if (n < 1 || n > LUA_SYS_NAME_MAX || memchr(name, '\0', n) != NULL) {
        FAIL("receive returned a name of %zu bytes", n);
    }
    if (results - 1 > LUA_SYS_ARGS_MAX) {
        FAIL("receive returned %d arguments", results - 1);
    }
}

static void check_search_path(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LUAT_SEARCH_BASE_KEY);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    size_t base_len, path_len;
    const char *base = lua_tolstring(L, -3, &base_len);
    const char *path = lua_tolstring(L, -1, &path_len);
    if (base == NULL || path == NULL || path_len < base_len ||
        memcmp(path + path_len - base_len, base, base_len) != 0) {
        FAIL("after setPaths, package.path %s does not end with the search path %s", path ? path : "(none)",
             base ? base : "(none)");
    }
    lua_pop(L, 3);
}

static void call(lua_State *L, input_t *in)
{
    uint8_t op = take_byte(in);
    const char *fn = FUNCTIONS[op % FUNCTION_COUNT];
    int argc = (op / FUNCTION_COUNT) % 7;
    int base = lua_gettop(L);
    lua_getglobal(L, "rtos");
    lua_getfield(L, -1, fn);
    lua_remove(L, -2);
    for (int i = 0; i < argc; i++) {
        push_arg(L, in);
    }
    if (strcmp(fn, "receive") == 0) {
        make_receive_poll(L, base + 1);
    }
    int status = lua_pcall(L, argc, LUA_MULTRET, 0);
    if (status != LUA_OK) {
        size_t n;
        const char *msg = lua_tolstring(L, -1, &n);
        char prefix[32];
        snprintf(prefix, sizeof prefix, "rtos.%s", fn);
        bool named = msg != NULL && strncmp(msg, prefix, strlen(prefix)) == 0;
        bool memory = msg != NULL && strcmp(msg, "not enough memory") == 0;
        if (!named && !memory) {
            FAIL("rtos.%s raised an error that does not name it: %s", fn, msg ? msg : "(not a string)");
        }
    } else if (strcmp(fn, "receive") == 0) {
        check_received(L, base, lua_gettop(L) - base);
    } else if (strcmp(fn, "setPaths") == 0) {
        check_search_path(L);
    }
    lua_settop(L, base);
    check_queue();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (lua_sys_init() != ESP_OK) {
        FAIL("lua_sys_init");
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    heap_t heap = { 0 };
    lua_State *L = lua_newstate(capped_alloc, &heap);
    if (L == NULL) {
        return 0;
    }
    luaL_requiref(L, LUA_LOADLIBNAME, luaopen_package, 1); /* for rtos.setPaths */
    luaL_requiref(L, "rtos", luaopen_rtos, 1);
    lua_pop(L, 2);
    input_t in = { .data = data, .len = size, .pos = 0 };
    for (int calls = 0; in.pos < in.len && calls < 64; calls++) {
        call(L, &in);
        if (lua_gettop(L) != 0) {
            FAIL("the stack holds %d values after a call", lua_gettop(L));
        }
    }
    lua_close(L);
    if (heap.used != 0) {
        FAIL("%zu bytes of the Lua heap not freed by lua_close", heap.used);
    }
    /* Back to a clean slate: no timers, an empty queue. */
    luat_timer_stop_all();
    luat_msg_t msg;
    while (luat_msgbus_receive(&msg, 0)) {
        if (msg.kind == LUAT_MSG_TIMER) {
            (void)luat_timer_accept(&msg);
        }
    }
    lua_sys_queue_stats_t st;
    luat_msgbus_stats(&st);
    if (st.posted != st.received + st.depth) {
        FAIL("posted %llu != received %llu + depth %u", (unsigned long long)st.posted,
             (unsigned long long)st.received, (unsigned)st.depth);
    }
    return 0;
}
