#include "luasys_app.h"

#include <stdio.h>

#include "esp_log.h"
#include "lua_sys_console.h"

static const char *TAG = "luasys";

lua_sys_exit_t luasys_app_run(const lua_sys_config_t *config)
{
    esp_err_t err = lua_sys_start(config);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "cannot start the Lua runtime: %s", esp_err_to_name(err));
        return LUA_SYS_EXIT_ERROR;
    }
    lua_sys_exit_t exit = LUA_SYS_EXIT_ERROR;
    err = lua_sys_wait(portMAX_DELAY, &exit);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "lost track of the Lua runtime: %s", esp_err_to_name(err));
        return LUA_SYS_EXIT_ERROR;
    }
    if (exit == LUA_SYS_EXIT_OK) {
        ESP_LOGI(TAG, "%s finished", config->script_path);
    } else {
        ESP_LOGE(TAG, "%s ended with an error (traceback above)", config->script_path);
    }
    return exit;
}

void luasys_app_serve(lua_sys_config_t *config)
{
    static char script[192];
    snprintf(script, sizeof script, "%s", config->script_path);
    do {
        config->script_path = script;
        (void)luasys_app_run(config);
    } while (lua_sys_console_next_run(script, sizeof script));
}
