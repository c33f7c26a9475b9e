/* The console on stdin/stdout: the native host build and ESP-IDF's linux target. */
#include "sdkconfig.h"

#if !defined(ESP_PLATFORM) || CONFIG_IDF_TARGET_LINUX

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "lua_sys_console.h"

#if CONFIG_IDF_TARGET_LINUX
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

/* How long the console sleeps in FreeRTOS between two looks at stdin (linux target). */
#define STDIN_LOOK_MS 10
#endif

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FreeRTOS's POSIX port (ESP-IDF's linux target) ticks on SIGALRM without
 * SA_RESTART, so poll() and read() are interrupted all the time: an interruption
 * is neither a timeout nor the end of input.
 *
 * There a task blocked in a system call still counts as running, so the console
 * must not wait in poll(): at the Lua task's priority it would take every other
 * time slice from a busy script, below it a script that spins would starve it (no
 * interrupt, no restart). It looks at stdin without waiting and sleeps in FreeRTOS
 * between looks, as a chip's console waits for its UART; the native build runs
 * each task on a thread of its own and waits in poll(), resumed with what is left
 * of the timeout. */
static int wait_for_input(int timeout_ms)
{
    const int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
#if CONFIG_IDF_TARGET_LINUX
        const int wait_ms = 0;
#else
        int wait_ms = timeout_ms;
        if (timeout_ms >= 0) {
            int64_t left = deadline - now_ms();
            wait_ms = left > 0 ? (int)left : 0;
        }
#endif
        struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
        int ready = poll(&in, 1, wait_ms);
        if (ready > 0) {
            return 1;
        }
        if (ready < 0 && errno != EINTR) {
            return -1;
        }
        if (timeout_ms >= 0 && now_ms() >= deadline) {
            return 0;
        }
#if CONFIG_IDF_TARGET_LINUX
        vTaskDelay(pdMS_TO_TICKS(STDIN_LOOK_MS));
#endif
    }
}

static int stdio_read(void *ctx, uint8_t *buf, size_t len, int timeout_ms)
{
    (void)ctx;
    int ready = wait_for_input(timeout_ms);
    if (ready <= 0) {
        return ready;
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
