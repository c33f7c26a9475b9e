/* LuaSys example firmware: mount the script filesystem, hook up a button
 * interrupt, run /lua/main.lua. A script error is logged with its traceback
 * and the device stays up (no reboot loop); rtos.reboot() restarts it. */
#include "esp_log.h"
#include "lua_sys.h"
#include "luasys_app.h"
#include "luasys_fs.h"
#include "sdkconfig.h"

#if !CONFIG_IDF_TARGET_LINUX
#include "luasys_button.h"
#endif

static const char *TAG = "main";

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
    if (luasys_app_run(&config) != LUA_SYS_EXIT_OK) {
        ESP_LOGW(TAG, "fix the script and reset the board (or use rtos.reboot())");
    }
}
