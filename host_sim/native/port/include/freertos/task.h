/* Task API of the host port: a task is a detached pthread. Priorities, core
 * affinity and stack depth are accepted and ignored (host threads use the
 * default pthread stack, larger than any FreeRTOS stack). */
#pragma once

#include "freertos/FreeRTOS.h"

typedef struct tskTaskControlBlock *TaskHandle_t;
typedef void (*TaskFunction_t)(void *);

BaseType_t xTaskCreate(TaskFunction_t pxTaskCode, const char *pcName, uint32_t usStackDepth,
                       void *pvParameters, UBaseType_t uxPriority, TaskHandle_t *pxCreatedTask);
BaseType_t xTaskCreatePinnedToCore(TaskFunction_t pxTaskCode, const char *pcName,
                                   uint32_t usStackDepth, void *pvParameters,
                                   UBaseType_t uxPriority, TaskHandle_t *pxCreatedTask,
                                   BaseType_t xCoreID);

/* Only self-deletion (xTaskToDelete == NULL or the calling task) is supported. */
void vTaskDelete(TaskHandle_t xTaskToDelete);
void vTaskDelay(TickType_t xTicksToDelay);
/* Every task has a thread of its own: a yield gives the CPU to another thread. */
#define taskYIELD() vPortYieldFromISR()
TaskHandle_t xTaskGetCurrentTaskHandle(void);

/* Ticks at configTICK_RATE_HZ since the port started (CLOCK_MONOTONIC). */
TickType_t xTaskGetTickCount(void);
TickType_t xTaskGetTickCountFromISR(void);
