/* Queue API of the host port: bounded FIFO of fixed-size items, copied in and out. */
#pragma once

#include "freertos/FreeRTOS.h"

typedef struct QueueDefinition *QueueHandle_t;

QueueHandle_t xQueueCreate(UBaseType_t uxQueueLength, UBaseType_t uxItemSize);
void vQueueDelete(QueueHandle_t xQueue);

/* Returns pdPASS, or errQUEUE_FULL when no space appeared within xTicksToWait. */
BaseType_t xQueueSend(QueueHandle_t xQueue, const void *pvItemToQueue, TickType_t xTicksToWait);
#define xQueueSendToBack(q, item, ticks) xQueueSend((q), (item), (ticks))

/* Never blocks. Sets *pxHigherPriorityTaskWoken to pdTRUE when the item woke a
 * task blocked in xQueueReceive (left untouched otherwise, as in FreeRTOS). */
BaseType_t xQueueSendFromISR(QueueHandle_t xQueue, const void *pvItemToQueue,
                             BaseType_t *pxHigherPriorityTaskWoken);
#define xQueueSendToBackFromISR(q, item, woken) xQueueSendFromISR((q), (item), (woken))

/* Returns pdPASS, or pdFALSE (errQUEUE_EMPTY) when nothing arrived within
 * xTicksToWait. portMAX_DELAY waits with no limit. */
BaseType_t xQueueReceive(QueueHandle_t xQueue, void *pvBuffer, TickType_t xTicksToWait);
BaseType_t xQueueReceiveFromISR(QueueHandle_t xQueue, void *pvBuffer,
                                BaseType_t *pxHigherPriorityTaskWoken);

UBaseType_t uxQueueMessagesWaiting(QueueHandle_t xQueue);
UBaseType_t uxQueueMessagesWaitingFromISR(QueueHandle_t xQueue);
UBaseType_t uxQueueSpacesAvailable(QueueHandle_t xQueue);
