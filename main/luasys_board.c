/* Example of a hardware interrupt feeding the Lua runtime through the public C
 * API, on request from Lua: an esp_timer with ESP_TIMER_ISR dispatch runs its
 * callback in the SYSTIMER alarm interrupt, which posts "alarm", n, in_isr
 * with lua_sys_post_from_isr(). In Lua:
 *     sys.subscribe("alarm", function(n, in_isr) ... end)
 *     board.alarm(10, 5)
 * (esp_timer, not the gptimer driver: both are timer interrupts, and the QEMU
 * kit's ESP-IDF has no esp_driver_gptimer; docs/firmware.md.) */
#include "luasys_board.h"

#include "esp_attr.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "lauxlib.h"
#include "lua.h"
#include "lua_sys.h"

#define ALARM_MESSAGE "alarm"
#define ALARM_PERIOD_MS_MAX 86400000 /* a day */

static esp_timer_handle_t s_alarm;
/* Written while the timer is stopped, read by its interrupt. */
static volatile uint32_t s_fired, s_wanted;

static void IRAM_ATTR alarm_isr(void *arg)
{
    (void)arg;
    if (s_fired >= s_wanted) {
        return;
    }
    s_fired++;
    const lua_sys_arg_t args[] = { LUA_SYS_INT(s_fired), LUA_SYS_BOOL(xPortInIsrContext()) };
    BaseType_t woken = pdFALSE;
    /* A full queue is counted in rtos.queue_stats().dropped; n shows the gap. */
    (void)lua_sys_post_from_isr(ALARM_MESSAGE, args, 2, &woken);
    if (woken == pdTRUE) {
        esp_timer_isr_dispatch_need_yield();
    }
}

static esp_err_t alarm_stop(void)
{
    esp_err_t err = esp_timer_stop(s_alarm);
    return err == ESP_ERR_INVALID_STATE ? ESP_OK : err; /* it was not running */
}

/* board.alarm(period_ms, count): a new series of `count` alarms, every period_ms. */
static int board_alarm(lua_State *L)
{
    lua_Integer period_ms = luaL_checkinteger(L, 1);
    lua_Integer count = luaL_checkinteger(L, 2);
    luaL_argcheck(L, period_ms >= 1 && period_ms <= ALARM_PERIOD_MS_MAX, 1, "must be 1..86400000 ms");
    luaL_argcheck(L, count >= 1, 2, "must be at least 1");
    esp_err_t err = ESP_OK;
    if (s_alarm == NULL) {
        const esp_timer_create_args_t args = {
            .callback = alarm_isr,
            .dispatch_method = ESP_TIMER_ISR,
            .name = "board.alarm",
        };
        err = esp_timer_create(&args, &s_alarm);
    }
    if (err == ESP_OK) {
        err = alarm_stop();
    }
    if (err == ESP_OK) {
        s_fired = 0;
        s_wanted = (uint32_t)count;
        err = esp_timer_start_periodic(s_alarm, (uint64_t)period_ms * 1000);
    }
    if (err != ESP_OK) {
        return luaL_error(L, "board.alarm: %s", esp_err_to_name(err));
    }
    return 0;
}

/* board.alarm_stop(): no more alarms; returns how many were posted. */
static int board_alarm_stop(lua_State *L)
{
    esp_err_t err = s_alarm != NULL ? alarm_stop() : ESP_OK;
    if (err != ESP_OK) {
        return luaL_error(L, "board.alarm_stop: %s", esp_err_to_name(err));
    }
    lua_pushinteger(L, (lua_Integer)s_fired);
    return 1;
}

/* The alarm ends with the run that asked for it (its state closes). */
static int alarm_owner_gc(lua_State *L)
{
    (void)L;
    if (s_alarm != NULL) {
        (void)alarm_stop();
    }
    return 0;
}

static int open_board(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        { "alarm", board_alarm },
        { "alarm_stop", board_alarm_stop },
        { NULL, NULL },
    };
    luaL_newlib(L, funcs);
    lua_newuserdata(L, 1);
    lua_newtable(L);
    lua_pushcfunction(L, alarm_owner_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, "luasys.board.alarm_owner");
    return 1;
}

void luasys_board_open(lua_State *L)
{
    luaL_requiref(L, "board", open_board, 1);
    lua_pop(L, 1);
}
