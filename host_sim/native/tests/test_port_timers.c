/* Software timers: one-shot vs auto-reload, stop, change period, serialised
 * callbacks on one task, command order. Assertions are about order and
 * counts, never about how long anything took. */
#include <stdatomic.h>

#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "freertos/timers.h"
#include "port_test.h"

typedef struct {
    TimerHandle_t timer;
    TaskHandle_t task;
} firing_t;

static QueueHandle_t s_firings;

static void record(TimerHandle_t t)
{
    firing_t f = { .timer = t, .task = xTaskGetCurrentTaskHandle() };
    CHECK(xQueueSend(s_firings, &f, 0) == pdPASS);
}

static firing_t next_firing(void)
{
    firing_t f;
    CHECK(xQueueReceive(s_firings, &f, portMAX_DELAY) == pdPASS);
    return f;
}

static void test_one_shot_fires_once(void)
{
    TimerHandle_t t = xTimerCreate("once", pdMS_TO_TICKS(2), pdFALSE, NULL, record);
    CHECK(t != NULL);
    CHECK(xTimerIsTimerActive(t) == pdFALSE);
    CHECK(xTimerStart(t, 0) == pdPASS);
    CHECK(next_firing().timer == t);
    /* After the callback, a one-shot is dormant: a marker timer started now
     * (longer period) must fire before any second firing could appear. */
    TimerHandle_t marker = xTimerCreate("marker", pdMS_TO_TICKS(20), pdFALSE, NULL, record);
    CHECK(xTimerStart(marker, 0) == pdPASS);
    CHECK(next_firing().timer == marker);
    CHECK(xTimerIsTimerActive(t) == pdFALSE);
    CHECK(xTimerDelete(t, portMAX_DELAY) == pdPASS);
    CHECK(xTimerDelete(marker, portMAX_DELAY) == pdPASS);
}

static void test_auto_reload_repeats_until_stopped(void)
{
    TimerHandle_t t = xTimerCreate("reload", pdMS_TO_TICKS(1), pdTRUE, (void *)0x1234, record);
    CHECK(pvTimerGetTimerID(t) == (void *)0x1234);
    CHECK(xTimerStart(t, 0) == pdPASS);
    for (int i = 0; i < 5; i++) {
        CHECK(next_firing().timer == t);
    }
    CHECK(xTimerIsTimerActive(t) == pdTRUE);
    CHECK(xTimerStop(t, portMAX_DELAY) == pdPASS);
    /* Commands are applied in order: once the marker (sent after the stop)
     * has fired, the stop has been applied and t is dormant. */
    TimerHandle_t marker = xTimerCreate("marker", pdMS_TO_TICKS(5), pdFALSE, NULL, record);
    CHECK(xTimerStart(marker, portMAX_DELAY) == pdPASS);
    while (next_firing().timer != marker) {
    }
    CHECK(xTimerIsTimerActive(t) == pdFALSE);
    firing_t f;
    CHECK(xQueueReceive(s_firings, &f, 0) == errQUEUE_EMPTY);
    CHECK(xTimerDelete(t, portMAX_DELAY) == pdPASS);
    CHECK(xTimerDelete(marker, portMAX_DELAY) == pdPASS);
}

static void test_change_period_starts_dormant_timer(void)
{
    TimerHandle_t t = xTimerCreate("change", pdMS_TO_TICKS(100000), pdFALSE, NULL, record);
    CHECK(xTimerChangePeriod(t, pdMS_TO_TICKS(2), portMAX_DELAY) == pdPASS);
    CHECK(next_firing().timer == t);
    CHECK(xTimerGetPeriod(t) == pdMS_TO_TICKS(2));
    CHECK(xTimerDelete(t, portMAX_DELAY) == pdPASS);
}

static void test_expiry_order_follows_periods(void)
{
    TimerHandle_t slow = xTimerCreate("slow", pdMS_TO_TICKS(30), pdFALSE, NULL, record);
    TimerHandle_t fast = xTimerCreate("fast", pdMS_TO_TICKS(1), pdFALSE, NULL, record);
    CHECK(xTimerStart(slow, 0) == pdPASS);
    CHECK(xTimerStart(fast, 0) == pdPASS);
    CHECK(next_firing().timer == fast);
    CHECK(next_firing().timer == slow);
    CHECK(xTimerDelete(slow, portMAX_DELAY) == pdPASS);
    CHECK(xTimerDelete(fast, portMAX_DELAY) == pdPASS);
}

/* Callbacks never overlap and all run on the same (timer service) task. */
static atomic_int s_in_callback;
static atomic_int s_overlaps;

static void slow_callback(TimerHandle_t t)
{
    if (atomic_fetch_add(&s_in_callback, 1) != 0) {
        atomic_fetch_add(&s_overlaps, 1);
    }
    vTaskDelay(1); /* widen the window an overlap would need */
    atomic_fetch_sub(&s_in_callback, 1);
    record(t);
}

static void test_callbacks_serialised_on_one_task(void)
{
    enum { N = 8 };
    TimerHandle_t timers[N];
    for (int i = 0; i < N; i++) {
        timers[i] = xTimerCreate("ser", pdMS_TO_TICKS(1), pdFALSE, NULL, slow_callback);
        CHECK(xTimerStart(timers[i], portMAX_DELAY) == pdPASS);
    }
    TaskHandle_t service = NULL;
    for (int i = 0; i < N; i++) {
        firing_t f = next_firing();
        CHECK(f.task != NULL && f.task != xTaskGetCurrentTaskHandle());
        CHECK(service == NULL || f.task == service);
        service = f.task;
    }
    CHECK(atomic_load(&s_overlaps) == 0);
    for (int i = 0; i < N; i++) {
        CHECK(xTimerDelete(timers[i], portMAX_DELAY) == pdPASS);
    }
}

/* A full command queue makes a 0-tick command fail instead of blocking. */
static QueueHandle_t s_gate;

static void blocking_callback(TimerHandle_t t)
{
    (void)t;
    int token;
    CHECK(xQueueReceive(s_gate, &token, portMAX_DELAY) == pdPASS);
    record(t);
}

static void test_full_command_queue_fails_fast(void)
{
    s_gate = xQueueCreate(1, sizeof(int));
    TimerHandle_t holder = xTimerCreate("hold", pdMS_TO_TICKS(1), pdFALSE, NULL, blocking_callback);
    TimerHandle_t other = xTimerCreate("other", pdMS_TO_TICKS(1000), pdFALSE, NULL, record);
    CHECK(xTimerStart(holder, 0) == pdPASS);
    /* The service task is (or soon will be) stuck in blocking_callback, so
     * commands pile up; at most configTIMER_QUEUE_LENGTH fit. */
    int accepted = 0;
    while (xTimerStop(other, 0) == pdPASS) {
        accepted++;
        CHECK(accepted <= configTIMER_QUEUE_LENGTH + 1);
    }
    int token = 1;
    CHECK(xQueueSend(s_gate, &token, portMAX_DELAY) == pdPASS);
    CHECK(next_firing().timer == holder);
    CHECK(xTimerDelete(holder, portMAX_DELAY) == pdPASS);
    CHECK(xTimerDelete(other, portMAX_DELAY) == pdPASS);
}

/* What rtos timers rely on (luat_timer_freertos.c): a callback may clear the
 * auto-reload flag of its own timer, without sending a command. As in FreeRTOS
 * the timer was re-armed before its callback ran, so it fires once more, then
 * stays dormant. */
static atomic_int s_reload_firings;

static void quiet_after_third(TimerHandle_t t)
{
    if (atomic_fetch_add(&s_reload_firings, 1) + 1 == 3) {
        vTimerSetReloadMode(t, pdFALSE);
    }
    record(t);
}

static void test_callback_clears_reload_mode(void)
{
    TimerHandle_t t = xTimerCreate("quiet", pdMS_TO_TICKS(1), pdTRUE, NULL, quiet_after_third);
    CHECK(xTimerStart(t, 0) == pdPASS);
    for (int i = 0; i < 4; i++) {
        CHECK(next_firing().timer == t);
    }
    /* A 1-tick auto-reload timer would fire many times before this marker. */
    TimerHandle_t marker = xTimerCreate("marker", pdMS_TO_TICKS(20), pdFALSE, NULL, record);
    CHECK(xTimerStart(marker, portMAX_DELAY) == pdPASS);
    CHECK(next_firing().timer == marker);
    CHECK(atomic_load(&s_reload_firings) == 4);
    CHECK(xTimerIsTimerActive(t) == pdFALSE);
    CHECK(xTimerDelete(t, portMAX_DELAY) == pdPASS);
    CHECK(xTimerDelete(marker, portMAX_DELAY) == pdPASS);
}

/* A delete sent while the timer's callback runs is applied after the callback
 * returns, so the callback may still use its handle (not send commands for
 * it: those would be applied after the delete). Under ASan a use after free
 * here is a report. */
static QueueHandle_t s_entered;
static QueueHandle_t s_release;
static atomic_int s_delete_firings;

static void use_handle_after_delete_sent(TimerHandle_t t)
{
    int token = 1;
    if (atomic_fetch_add(&s_delete_firings, 1) == 0) { /* a late service task may catch up */
        CHECK(xQueueSend(s_entered, &token, portMAX_DELAY) == pdPASS);
        CHECK(xQueueReceive(s_release, &token, portMAX_DELAY) == pdPASS);
    }
    vTimerSetReloadMode(t, pdFALSE);
    CHECK(pvTimerGetTimerID(t) == (void *)0x5678);
    record(t);
}

static void test_delete_waits_for_running_callback(void)
{
    s_entered = xQueueCreate(1, sizeof(int));
    s_release = xQueueCreate(1, sizeof(int));
    TimerHandle_t t = xTimerCreate("del", pdMS_TO_TICKS(1), pdTRUE, (void *)0x5678,
                                   use_handle_after_delete_sent);
    CHECK(xTimerStart(t, 0) == pdPASS);
    int token;
    CHECK(xQueueReceive(s_entered, &token, portMAX_DELAY) == pdPASS);
    CHECK(xTimerDelete(t, portMAX_DELAY) == pdPASS);
    token = 1;
    CHECK(xQueueSend(s_release, &token, portMAX_DELAY) == pdPASS);
    /* Commands are applied in order: once the marker has fired, t is gone. */
    TimerHandle_t marker = xTimerCreate("marker", pdMS_TO_TICKS(5), pdFALSE, NULL, record);
    CHECK(xTimerStart(marker, portMAX_DELAY) == pdPASS);
    firing_t f;
    while ((f = next_firing()).timer != marker) {
        CHECK(f.timer == t);
    }
    CHECK(atomic_load(&s_delete_firings) >= 1);
    CHECK(xTimerDelete(marker, portMAX_DELAY) == pdPASS);
}

int main(void)
{
    s_firings = xQueueCreate(64, sizeof(firing_t));
    RUN(test_one_shot_fires_once);
    RUN(test_auto_reload_repeats_until_stopped);
    RUN(test_change_period_starts_dormant_timer);
    RUN(test_expiry_order_follows_periods);
    RUN(test_callbacks_serialised_on_one_task);
    RUN(test_full_command_queue_fails_fast);
    RUN(test_callback_clears_reload_mode);
    RUN(test_delete_waits_for_running_callback);
    return 0;
}
