/* The public C API (include/lua_sys.h): runtime task lifecycle and posting. */
#include "lua_sys.h"

#include "esp_attr.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "luat_msg.h"
#include "luat_msgbus.h"
#include "luat_output.h"
#include "luat_runtime.h"

static portMUX_TYPE s_lock = portMUX_INITIALIZER_UNLOCKED;
static bool s_running;
static lua_sys_config_t s_config;
/* Mailbox (length 1) through which the Lua task reports how its run ended. */
static QueueHandle_t s_done;

esp_err_t lua_sys_init(void)
{
    esp_err_t err = luat_msgbus_init();
    if (err == ESP_OK) {
        err = luat_output_init();
    }
    if (err != ESP_OK) {
        return err;
    }
    portENTER_CRITICAL(&s_lock);
    bool need_done = s_done == NULL;
    portEXIT_CRITICAL(&s_lock);
    if (need_done) {
        QueueHandle_t q = xQueueCreate(1, sizeof(lua_sys_exit_t));
        if (q == NULL) {
            return ESP_ERR_NO_MEM;
        }
        portENTER_CRITICAL(&s_lock);
        if (s_done == NULL) {
            s_done = q;
            q = NULL;
        }
        portEXIT_CRITICAL(&s_lock);
        if (q != NULL) {
            vQueueDelete(q); /* another task initialised first */
        }
    }
    return ESP_OK;
}

static void lua_sys_task(void *arg)
{
    (void)arg;
    lua_sys_exit_t exit = luat_runtime_run(&s_config);
    portENTER_CRITICAL(&s_lock);
    s_running = false;
    portEXIT_CRITICAL(&s_lock);
    /* Cannot fail: lua_sys_start() emptied the mailbox and runs are serial. */
    (void)xQueueSend(s_done, &exit, 0);
    vTaskDelete(NULL);
}

esp_err_t lua_sys_start(const lua_sys_config_t *config)
{
    if (config == NULL || config->script_path == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = lua_sys_init();
    if (err != ESP_OK) {
        return err;
    }
    portENTER_CRITICAL(&s_lock);
    bool busy = s_running;
    if (!busy) {
        /* Under the lock: a lua_sys_stop() that sees this run as running is never
         * undone by the start clearing an earlier run's stop. */
        luat_runtime_clear_stop();
        s_running = true;
    }
    portEXIT_CRITICAL(&s_lock);
    if (busy) {
        return ESP_ERR_INVALID_STATE;
    }
    lua_sys_exit_t stale;
    (void)xQueueReceive(s_done, &stale, 0); /* result of a run nobody waited for */
    s_config = *config;
    if (xTaskCreatePinnedToCore(lua_sys_task, "lua_sys", config->task_stack_size, NULL,
                                config->task_priority, NULL, config->task_core_id) != pdPASS) {
        portENTER_CRITICAL(&s_lock);
        s_running = false;
        portEXIT_CRITICAL(&s_lock);
        return ESP_ERR_NO_MEM;
    }
    return ESP_OK;
}

esp_err_t lua_sys_stop(void)
{
    portENTER_CRITICAL(&s_lock);
    bool running = s_running;
    portEXIT_CRITICAL(&s_lock);
    if (!running) {
        return ESP_ERR_INVALID_STATE;
    }
    luat_runtime_request_stop();
    luat_msgbus_wake();
    return ESP_OK;
}

esp_err_t lua_sys_wait(TickType_t ticks_to_wait, lua_sys_exit_t *exit)
{
    if (s_done == NULL) {
        return ESP_ERR_INVALID_STATE;
    }
    lua_sys_exit_t result;
    if (xQueueReceive(s_done, &result, ticks_to_wait) != pdPASS) {
        return ESP_ERR_TIMEOUT;
    }
    if (exit != NULL) {
        *exit = result;
    }
    return ESP_OK;
}

/* Shared by the task and ISR paths, hence in IRAM. */
static IRAM_ATTR esp_err_t encode_or_reject(luat_msg_t *msg, const char *name,
                                            const lua_sys_arg_t *args, size_t argc)
{
    size_t detail;
    if (name == NULL || (argc > 0 && args == NULL) ||
        luat_msg_encode(msg, name, luat_msg_name_len(name), args, argc, &detail) != LUAT_MSG_OK) {
        luat_msgbus_count_rejected();
        return ESP_ERR_INVALID_ARG;
    }
    return ESP_OK;
}

esp_err_t lua_sys_post(const char *name, const lua_sys_arg_t *args, size_t argc)
{
    luat_msg_t msg;
    esp_err_t err = encode_or_reject(&msg, name, args, argc);
    return err != ESP_OK ? err : luat_msgbus_post(&msg);
}

IRAM_ATTR esp_err_t lua_sys_post_from_isr(const char *name, const lua_sys_arg_t *args, size_t argc,
                                          BaseType_t *higher_priority_task_woken)
{
    luat_msg_t msg;
    esp_err_t err = encode_or_reject(&msg, name, args, argc);
    return err != ESP_OK ? err : luat_msgbus_post_from_isr(&msg, higher_priority_task_woken);
}

esp_err_t lua_sys_post_int(const char *name, int64_t value)
{
    const lua_sys_arg_t arg = LUA_SYS_INT(value);
    return lua_sys_post(name, &arg, 1);
}

IRAM_ATTR esp_err_t lua_sys_post_int_from_isr(const char *name, int64_t value,
                                              BaseType_t *higher_priority_task_woken)
{
    const lua_sys_arg_t arg = LUA_SYS_INT(value);
    return lua_sys_post_from_isr(name, &arg, 1, higher_priority_task_woken);
}

esp_err_t lua_sys_get_queue_stats(lua_sys_queue_stats_t *stats)
{
    if (stats == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (!luat_msgbus_ready()) {
        return ESP_ERR_INVALID_STATE;
    }
    luat_msgbus_stats(stats);
    return ESP_OK;
}
