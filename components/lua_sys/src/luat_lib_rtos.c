/*
 * The `rtos` Lua module: the seam between sys.lua and the platform, exactly
 * as docs/rtos-contract.md specifies it (names, arguments, results, errors).
 */
#include "luat_lib_rtos.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "esp_system.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "lauxlib.h"
#include "lua_sys.h"
#include "lua_sys_console_lua.h"
#include "luat_msgbus.h"
#include "luat_platform.h"
#include "luat_runtime.h"
#include "luat_ticks.h"
#include "luat_timer.h"

#define RTOS_MSG_TIMER 1
#define RTOS_INF_TIMEOUT (-1)
#define RTOS_INT_MAX INT32_MAX /* ids, periods and timeouts: 1 .. 2^31-1 */

/* ---- argument checking ------------------------------------------------ */

/* Pushes how an offending argument is shown in "(got ...)". */
static const char *describe(lua_State *L, int idx)
{
    switch (lua_type(L, idx)) {
    case LUA_TNONE:
        return "no value";
    case LUA_TNIL:
    case LUA_TBOOLEAN:
    case LUA_TNUMBER:
        return luaL_tolstring(L, idx, NULL);
    case LUA_TSTRING: {
        /* lua_pushfstring knows no precision ("%.24s" raises "invalid option"):
         * cut the string first. */
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (len <= 24) {
            return lua_pushfstring(L, "\"%s\"", s);
        }
        lua_pushlstring(L, s, 24);
        return lua_pushfstring(L, "\"%s...\"", lua_tostring(L, -1));
    }
    default:
        return luaL_typename(L, idx);
    }
}

/* Raises "rtos.<fn>: argument #<n> '<name>' <need> (got <value>)". */
static int arg_error(lua_State *L, const char *fn, int idx, const char *name, const char *need)
{
    return luaL_error(L, "rtos.%s: argument #%d '%s' %s (got %s)", fn, idx, name, need,
                      describe(L, idx));
}

/* An integral number (3 or 3.0; not "3", not 3.5). */
static int to_integer(lua_State *L, int idx, lua_Integer *out)
{
    *out = 0;
    if (lua_type(L, idx) != LUA_TNUMBER) {
        return 0;
    }
    int ok;
    *out = lua_tointegerx(L, idx, &ok);
    return ok;
}

/* An integer argument in lo..hi, raising with `need` otherwise. */
static lua_Integer check_range(lua_State *L, const char *fn, int idx, const char *name,
                               lua_Integer lo, lua_Integer hi, const char *need)
{
    lua_Integer v;
    if (!to_integer(L, idx, &v) || v < lo || v > hi) {
        arg_error(L, fn, idx, name, need);
    }
    return v;
}

static uint32_t check_timer_id(lua_State *L, const char *fn)
{
    return (uint32_t)check_range(L, fn, 1, "id", 1, RTOS_INT_MAX,
                                 "must be an integer 1..2147483647");
}

/* Values that may not fit a 32-bit lua_Integer (LUA_32BITS builds) become floats. */
static void push_int64(lua_State *L, int64_t v)
{
    if (v >= LUA_MININTEGER && v <= LUA_MAXINTEGER) {
        lua_pushinteger(L, (lua_Integer)v);
    } else {
        lua_pushnumber(L, (lua_Number)v);
    }
}

/* ---- receive ---------------------------------------------------------- */

static int push_posted(lua_State *L, const luat_msg_t *msg)
{
    luaL_checkstack(L, 1 + msg->argc, "rtos.receive");
    lua_pushstring(L, msg->name);
    for (int i = 0; i < msg->argc; i++) {
        const luat_msg_value_t *v = &msg->u.posted.arg[i];
        switch (msg->type[i]) {
        case LUA_SYS_ARG_BOOL:
            lua_pushboolean(L, v->b);
            break;
        case LUA_SYS_ARG_INT:
            push_int64(L, v->i);
            break;
        case LUA_SYS_ARG_NUMBER:
            lua_pushnumber(L, (lua_Number)v->d);
            break;
        case LUA_SYS_ARG_STRING:
            lua_pushlstring(L, &msg->u.posted.str[v->s.off], v->s.len);
            break;
        default:
            lua_pushnil(L);
            break;
        }
    }
    return 1 + msg->argc;
}

static int push_reason(lua_State *L, const char *reason)
{
    lua_pushnil(L);
    lua_pushstring(L, reason);
    return 2;
}

static int rtos_receive(lua_State *L)
{
    lua_Integer timeout = check_range(L, "receive", 1, "timeout", RTOS_INF_TIMEOUT, RTOS_INT_MAX,
                                      "must be an integer >= 0 or rtos.INF_TIMEOUT");
    bool forever = timeout == RTOS_INF_TIMEOUT;
    TickType_t budget = forever ? portMAX_DELAY : luat_ms_to_ticks((uint32_t)timeout);
    TickType_t start = xTaskGetTickCount();

    /* Loops only over items that are not messages: wake-ups and firings of
     * stopped timers, each within what is left of the timeout. */
    for (;;) {
        if (luat_runtime_stop_requested()) {
            return push_reason(L, "stop");
        }
        if (forever && luat_runtime_exit_when_idle() && luat_msgbus_depth() == 0 &&
            luat_timer_active_count() == 0) {
            return push_reason(L, "idle");
        }
        TickType_t wait = portMAX_DELAY;
        if (!forever) {
            TickType_t elapsed = xTaskGetTickCount() - start;
            wait = elapsed >= budget ? 0 : budget - elapsed;
        }
        luat_msg_t msg;
        if (!luat_msgbus_receive(&msg, wait)) {
            if (forever) {
                continue;
            }
            return 0;
        }
        switch (msg.kind) {
        case LUAT_MSG_POSTED:
            return push_posted(L, &msg);
        case LUAT_MSG_TIMER:
            if (luat_timer_accept(&msg)) {
                lua_pushinteger(L, RTOS_MSG_TIMER);
                lua_pushinteger(L, (lua_Integer)msg.u.timer.id);
                lua_pushinteger(L, (lua_Integer)msg.u.timer.remaining);
                return 3;
            }
            break;
        default:
            break; /* LUAT_MSG_WAKE: re-check the stop request */
        }
    }
}

/* ---- timers ----------------------------------------------------------- */

/* As in LuatOS: 1 when the timer runs, 0 when it cannot (ms outside 1..2^31-1, no
 * free slot, FreeRTOS refused it); LuatOS's own sys.lua tests `== 1`. Arguments of
 * the wrong type raise, as luaL_checkinteger does there. */
static int rtos_timer_start(lua_State *L)
{
    uint32_t id = check_timer_id(L, "timer_start");
    lua_Integer ms;
    if (!to_integer(L, 2, &ms)) {
        /* A whole number past lua_Integer (2^40 on a 32-bit Lua) is out of range, as it
         * is on a 64-bit Lua, not malformed. */
        lua_Number d = lua_tonumber(L, 2);
        if (lua_type(L, 2) != LUA_TNUMBER || !isfinite(d) || floor(d) != d) {
            arg_error(L, "timer_start", 2, "ms", "must be an integer");
        }
        ms = 0;
    }
    lua_Integer repeat = 0;
    if (!lua_isnoneornil(L, 3)) {
        repeat = check_range(L, "timer_start", 3, "repeat", -1, RTOS_INT_MAX,
                             "must be an integer >= -1");
    }
    /* repeat: 0 fires once, -1 forever, N fires N times in all. */
    int32_t count = repeat == 0 ? 1 : (int32_t)repeat;
    bool started = ms >= 1 && ms <= RTOS_INT_MAX &&
                   luat_timer_start(id, (uint32_t)ms, count) == ESP_OK;
    lua_pushinteger(L, started ? 1 : 0);
    return 1;
}

static int rtos_timer_stop(lua_State *L)
{
    lua_pushboolean(L, luat_timer_stop(check_timer_id(L, "timer_stop")));
    return 1;
}

/* ---- post --------------------------------------------------------------- */

static int rtos_post(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING) {
        arg_error(L, "post", 1, "name", "must be a string of 1..15 bytes, no NUL");
    }
    int argc = lua_gettop(L) - 1;
    if (argc > LUA_SYS_ARGS_MAX) {
        return luaL_error(L, "rtos.post: too many arguments (%d > %d)", argc, LUA_SYS_ARGS_MAX);
    }
    lua_sys_arg_t args[LUA_SYS_ARGS_MAX];
    for (int i = 0; i < argc; i++) {
        int idx = i + 2;
        switch (lua_type(L, idx)) {
        case LUA_TNIL:
            args[i] = LUA_SYS_NIL();
            break;
        case LUA_TBOOLEAN:
            args[i] = LUA_SYS_BOOL(lua_toboolean(L, idx));
            break;
        case LUA_TNUMBER:
            args[i] = lua_isinteger(L, idx) ? LUA_SYS_INT(lua_tointeger(L, idx))
                                            : LUA_SYS_NUMBER(lua_tonumber(L, idx));
            break;
        case LUA_TSTRING: {
            size_t len;
            const char *s = lua_tolstring(L, idx, &len);
            args[i] = LUA_SYS_BYTES(s, len);
            break;
        }
        default:
            return arg_error(L, "post", idx, "arg", "must be nil, boolean, number or string");
        }
    }
    size_t name_len;
    const char *name = lua_tolstring(L, 1, &name_len);
    luat_msg_t msg;
    size_t detail = 0;
    switch (luat_msg_encode(&msg, name, name_len, args, (size_t)argc, &detail)) {
    case LUAT_MSG_OK:
        break;
    case LUAT_MSG_STRINGS_TOO_LONG:
        return luaL_error(L, "rtos.post: string arguments total %d bytes (> %d)", (int)detail,
                          LUA_SYS_STRING_BYTES_MAX);
    default: /* LUAT_MSG_BAD_NAME; the argument checks above exclude the rest */
        return arg_error(L, "post", 1, "name", "must be a string of 1..15 bytes, no NUL");
    }
    if (luat_msgbus_post(&msg) != ESP_OK) {
        lua_pushboolean(L, 0);
        lua_pushliteral(L, "queue full");
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* ---- introspection and system ------------------------------------------ */

static void set_int_field(lua_State *L, const char *key, int64_t v)
{
    push_int64(L, v);
    lua_setfield(L, -2, key);
}

static int rtos_queue_stats(lua_State *L)
{
    lua_sys_queue_stats_t st;
    luat_msgbus_stats(&st);
    lua_createtable(L, 0, 6);
    set_int_field(L, "capacity", st.capacity);
    set_int_field(L, "depth", st.depth);
    set_int_field(L, "high_water", st.high_water);
    set_int_field(L, "posted", (int64_t)st.posted);
    set_int_field(L, "received", (int64_t)st.received);
    set_int_field(L, "dropped", (int64_t)st.dropped);
    return 1;
}

/* Both clocks wrap at 2^31 so that they are Lua integers also with LUA_32BITS; sys.lua
 * compares times modulo 2^31. */
static int rtos_millis(lua_State *L)
{
    uint64_t ms = (uint64_t)(luat_runtime_elapsed_us() / 1000) + luat_runtime_clock_start_ms();
    lua_pushinteger(L, (lua_Integer)(ms & LUA_SYS_CLOCK_MASK));
    return 1;
}

static int rtos_micros(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)((uint64_t)luat_runtime_elapsed_us() & LUA_SYS_CLOCK_MASK));
    return 1;
}

static int push_mem(lua_State *L, luat_platform_mem_t m)
{
    push_int64(L, (int64_t)m.total);
    push_int64(L, (int64_t)m.used);
    push_int64(L, (int64_t)m.max_used);
    return 3;
}

/* The Lua heap: its cap, or when uncapped what it holds plus what it could still get. */
static luat_platform_mem_t lua_heap(void)
{
    const luat_alloc_t *a = luat_runtime_alloc();
    uint64_t total = a->cap != 0 ? a->cap : a->used + luat_platform_free_bytes();
    return (luat_platform_mem_t){ .total = total, .used = a->used, .max_used = a->max_used };
}

/* Whether the Lua string `s` (`len` bytes, NULs included) is `name`. */
static bool string_is(const char *s, size_t len, const char *name)
{
    return len == strlen(name) && memcmp(s, name, len) == 0;
}

static int rtos_meminfo(lua_State *L)
{
    size_t len = 0;
    const char *kind = "";
    if (lua_isnoneornil(L, 1)) {
        kind = "lua";
        len = 3;
    } else if (lua_type(L, 1) == LUA_TSTRING) {
        kind = lua_tolstring(L, 1, &len);
    }
    if (string_is(kind, len, "lua")) {
        return push_mem(L, lua_heap());
    }
    if (string_is(kind, len, "sys")) {
        return push_mem(L, luat_platform_sys_heap());
    }
    if (string_is(kind, len, "psram")) {
        return push_mem(L, luat_platform_psram());
    }
    return arg_error(L, "meminfo", 1, "kind", "must be \"lua\", \"sys\" or \"psram\"");
}

/* rtos.console_reply(tag, ok, text): the arguments are checked here, as every rtos
 * function's are; the console sends the reply. */
static int rtos_console_reply(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING) {
        return arg_error(L, "console_reply", 1, "tag", "must be a string");
    }
    if (lua_type(L, 3) != LUA_TSTRING) {
        return arg_error(L, "console_reply", 3, "text", "must be a string");
    }
    return lua_sys_console_lua_reply(L);
}

/* rtos.version(true) adds, as LuatOS does, the firmware's type number (0: LuaSys
 * has none) and how many bits Lua's integers have. */
static int rtos_version(lua_State *L)
{
    lua_pushliteral(L, LUA_SYS_VERSION);
    if (lua_type(L, 1) != LUA_TBOOLEAN || !lua_toboolean(L, 1)) {
        return 1;
    }
    lua_pushinteger(L, 0);
    lua_pushinteger(L, (lua_Integer)(sizeof(lua_Integer) * 8));
    return 3;
}

static int rtos_bsp(lua_State *L)
{
    lua_pushstring(L, luat_platform_bsp());
    return 1;
}

static int rtos_build_date(lua_State *L)
{
    lua_pushstring(L, luat_platform_build_date());
    return 1;
}

/* LuatOS's shape, "<product>_<version>_<bsp>": "LuaSys-0.1.0_ESP32C3". */
static int rtos_firmware(lua_State *L)
{
    lua_pushfstring(L, "%s_%s", LUA_SYS_VERSION, luat_platform_bsp());
    return 1;
}

static int rtos_nop(lua_State *L)
{
    (void)L;
    return 0;
}

/* LuatOS's idle-time collection thresholds, checked and accepted. LuaSys leaves
 * collecting to Lua, whose allocator runs a full emergency collection before any
 * allocation fails (docs/rtos-contract.md). */
static int rtos_auto_collect_mem(lua_State *L)
{
    if (!lua_isnoneornil(L, 1)) {
        check_range(L, "autoCollectMem", 1, "period", 0, 60000, "must be an integer 0..60000");
    }
    lua_Integer warning = 80, force = 90;
    if (!lua_isnoneornil(L, 2)) {
        warning = check_range(L, "autoCollectMem", 2, "warning_level", 50, 95,
                              "must be an integer 50..95");
    }
    if (!lua_isnoneornil(L, 3)) {
        force = check_range(L, "autoCollectMem", 3, "force_level", 50, 95,
                            "must be an integer 50..95");
    }
    if (force <= warning) {
        return luaL_error(L, "rtos.autoCollectMem: argument #3 'force_level' must be above "
                             "warning_level (got %d)", (int)force);
    }
    return 0;
}

/* ---- setPaths ------------------------------------------------------------ */

#define PATH_NEED "must be a path template with exactly one %s and no ';' or '?'"

/* Adds LuatOS's template `t` ("/sd/%s.lua", "%%" a literal %) to the buffer as a
 * package.path entry ("/sd/?.lua;"); false if it is not a valid template. */
static bool add_template(luaL_Buffer *b, const char *t, size_t len)
{
    int holes = 0;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (c == ';' || c == '?' || c == '\0') {
            return false;
        }
        if (c == '%') {
            c = ++i < len ? t[i] : '\0';
            if (c == 's') {
                holes++;
                c = '?';
            } else if (c != '%') {
                return false;
            }
        }
        luaL_addchar(b, c);
    }
    luaL_addchar(b, ';');
    return holes == 1;
}

/* The templates (nil ones skipped) go before the script search path that was in
 * effect at the first call; each call replaces the previous call's templates.
 * The embedded runtime is found first regardless (luat_embed.c). */
static int rtos_set_paths(lua_State *L)
{
    int n = lua_gettop(L);
    if (lua_getglobal(L, "package") != LUA_TTABLE) {
        return luaL_error(L, "rtos.setPaths: the package library is not loaded");
    }
    int package = lua_gettop(L);
    if (lua_getfield(L, LUA_REGISTRYINDEX, LUAT_SEARCH_BASE_KEY) != LUA_TSTRING) {
        lua_pop(L, 1);
        lua_getfield(L, package, "path");
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, LUAT_SEARCH_BASE_KEY);
    }
    int base = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (lua_isnil(L, i)) {
            continue;
        }
        size_t len;
        const char *t = lua_type(L, i) == LUA_TSTRING ? lua_tolstring(L, i, &len) : NULL;
        if (t == NULL || !add_template(&b, t, len)) {
            return arg_error(L, "setPaths", i, "path", PATH_NEED);
        }
    }
    lua_pushvalue(L, base);
    luaL_addvalue(&b);
    luaL_pushresult(&b);
    lua_setfield(L, package, "path");
    return 0;
}

static int rtos_standy(lua_State *L)
{
    return luaL_error(L, "rtos.standy: not supported: LuaSys does not put the chip to sleep "
                         "from Lua (LuatOS deprecates rtos.standy too); use ESP-IDF's sleep "
                         "functions from C");
}

static int rtos_reboot(lua_State *L)
{
    (void)L; /* LuatOS's optional reason code has no meaning for esp_restart() */
    esp_restart();
}

int luaopen_rtos(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        { "receive", rtos_receive },
        { "timer_start", rtos_timer_start },
        { "timer_stop", rtos_timer_stop },
        { "post", rtos_post },
        { "queue_stats", rtos_queue_stats },
        { "millis", rtos_millis },
        { "micros", rtos_micros },
        { "meminfo", rtos_meminfo },
        { "version", rtos_version },
        { "reboot", rtos_reboot },
        { "bsp", rtos_bsp },
        { "buildDate", rtos_build_date },
        { "firmware", rtos_firmware },
        { "nop", rtos_nop },
        { "autoCollectMem", rtos_auto_collect_mem },
        { "setPaths", rtos_set_paths },
        { "standy", rtos_standy },
        { "console_read", lua_sys_console_lua_read },
        { "console_reply", rtos_console_reply },
        { NULL, NULL },
    };
    luaL_newlib(L, funcs);
    static const struct {
        const char *name;
        lua_Integer value;
    } constants[] = {
        { "MSG_TIMER", RTOS_MSG_TIMER },
        { "INF_TIMEOUT", RTOS_INF_TIMEOUT },
        { "TIMER_MAX", CONFIG_LUA_SYS_TIMER_COUNT },
        { "QUEUE_CAPACITY", CONFIG_LUA_SYS_QUEUE_DEPTH },
        { "NAME_MAX", LUA_SYS_NAME_MAX },
        { "ARGS_MAX", LUA_SYS_ARGS_MAX },
        { "STRING_BYTES_MAX", LUA_SYS_STRING_BYTES_MAX },
    };
    for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
        lua_pushinteger(L, constants[i].value);
        lua_setfield(L, -2, constants[i].name);
    }
    return 1;
}
