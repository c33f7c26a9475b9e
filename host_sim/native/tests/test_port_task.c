/* Tasks and time: task creation and self-deletion, the 1 kHz tick, delays,
 * critical sections. */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "port_test.h"

static void test_tick_rate_is_1khz(void)
{
    CHECK(configTICK_RATE_HZ == 1000);
    CHECK(pdMS_TO_TICKS(1) == 1);
    CHECK(pdMS_TO_TICKS(2500) == 2500);
    CHECK(portTICK_PERIOD_MS == 1);
}

static void test_tick_count_is_monotonic_and_tracks_esp_timer(void)
{
    /* Ticks are whole milliseconds of the same clock as esp_timer_get_time(). */
    int64_t us_before = esp_timer_get_time();
    TickType_t t0 = xTaskGetTickCount();
    vTaskDelay(3);
    TickType_t t1 = xTaskGetTickCount();
    int64_t us_after = esp_timer_get_time();
    CHECK(t1 >= t0 + 3);
    CHECK((int64_t)t0 >= us_before / 1000);
    CHECK((int64_t)t1 <= us_after / 1000);
    CHECK(xTaskGetTickCountFromISR() >= t1);
}

static QueueHandle_t s_done;
static portMUX_TYPE s_mux = portMUX_INITIALIZER_UNLOCKED;
static int s_counter;

static void incrementer(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < n; i++) {
        taskENTER_CRITICAL(&s_mux);
        taskENTER_CRITICAL(&s_mux); /* IDF spinlocks nest on the owner */
        s_counter++;
        taskEXIT_CRITICAL(&s_mux);
        taskEXIT_CRITICAL(&s_mux);
    }
    int done = 1;
    CHECK(xQueueSend(s_done, &done, portMAX_DELAY) == pdPASS);
    vTaskDelete(NULL);
}

static void test_tasks_and_critical_sections(void)
{
    enum { TASKS = 4, EACH = 50000 };
    s_done = xQueueCreate(TASKS, sizeof(int));
    for (int i = 0; i < TASKS; i++) {
        TaskHandle_t h = NULL;
        CHECK(xTaskCreatePinnedToCore(incrementer, "inc", 4096, (void *)(intptr_t)EACH, 5, &h,
                                      tskNO_AFFINITY) == pdPASS);
        CHECK(h != NULL);
    }
    for (int i = 0; i < TASKS; i++) {
        int done;
        CHECK(xQueueReceive(s_done, &done, portMAX_DELAY) == pdPASS);
    }
    CHECK(s_counter == TASKS * EACH);
}

/* As on FreeRTOS's POSIX port, the tick interrupts a task's blocking system call. */
static void blocking_poll(void *arg)
{
    int *result = arg;
    int fds[2];
    CHECK(pipe(fds) == 0);
    struct pollfd nothing = { .fd = fds[0], .events = POLLIN };
    int ready = poll(&nothing, 1, 1000);
    *result = ready < 0 ? errno : 0;
    close(fds[0]);
    close(fds[1]);
    int done = 1;
    CHECK(xQueueSend(s_done, &done, portMAX_DELAY) == pdPASS);
    vTaskDelete(NULL);
}

static void test_the_tick_interrupts_system_calls_in_tasks(void)
{
    int result = -1;
    int done;
    CHECK(xTaskCreate(blocking_poll, "poll", 4096, &result, 5, NULL) == pdPASS);
    CHECK(xQueueReceive(s_done, &done, portMAX_DELAY) == pdPASS);
    CHECK(result == EINTR);
}

int main(void)
{
    RUN(test_tick_rate_is_1khz);
    RUN(test_tick_count_is_monotonic_and_tracks_esp_timer);
    RUN(test_tasks_and_critical_sections);
    RUN(test_the_tick_interrupts_system_calls_in_tasks);
    return 0;
}
