/* The console on stdin/stdout: the native host build and ESP-IDF's linux target. */
#include "sdkconfig.h"

#if !defined(ESP_PLATFORM) || CONFIG_IDF_TARGET_LINUX

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "lua_sys_console.h"

static int stdio_read(void *ctx, uint8_t *buf, size_t len, int timeout_ms)
{
    (void)ctx;
    struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
    int ready = poll(&in, 1, timeout_ms);
    if (ready == 0 || (ready < 0 && errno == EINTR)) {
        return 0;
    }
    if (ready < 0) {
        return -1;
    }
    ssize_t n = read(STDIN_FILENO, buf, len);
    if (n < 0 && errno == EINTR) {
        return 0;
    }
    return n > 0 ? (int)n : -1; /* 0: end of input */
}

static void stdio_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return; /* the reader is gone; like a UART, output goes nowhere */
        }
        buf += n;
        len -= (size_t)n;
    }
}

lua_sys_console_io_t lua_sys_console_stdio(void)
{
    return (lua_sys_console_io_t){ .read = stdio_read, .write = stdio_write, .ctx = NULL };
}

#endif
