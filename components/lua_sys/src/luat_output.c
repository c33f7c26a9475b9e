/*
 * One lock for stdout (luat_output.h).
 *
 * Under ESP-IDF it is a FreeRTOS recursive mutex, taken before stdout's own lock.
 * On ESP-IDF's linux target stdout's lock is glibc's, a pthread lock that
 * FreeRTOS's POSIX port knows nothing of: the priority-1 console task, preempted
 * by the tick while it held that lock for a reply, never ran again once the Lua
 * task blocked on the lock, since the port still counted the Lua task as running
 * (a deadlock). A FreeRTOS mutex blocks the waiter in the scheduler and lends the
 * holder its priority. On a chip, newlib's lock is a FreeRTOS mutex too; stdout's
 * own lock is still taken there because not every libc makes a plain fwrite()
 * wait for flockfile() (the QEMU kit's picolibc 1.8 does not), and code outside
 * LuaSys writes to stdout under it alone.
 *
 * The native host build runs every task on a thread of its own, which the OS
 * schedules: there stdout's lock is enough.
 */
#include "luat_output.h"

#include <stdbool.h>
#include <stdio.h>

#ifdef ESP_PLATFORM
#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "sdkconfig.h"

static portMUX_TYPE s_lock = portMUX_INITIALIZER_UNLOCKED;
static SemaphoreHandle_t s_mutex;

/* Whether the running code may wait for the mutex: a task, with the scheduler
 * running, outside interrupts and critical sections. */
static bool can_wait(void)
{
    if (s_mutex == NULL || xTaskGetSchedulerState() != taskSCHEDULER_RUNNING || xPortInIsrContext()) {
        return false;
    }
#if CONFIG_IDF_TARGET_LINUX
    return true;
#else
    return xPortCanYield();
#endif
}

/* An ESP-IDF log line (ESP_LOGx: one vprintf call per line) as one write; where
 * the lock cannot be waited for, it is written as before. */
static int output_vprintf(const char *format, va_list args)
{
    if (!can_wait()) {
        return vprintf(format, args);
    }
    luat_output_begin();
    int n = vprintf(format, args);
    luat_output_end();
    return n;
}

esp_err_t luat_output_init(void)
{
    portENTER_CRITICAL(&s_lock);
    bool created = s_mutex != NULL;
    portEXIT_CRITICAL(&s_lock);
    if (created) {
        return ESP_OK;
    }
    SemaphoreHandle_t mutex = xSemaphoreCreateRecursiveMutex();
    if (mutex == NULL) {
        return ESP_ERR_NO_MEM;
    }
    portENTER_CRITICAL(&s_lock);
    if (s_mutex == NULL) {
        s_mutex = mutex;
        mutex = NULL;
    }
    portEXIT_CRITICAL(&s_lock);
    if (mutex != NULL) {
        vSemaphoreDelete(mutex); /* another task initialised first */
    } else {
        (void)esp_log_set_vprintf(output_vprintf);
    }
    return ESP_OK;
}

void luat_output_begin(void)
{
    if (can_wait()) {
        (void)xSemaphoreTakeRecursive(s_mutex, portMAX_DELAY);
    }
    flockfile(stdout);
}

void luat_output_end(void)
{
    funlockfile(stdout);
    if (can_wait()) {
        (void)xSemaphoreGiveRecursive(s_mutex);
    }
}

#else

esp_err_t luat_output_init(void)
{
    return ESP_OK;
}

void luat_output_begin(void)
{
    flockfile(stdout);
}

void luat_output_end(void)
{
    funlockfile(stdout);
}

#endif
