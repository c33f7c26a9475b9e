/* The console on a chip's console port, UART or USB-Serial-JTAG (menuconfig
 * "Channel for console output"). The driver is installed and stdio routed
 * through it, so print() and the console's replies share one ordered stream;
 * the console itself reads and writes through the driver, untranslated. */
#include "sdkconfig.h"

#if defined(ESP_PLATFORM) && !CONFIG_IDF_TARGET_LINUX

#include "freertos/FreeRTOS.h"
#include "lua_sys_console.h"

#define RX_BUFFER_BYTES 4096 /* an upload arrives faster than a flash write at times */

#if CONFIG_ESP_CONSOLE_UART
#include "driver/uart.h"
#include "driver/uart_vfs.h"

#define CONSOLE_UART CONFIG_ESP_CONSOLE_UART_NUM

static int port_read(void *ctx, uint8_t *buf, size_t len, int timeout_ms)
{
    (void)ctx;
    TickType_t ticks = timeout_ms < 0 ? portMAX_DELAY : pdMS_TO_TICKS(timeout_ms);
    int n = uart_read_bytes(CONSOLE_UART, buf, len, ticks);
    return n < 0 ? -1 : n;
}

static void port_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    uart_write_bytes(CONSOLE_UART, buf, len);
}

static esp_err_t port_install(void)
{
    esp_err_t err = uart_driver_install(CONSOLE_UART, RX_BUFFER_BYTES, 0, 0, NULL, 0);
    if (err == ESP_OK) {
        uart_vfs_dev_use_driver(CONSOLE_UART);
    }
    return err;
}

#elif CONFIG_ESP_CONSOLE_USB_SERIAL_JTAG
#include "driver/usb_serial_jtag.h"
#include "driver/usb_serial_jtag_vfs.h"

static int port_read(void *ctx, uint8_t *buf, size_t len, int timeout_ms)
{
    (void)ctx;
    TickType_t ticks = timeout_ms < 0 ? portMAX_DELAY : pdMS_TO_TICKS(timeout_ms);
    return usb_serial_jtag_read_bytes(buf, len, ticks);
}

static void port_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    usb_serial_jtag_write_bytes(buf, len, portMAX_DELAY);
}

static esp_err_t port_install(void)
{
    usb_serial_jtag_driver_config_t config = USB_SERIAL_JTAG_DRIVER_CONFIG_DEFAULT();
    config.rx_buffer_size = RX_BUFFER_BYTES;
    esp_err_t err = usb_serial_jtag_driver_install(&config);
    if (err == ESP_OK) {
        usb_serial_jtag_vfs_use_driver();
    }
    return err;
}

#else
#error "LuaSys's console needs the console on UART or USB-Serial-JTAG (menuconfig: ESP System Settings)"
#endif

esp_err_t lua_sys_console_port(lua_sys_console_io_t *io)
{
    if (io == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = port_install();
    if (err != ESP_OK) {
        return err;
    }
    *io = (lua_sys_console_io_t){ .read = port_read, .write = port_write, .ctx = NULL };
    return ESP_OK;
}

#endif
