/* Queues of the host port: a ring buffer guarded by one mutex, with one
 * condition variable per direction. Items are copied in and out like FreeRTOS. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "freertos/queue.h"
#include "port_internal.h"

struct QueueDefinition {
    pthread_mutex_t lock;
    pthread_cond_t can_receive;
    pthread_cond_t can_send;
    UBaseType_t length;
    UBaseType_t item_size;
    UBaseType_t head;
    UBaseType_t count;
    unsigned waiting_receivers;
    unsigned waiting_senders;
    uint8_t storage[];
};

QueueHandle_t xQueueCreate(UBaseType_t uxQueueLength, UBaseType_t uxItemSize)
{
    if (uxQueueLength == 0 || uxItemSize == 0) {
        return NULL;
    }
    QueueHandle_t q = calloc(1, sizeof(*q) + uxQueueLength * uxItemSize);
    if (q == NULL) {
        return NULL;
    }
    pthread_mutex_init(&q->lock, NULL);
    port_cond_init(&q->can_receive);
    port_cond_init(&q->can_send);
    q->length = uxQueueLength;
    q->item_size = uxItemSize;
    return q;
}

void vQueueDelete(QueueHandle_t xQueue)
{
    configASSERT(xQueue != NULL);
    pthread_cond_destroy(&xQueue->can_receive);
    pthread_cond_destroy(&xQueue->can_send);
    pthread_mutex_destroy(&xQueue->lock);
    free(xQueue);
}

/* Waits on `cond` until `ready(q)` or the timeout; called with q->lock held. */
static BaseType_t queue_wait(QueueHandle_t q, pthread_cond_t *cond, unsigned *waiters,
                             BaseType_t (*ready)(QueueHandle_t), TickType_t ticks)
{
    if (ready(q)) {
        return pdTRUE;
    }
    if (ticks == 0) {
        return pdFALSE;
    }
    struct timespec deadline = port_deadline_after_ticks(ticks);
    (*waiters)++;
    while (!ready(q)) {
        int rc = ticks == portMAX_DELAY ? pthread_cond_wait(cond, &q->lock)
                                        : pthread_cond_timedwait(cond, &q->lock, &deadline);
        if (rc == ETIMEDOUT) {
            break;
        }
    }
    (*waiters)--;
    return ready(q);
}

static BaseType_t queue_has_space(QueueHandle_t q)
{
    return q->count < q->length;
}

static BaseType_t queue_has_item(QueueHandle_t q)
{
    return q->count > 0;
}

/* Copies the item in and wakes one receiver; returns whether one was waiting. */
static BaseType_t queue_push(QueueHandle_t q, const void *item)
{
    UBaseType_t tail = (q->head + q->count) % q->length;
    memcpy(&q->storage[tail * q->item_size], item, q->item_size);
    q->count++;
    BaseType_t woke = q->waiting_receivers > 0;
    pthread_cond_signal(&q->can_receive);
    return woke;
}

static BaseType_t queue_pop(QueueHandle_t q, void *buffer)
{
    memcpy(buffer, &q->storage[q->head * q->item_size], q->item_size);
    q->head = (q->head + 1) % q->length;
    q->count--;
    BaseType_t woke = q->waiting_senders > 0;
    pthread_cond_signal(&q->can_send);
    return woke;
}

BaseType_t xQueueSend(QueueHandle_t xQueue, const void *pvItemToQueue, TickType_t xTicksToWait)
{
    configASSERT(xQueue != NULL);
    pthread_mutex_lock(&xQueue->lock);
    BaseType_t ok = queue_wait(xQueue, &xQueue->can_send, &xQueue->waiting_senders,
                               queue_has_space, xTicksToWait);
    if (ok) {
        queue_push(xQueue, pvItemToQueue);
    }
    pthread_mutex_unlock(&xQueue->lock);
    return ok ? pdPASS : errQUEUE_FULL;
}

BaseType_t xQueueSendFromISR(QueueHandle_t xQueue, const void *pvItemToQueue,
                             BaseType_t *pxHigherPriorityTaskWoken)
{
    configASSERT(xQueue != NULL);
    pthread_mutex_lock(&xQueue->lock);
    BaseType_t ok = queue_has_space(xQueue);
    if (ok && queue_push(xQueue, pvItemToQueue) && pxHigherPriorityTaskWoken != NULL) {
        *pxHigherPriorityTaskWoken = pdTRUE;
    }
    pthread_mutex_unlock(&xQueue->lock);
    return ok ? pdPASS : errQUEUE_FULL;
}

BaseType_t xQueueReceive(QueueHandle_t xQueue, void *pvBuffer, TickType_t xTicksToWait)
{
    configASSERT(xQueue != NULL);
    pthread_mutex_lock(&xQueue->lock);
    BaseType_t ok = queue_wait(xQueue, &xQueue->can_receive, &xQueue->waiting_receivers,
                               queue_has_item, xTicksToWait);
    if (ok) {
        queue_pop(xQueue, pvBuffer);
    }
    pthread_mutex_unlock(&xQueue->lock);
    return ok ? pdPASS : errQUEUE_EMPTY;
}

BaseType_t xQueueReceiveFromISR(QueueHandle_t xQueue, void *pvBuffer,
                                BaseType_t *pxHigherPriorityTaskWoken)
{
    configASSERT(xQueue != NULL);
    pthread_mutex_lock(&xQueue->lock);
    BaseType_t ok = queue_has_item(xQueue);
    if (ok && queue_pop(xQueue, pvBuffer) && pxHigherPriorityTaskWoken != NULL) {
        *pxHigherPriorityTaskWoken = pdTRUE;
    }
    pthread_mutex_unlock(&xQueue->lock);
    return ok ? pdPASS : errQUEUE_EMPTY;
}

UBaseType_t uxQueueMessagesWaiting(QueueHandle_t xQueue)
{
    configASSERT(xQueue != NULL);
    pthread_mutex_lock(&xQueue->lock);
    UBaseType_t n = xQueue->count;
    pthread_mutex_unlock(&xQueue->lock);
    return n;
}

UBaseType_t uxQueueMessagesWaitingFromISR(QueueHandle_t xQueue)
{
    return uxQueueMessagesWaiting(xQueue);
}

UBaseType_t uxQueueSpacesAvailable(QueueHandle_t xQueue)
{
    configASSERT(xQueue != NULL);
    pthread_mutex_lock(&xQueue->lock);
    UBaseType_t n = xQueue->length - xQueue->count;
    pthread_mutex_unlock(&xQueue->lock);
    return n;
}
