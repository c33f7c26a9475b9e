#pragma once

#include "esp_err.h"

/* Configures CONFIG_LUASYS_BUTTON_GPIO as an input with pull-up and posts
 * "button", gpio, level into Lua from its interrupt on every edge. */
esp_err_t luasys_button_install(void);
