/* Example of a hardware interrupt feeding the Lua runtime through the public
 * C API: a GPIO ISR posts "button", gpio, level. In Lua:
 *     sys.subscribe("button", function(gpio, level) ... end)
 */
#include "luasys_button.h"

#include "driver/gpio.h"
#include "esp_attr.h"
#include "esp_log.h"
#include "lua_sys.h"
#include "sdkconfig.h"

static const char *TAG = "luasys_button";

static void IRAM_ATTR button_isr(void *arg)
{
    const int gpio = (int)(intptr_t)arg;
    const lua_sys_arg_t args[] = { LUA_SYS_INT(gpio), LUA_SYS_INT(gpio_get_level(gpio)) };
    BaseType_t woken = pdFALSE;
    /* A full queue is counted in rtos.queue_stats().dropped; an ISR has no
     * better place to report it. */
    (void)lua_sys_post_from_isr("button", args, 2, &woken);
    portYIELD_FROM_ISR(woken);
}

esp_err_t luasys_button_install(void)
{
    const int gpio = CONFIG_LUASYS_BUTTON_GPIO;
    if (gpio < 0) {
        return ESP_OK;
    }
    const gpio_config_t io = {
        .pin_bit_mask = 1ULL << gpio,
        .mode = GPIO_MODE_INPUT,
        .pull_up_en = GPIO_PULLUP_ENABLE,
        .intr_type = GPIO_INTR_ANYEDGE,
    };
    esp_err_t err = gpio_config(&io);
    if (err == ESP_OK) {
        /* Not ESP_INTR_FLAG_IRAM: gpio_get_level() lives in flash unless
         * CONFIG_GPIO_CTRL_FUNC_IN_IRAM, so the handler must not run while
         * the cache is off. The lua_sys post path itself is IRAM-safe. */
        err = gpio_install_isr_service(0);
        if (err == ESP_ERR_INVALID_STATE) {
            err = ESP_OK; /* already installed by other code */
        }
    }
    if (err == ESP_OK) {
        err = gpio_isr_handler_add(gpio, button_isr, (void *)(intptr_t)gpio);
    }
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "cannot set up the button on GPIO%d: %s", gpio, esp_err_to_name(err));
    }
    return err;
}
