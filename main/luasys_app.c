#include "luasys_app.h"

#include <sys/stat.h>

#include "esp_log.h"
#include "lua_sys_console.h"
#include "luasys_safe_mode.h"

static const char *TAG = "luasys";

/* guarded: the boot script's start is on trial (luasys_safe_mode.h); it passes
 * once the script has run for the grace period or its main chunk returned (or
 * was stopped), and fails if the main chunk raised first. */
static lua_sys_exit_t run(const lua_sys_config_t *config, bool guarded)
{
    struct stat st;
    if (stat(config->script_path, &st) != 0) {
        ESP_LOGW(TAG, "no %s to run; push one (luasys push)", config->script_path);
        return LUA_SYS_EXIT_ERROR;
    }
    esp_err_t err = lua_sys_start(config);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "cannot start the Lua runtime: %s", esp_err_to_name(err));
        return LUA_SYS_EXIT_ERROR;
    }
    if (lua_sys_console_input_closed()) {
        (void)lua_sys_stop(); /* the input ended before this run started: nothing would stop it */
    }
    lua_sys_exit_t exit = LUA_SYS_EXIT_ERROR;
    if (guarded) {
        err = lua_sys_wait(pdMS_TO_TICKS(luasys_safe_mode_grace_ms()), &exit);
        if (err == ESP_ERR_TIMEOUT) {
            luasys_safe_mode_healthy();
            err = lua_sys_wait(portMAX_DELAY, &exit);
        } else if (err == ESP_OK && exit == LUA_SYS_EXIT_ERROR) {
            luasys_safe_mode_failed();
        } else if (err == ESP_OK) {
            luasys_safe_mode_healthy(); /* returned, or stopped cleanly */
        }
    } else {
        err = lua_sys_wait(portMAX_DELAY, &exit);
    }
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "lost track of the Lua runtime: %s", esp_err_to_name(err));
        return LUA_SYS_EXIT_ERROR;
    }
    if (exit == LUA_SYS_EXIT_OK) {
        ESP_LOGI(TAG, "%s finished", config->script_path);
    } else if (exit == LUA_SYS_EXIT_STOPPED) {
        ESP_LOGI(TAG, "%s stopped", config->script_path);
    } else {
        ESP_LOGE(TAG, "%s ended with an error (traceback above)", config->script_path);
    }
    return exit;
}

lua_sys_exit_t luasys_app_run(const lua_sys_config_t *config)
{
    return run(config, false);
}

lua_sys_exit_t luasys_app_boot(const lua_sys_config_t *config)
{
    if (!luasys_safe_mode_enter_boot(config->script_path)) {
        luasys_safe_mode_announce();
        return LUA_SYS_EXIT_ERROR;
    }
    return run(config, true);
}

void luasys_app_serve(lua_sys_config_t *config)
{
    static lua_sys_console_run_t next;
    lua_sys_exit_t ended = luasys_app_boot(config);
    while (lua_sys_console_next_run(ended, &next)) {
        config->script_path = next.script_path;
        config->exit_when_idle = next.exit_when_idle;
        ended = luasys_app_run(config);
    }
}
