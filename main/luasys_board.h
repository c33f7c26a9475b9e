#pragma once

struct lua_State;

/* The example firmware's own Lua module, `board` (lua_sys_config_t.open_libs):
 * board.alarm(period_ms, count) makes a hardware timer interrupt post
 * "alarm", n, in_isr into Lua `count` times, n = 1..count; board.alarm_stop()
 * stops it early. docs/firmware.md#the-board-module. */
void luasys_board_open(struct lua_State *L);
