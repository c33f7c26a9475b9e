/* The console on stdin/stdout: the native host build and ESP-IDF's linux target. */
#include "sdkconfig.h"

#if !defined(ESP_PLATFORM) || CONFIG_IDF_TARGET_LINUX

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "lua_sys_console.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FreeRTOS's POSIX port (ESP-IDF's linux target) ticks on SIGALRM without
 * SA_RESTART, so poll() and read() are interrupted all the time: an interruption
 * is neither a timeout nor the end of input. poll() is resumed with what is left
 * of the timeout. */
static int stdio_read(void *ctx, uint8_t *buf, size_t len, int timeout_ms)
{
    (void)ctx;
    const int64_t deadline = now_ms() + timeout_ms;
    int wait_ms = timeout_ms;
    for (;;) {
        struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
        int ready = poll(&in, 1, wait_ms);
        if (ready > 0) {
            break;
        }
        if (ready == 0) {
            return 0;
        }
        if (errno != EINTR) {
            return -1;
        }
        if (timeout_ms >= 0) {
            int64_t left = deadline - now_ms();
            wait_ms = left > 0 ? (int)left : 0;
        }
    }
    ssize_t n;
    do {
        n = read(STDIN_FILENO, buf, len);
    } while (n < 0 && errno == EINTR);
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
