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
    /* uart_read_bytes() waits until all `length` bytes have arrived or the
     * timeout expires (driver/uart.h), so asking it for len bytes would hold
     * a short typed line until 256 bytes came in. Wait for one byte, then take
     * whatever else is already buffered. */
    TickType_t ticks = timeout_ms < 0 ? portMAX_DELAY : pdMS_TO_TICKS(timeout_ms);
    int n = uart_read_bytes(CONSOLE_UART, buf, 1, ticks);
    if (n <= 0) {
        return n < 0 ? -1 : 0;
    }
    size_t more = 0;
    if (len > 1 && uart_get_buffered_data_len(CONSOLE_UART, &more) == ESP_OK && more > 0) {
        if (more > len - 1) {
            more = len - 1;
        }
        int m = uart_read_bytes(CONSOLE_UART, buf + 1, (uint32_t)more, 0);
        if (m > 0) {
            n += m;
        }
    }
    return n;
}

static void port_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    /* No TX ring buffer (tx_buffer_size 0): returns once all bytes are in the FIFO. */
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

#define TX_BUFFER_BYTES 1024
/* How long one chunk may wait for the host to drain the TX buffer before the
 * rest of the write is dropped: with no host listening (a board on a charger)
 * nothing ever drains it, and the ESP-IDF VFS gives up the same way. */
#define TX_STALL_MS 200

static int port_read(void *ctx, uint8_t *buf, size_t len, int timeout_ms)
{
    (void)ctx;
    TickType_t ticks = timeout_ms < 0 ? portMAX_DELAY : pdMS_TO_TICKS(timeout_ms);
    /* Returns what is available (up to len) as soon as anything is. */
    return usb_serial_jtag_read_bytes(buf, (uint32_t)len, ticks);
}

static void port_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    /* The driver's TX ring buffer is a byte buffer of TX_BUFFER_BYTES: a write
     * larger than that fails at once and sends nothing (xRingbufferSend), so
     * write in chunks that fit. */
    while (len > 0) {
        size_t chunk = len < TX_BUFFER_BYTES ? len : TX_BUFFER_BYTES;
        if (usb_serial_jtag_write_bytes(buf, chunk, pdMS_TO_TICKS(TX_STALL_MS)) <= 0) {
            return; /* nobody is reading: like a UART, the output goes nowhere */
        }
        buf += chunk;
        len -= chunk;
    }
}

static esp_err_t port_install(void)
{
    usb_serial_jtag_driver_config_t config = USB_SERIAL_JTAG_DRIVER_CONFIG_DEFAULT();
    config.rx_buffer_size = RX_BUFFER_BYTES;
    config.tx_buffer_size = TX_BUFFER_BYTES;
    esp_err_t err = usb_serial_jtag_driver_install(&config);
    if (err == ESP_OK) {
        usb_serial_jtag_vfs_use_driver();
    }
    return err;
}

#else
/* USB CDC (ROM driver) or no console: no console port. Not an #error, so the
 * component still builds for such projects; they just get no console. */
#define NO_CONSOLE_PORT 1
#endif

esp_err_t lua_sys_console_port(lua_sys_console_io_t *io)
{
    if (io == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
#ifdef NO_CONSOLE_PORT
    return ESP_ERR_NOT_SUPPORTED;
#else
    esp_err_t err = port_install();
    if (err != ESP_OK) {
        return err;
    }
    *io = (lua_sys_console_io_t){ .read = port_read, .write = port_write, .ctx = NULL };
    return ESP_OK;
#endif
}

#endif
