/* LuaSys example firmware: mount the script filesystem, hook up a button
 * interrupt and the `board` module's timer interrupt, start the console (docs/console-protocol.md) and run
 * /lua/main.lua, then whatever the console's run/restart ask for. A script
 * error is logged with its traceback and the device stays up (no reboot
 * loop); rtos.reboot() restarts it. After SAFE_MODE_BOOTS failed starts in a
 * row (errors, or resets within the grace period) the boot skips main.lua:
 * safe mode, luasys_safe_mode.h. */
#include <stdlib.h>

#include "esp_log.h"
#include "lua_sys.h"
#include "lua_sys_console.h"
#include "luasys_app.h"
#include "luasys_fs.h"
#include "luasys_safe_mode.h"
#include "sdkconfig.h"

#if CONFIG_IDF_TARGET_LINUX
#include "luasys_linux_run.h"
#else
#include "luasys_board.h"
#include "luasys_button.h"
#endif

/* The console task parses frames, formats replies and does the file
 * commands (fopen/fwrite/readdir on LittleFS); 6 KiB leaves headroom. */
#define CONSOLE_TASK_STACK 6144

static const char *TAG = "main";

#if CONFIG_LUASYS_CONSOLE
static esp_err_t console_start(const char *boot_script)
{
    lua_sys_console_config_t console = {
        .fs_root = luasys_fs_root(),
        .boot_script = boot_script,
        .task_stack_size = CONSOLE_TASK_STACK,
        .safe_mode_status = luasys_safe_mode_status,
        .safe_mode_clear = luasys_safe_mode_clear,
        .fs_usage = luasys_fs_usage,
    };
#if CONFIG_IDF_TARGET_LINUX
    console.io = lua_sys_console_stdio();
#else
    esp_err_t err = lua_sys_console_port(&console.io);
    if (err != ESP_OK) {
        return err;
    }
#endif
    /* Same priority as the Lua task: a busy script and the console share the CPU. */
    console.task_priority = CONFIG_LUA_SYS_TASK_PRIORITY;
    return lua_sys_console_start(&console);
}
#endif

void app_main(void)
{
    /* The queue exists before the script runs, so early interrupts are kept. */
    ESP_ERROR_CHECK(lua_sys_init());
    if (luasys_fs_mount() != ESP_OK) {
        return;
    }
#if !CONFIG_IDF_TARGET_LINUX
    (void)luasys_button_install(); /* logs its own failure; Lua runs regardless */
#endif
    lua_sys_config_t config = LUA_SYS_CONFIG_DEFAULT();
    config.script_path = luasys_fs_script_path();
#if !CONFIG_IDF_TARGET_LINUX
    config.open_libs = luasys_board_open;
#endif
#if CONFIG_IDF_TARGET_LINUX
    if (luasys_linux_run_requested(&config)) {
        exit(luasys_app_run(&config) == LUA_SYS_EXIT_OK ? EXIT_SUCCESS : EXIT_FAILURE);
    }
#endif
    luasys_safe_mode_init(luasys_fs_root(), 0, 0); /* the Kconfig limits */
    (void)luasys_safe_mode_enter_boot(config.script_path);           /* before the console can be asked */
#if CONFIG_LUASYS_CONSOLE
    esp_err_t err = console_start(config.script_path);
    if (err == ESP_OK) {
        /* Returns only when the console's input ends (stdin closed on linux). */
        luasys_app_serve(&config);
#if CONFIG_IDF_TARGET_LINUX
        /* The program, not just this task, ends with its input: on the linux
         * target the scheduler would otherwise run on without anything to do. */
        exit(EXIT_SUCCESS);
#endif
        return;
    }
    ESP_LOGW(TAG, "no console (%s): running %s once", esp_err_to_name(err), config.script_path);
#endif
    if (luasys_app_boot(&config) != LUA_SYS_EXIT_OK) {
        ESP_LOGW(TAG, "fix the script and reset the board (or use rtos.reboot())");
    }
}
