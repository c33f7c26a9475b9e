#include "luat_runtime.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "esp_log.h"
#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"
#include "luat_embed.h"
#include "luat_lib_rtos.h"
#include "luat_output.h"
#include "luat_timer.h"

static const char *TAG = "lua_sys";

#if CONFIG_IDF_TARGET_LINUX
/* ESP-IDF v5.5's esp_timer is headers only on the linux target
 * (components/esp_timer/CMakeLists.txt registers no sources there; the host
 * implementation came later, esp-idf#18740), so esp_timer_get_time() would
 * not link. The same monotonic microseconds from the host: */
#include <time.h>
static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The linux target's boot is its process's start (esp_restart() ends the
 * process: a reset starts a new one). */
static int64_t s_boot_us;
__attribute__((constructor)) static void note_boot(void)
{
    s_boot_us = now_us();
}

int64_t luat_runtime_uptime_us(void)
{
    return now_us() - s_boot_us;
}
#else
#include "esp_timer.h"
static int64_t now_us(void)
{
    return esp_timer_get_time();
}

int64_t luat_runtime_uptime_us(void)
{
    return esp_timer_get_time(); /* counts from boot */
}
#endif

static struct {
    lua_sys_config_t config;
    luat_alloc_t alloc;
    int64_t start_us;
    atomic_bool stop_requested;
    atomic_bool interrupt_requested;
} s_rt;

/* Message handler: the error message plus a traceback, like lua.c's. */
static int traceback_handler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
            return 1;
        }
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* lua_sys_stop() must end even a task that never yields (as the console's
 * restart and Ctrl-C need): a count hook on the main thread, which every
 * coroutine inherits (a C hook, unlike debug.sethook's Lua ones, needs no
 * per-thread registration). sys.setWatchdog replaces it on the threads it
 * watches with its own, which aborts busy tasks by itself. */
#define STOP_CHECK_EVERY 10000 /* VM instructions */

/* An interrupt request is taken by the first firing in a console chunk (other
 * code running meanwhile leaves it for the chunk); the next console request
 * clears one that found no chunk running. */
static bool console_task_running(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LUAT_CONSOLE_TASKS);
    bool marked = false;
    if (lua_istable(L, -1)) {
        lua_pushthread(L);
        lua_rawget(L, -2);
        marked = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return marked;
}

static void stop_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (atomic_load(&s_rt.stop_requested)) {
        luaL_error(L, "stopped by the host");
    }
    if (atomic_load(&s_rt.interrupt_requested) && console_task_running(L) &&
        atomic_exchange(&s_rt.interrupt_requested, false)) {
        luaL_error(L, "interrupted");
    }
}

static int restore_stop_hook(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTHREAD);
    lua_sethook(lua_tothread(L, 1), stop_hook, LUA_MASKCOUNT, STOP_CHECK_EVERY);
    return 0;
}

static int panic_handler(lua_State *L)
{
    ESP_LOGE(TAG, "unprotected Lua error: %s", lua_tostring(L, -1));
    return 0; /* Lua aborts */
}

/* print() as Lua's, but the whole line is written under stdout's lock
 * (luat_output.h): the console writes a reply and its data under that lock, so
 * a line printed meanwhile waits instead of landing inside the reply. Lua's
 * own print() writes each piece separately. The arguments are converted first:
 * a __tostring error must not leave the lock held. */
static int locked_print(lua_State *L)
{
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        luaL_tolstring(L, i, NULL);
    }
    luat_output_begin();
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = lua_tolstring(L, n + i, &len);
        if (i > 1) {
            fputc('\t', stdout);
        }
        fwrite(s, 1, len, stdout);
    }
    fputc('\n', stdout);
    fflush(stdout);
    luat_output_end();
    return 0;
}

/* package.path = "<dir>/?.lua;<dir>/?/init.lua;" .. package.path */
static void prepend_script_dir(lua_State *L, const char *script_path)
{
    const char *slash = strrchr(script_path, '/');
    lua_getglobal(L, "package");
    if (slash == NULL) {
        lua_pushliteral(L, ".");
    } else {
        lua_pushlstring(L, script_path, (size_t)(slash - script_path));
    }
    const char *dir = lua_tostring(L, -1);
    lua_getfield(L, -2, "path");
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", dir, dir, lua_tostring(L, -1));
    lua_setfield(L, -4, "path");
    lua_pop(L, 3);
}

/* Everything after lua_newstate, in protected mode. */
static int runtime_main(lua_State *L)
{
    const char *script_path = lua_touserdata(L, 1);
    luaL_openlibs(L);
    lua_register(L, "print", locked_print);
    lua_pushcfunction(L, restore_stop_hook);
    lua_setfield(L, LUA_REGISTRYINDEX, LUAT_STOP_HOOK);
    luaL_requiref(L, "rtos", luaopen_rtos, 1);
    lua_pop(L, 1);
    if (s_rt.config.open_libs != NULL) {
        s_rt.config.open_libs(L);
    }
    luat_embed_install_searcher(L);
    prepend_script_dir(L, script_path);

    lua_getglobal(L, "require");
    lua_pushliteral(L, "boot");
    lua_call(L, 1, 0);

    if (luaL_loadfilex(L, script_path, NULL) != LUA_OK) {
        return lua_error(L);
    }
    lua_call(L, 0, 0);
    return 0;
}

lua_sys_exit_t luat_runtime_run(const lua_sys_config_t *config)
{
    s_rt.config = *config;
    luat_alloc_init(&s_rt.alloc, config->heap_cap);
    s_rt.start_us = now_us();

#if LUA_VERSION_NUM >= 505
    lua_State *L = lua_newstate(luat_alloc, &s_rt.alloc, luaL_makeseed(NULL));
#else
    lua_State *L = lua_newstate(luat_alloc, &s_rt.alloc);
#endif
    if (L == NULL) {
        ESP_LOGE(TAG, "cannot create the Lua state (heap cap %u bytes)", (unsigned)config->heap_cap);
        return LUA_SYS_EXIT_ERROR;
    }
    lua_atpanic(L, panic_handler);
    lua_sethook(L, stop_hook, LUA_MASKCOUNT, STOP_CHECK_EVERY);

    lua_pushcfunction(L, traceback_handler);
    lua_pushcfunction(L, runtime_main);
    lua_pushlightuserdata(L, (void *)config->script_path);
    int status = lua_pcall(L, 1, 0, 1);
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        ESP_LOGE(TAG, "%s: %s", config->script_path, msg != NULL ? msg : "(no message)");
    }
    lua_close(L);
    luat_timer_stop_all();
    if (atomic_load(&s_rt.stop_requested)) {
        return LUA_SYS_EXIT_STOPPED; /* an error on the way out of a stopped run is part of the stop */
    }
    return status == LUA_OK ? LUA_SYS_EXIT_OK : LUA_SYS_EXIT_ERROR;
}

void luat_runtime_clear_stop(void)
{
    atomic_store(&s_rt.stop_requested, false);
}

void luat_runtime_request_interrupt(void)
{
    atomic_store(&s_rt.interrupt_requested, true);
}

void luat_runtime_clear_interrupt(void)
{
    atomic_store(&s_rt.interrupt_requested, false);
}

void luat_runtime_request_stop(void)
{
    atomic_store(&s_rt.stop_requested, true);
}

bool luat_runtime_stop_requested(void)
{
    return atomic_load(&s_rt.stop_requested);
}

bool luat_runtime_exit_when_idle(void)
{
    return s_rt.config.exit_when_idle;
}

uint32_t luat_runtime_clock_start_ms(void)
{
    return s_rt.config.clock_start_ms;
}

int64_t luat_runtime_elapsed_us(void)
{
    return now_us() - s_rt.start_us;
}

const luat_alloc_t *luat_runtime_alloc(void)
{
    return &s_rt.alloc;
}
