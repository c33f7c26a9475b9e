/* Queues: FIFO order, bounded capacity, errQUEUE_FULL, timeouts, FromISR. */
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "port_test.h"

static void test_fifo_and_full(void)
{
    QueueHandle_t q = xQueueCreate(3, sizeof(int));
    CHECK(q != NULL);
    for (int i = 1; i <= 3; i++) {
        CHECK(xQueueSend(q, &i, 0) == pdPASS);
    }
    int extra = 4;
    CHECK(xQueueSend(q, &extra, 0) == errQUEUE_FULL);
    CHECK(uxQueueMessagesWaiting(q) == 3);
    CHECK(uxQueueSpacesAvailable(q) == 0);
    for (int i = 1; i <= 3; i++) {
        int v = 0;
        CHECK(xQueueReceive(q, &v, 0) == pdPASS);
        CHECK(v == i);
    }
    int v;
    CHECK(xQueueReceive(q, &v, 0) == errQUEUE_EMPTY);
    vQueueDelete(q);
}

static void test_wraparound_keeps_order(void)
{
    QueueHandle_t q = xQueueCreate(4, sizeof(int));
    int next_in = 0, next_out = 0;
    for (int round = 0; round < 10; round++) {
        for (int k = 0; k < 3; k++, next_in++) {
            CHECK(xQueueSend(q, &next_in, 0) == pdPASS);
        }
        for (int k = 0; k < 3; k++, next_out++) {
            int v;
            CHECK(xQueueReceive(q, &v, 0) == pdPASS);
            CHECK(v == next_out);
        }
    }
    vQueueDelete(q);
}

static void test_receive_times_out_empty(void)
{
    QueueHandle_t q = xQueueCreate(1, sizeof(int));
    int v;
    CHECK(xQueueReceive(q, &v, pdMS_TO_TICKS(5)) == errQUEUE_EMPTY);
    int one = 1;
    CHECK(xQueueSend(q, &one, 0) == pdPASS);
    CHECK(xQueueSend(q, &one, pdMS_TO_TICKS(5)) == errQUEUE_FULL);
    vQueueDelete(q);
}

static void test_from_isr_never_blocks(void)
{
    QueueHandle_t q = xQueueCreate(2, sizeof(int));
    BaseType_t woken = pdFALSE;
    int a = 7, b = 8, c = 9;
    CHECK(xQueueSendFromISR(q, &a, &woken) == pdPASS);
    CHECK(woken == pdFALSE); /* nobody was waiting */
    CHECK(xQueueSendFromISR(q, &b, NULL) == pdPASS);
    CHECK(xQueueSendFromISR(q, &c, &woken) == errQUEUE_FULL);
    CHECK(uxQueueMessagesWaitingFromISR(q) == 2);
    int v;
    CHECK(xQueueReceiveFromISR(q, &v, &woken) == pdPASS && v == 7);
    CHECK(xQueueReceive(q, &v, 0) == pdPASS && v == 8);
    vQueueDelete(q);
}

/* A receiver blocked with portMAX_DELAY; the "ISR" must report it woke it.
 * The receiver discards 0s and reports the first non-zero value. */
static QueueHandle_t s_q;
static QueueHandle_t s_result;

static void blocked_receiver(void *arg)
{
    (void)arg;
    int v = 0;
    while (v == 0) {
        CHECK(xQueueReceive(s_q, &v, portMAX_DELAY) == pdPASS);
    }
    CHECK(xQueueSend(s_result, &v, portMAX_DELAY) == pdPASS);
    vTaskDelete(NULL);
}

static void test_from_isr_wakes_blocked_receiver(void)
{
    s_q = xQueueCreate(1, sizeof(int));
    s_result = xQueueCreate(1, sizeof(int));
    CHECK(xTaskCreate(blocked_receiver, "rx", 4096, NULL, 5, NULL) == pdPASS);
    /* Post 0s until one lands while the receiver is blocked (no timing assumed). */
    BaseType_t woken = pdFALSE;
    const int zero = 0;
    while (woken == pdFALSE) {
        vTaskDelay(1);
        (void)xQueueSendFromISR(s_q, &zero, &woken);
    }
    portYIELD_FROM_ISR(woken);
    const int answer = 42;
    CHECK(xQueueSend(s_q, &answer, portMAX_DELAY) == pdPASS);
    int got;
    CHECK(xQueueReceive(s_result, &got, portMAX_DELAY) == pdPASS);
    CHECK(got == 42);
}

/* Many producers, one consumer: nothing lost, nothing duplicated, per-producer order kept. */
#define PRODUCERS 4
#define PER_PRODUCER 2000

static QueueHandle_t s_mp;

static void producer(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < PER_PRODUCER; i++) {
        int item = id * PER_PRODUCER + i;
        CHECK(xQueueSend(s_mp, &item, portMAX_DELAY) == pdPASS);
    }
    vTaskDelete(NULL);
}

static void test_many_producers(void)
{
    s_mp = xQueueCreate(8, sizeof(int));
    for (int p = 0; p < PRODUCERS; p++) {
        CHECK(xTaskCreate(producer, "tx", 4096, (void *)(intptr_t)p, 5, NULL) == pdPASS);
    }
    int last[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++) {
        last[p] = -1;
    }
    for (int n = 0; n < PRODUCERS * PER_PRODUCER; n++) {
        int item;
        CHECK(xQueueReceive(s_mp, &item, portMAX_DELAY) == pdPASS);
        int p = item / PER_PRODUCER, i = item % PER_PRODUCER;
        CHECK(i == last[p] + 1);
        last[p] = i;
    }
    int item;
    CHECK(xQueueReceive(s_mp, &item, 0) == errQUEUE_EMPTY);
}

int main(void)
{
    RUN(test_fifo_and_full);
    RUN(test_wraparound_keeps_order);
    RUN(test_receive_times_out_empty);
    RUN(test_from_isr_never_blocks);
    RUN(test_from_isr_wakes_blocked_receiver);
    RUN(test_many_producers);
    return 0;
}
