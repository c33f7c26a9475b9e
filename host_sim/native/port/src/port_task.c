/* Tasks, critical sections and yields of the host port. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "freertos/task.h"
#include "port_internal.h"

struct tskTaskControlBlock {
    pthread_t thread;
    TaskFunction_t code;
    void *param;
    timer_t tick;
};

static __thread TaskHandle_t s_current;

static void *task_trampoline(void *arg)
{
    TaskHandle_t task = arg;
    s_current = task;
    task->tick = port_tick_start();
    task->code(task->param);
    /* A FreeRTOS task function must not return; treat it like vTaskDelete(NULL). */
    vTaskDelete(NULL);
    return NULL;
}

BaseType_t xTaskCreatePinnedToCore(TaskFunction_t pxTaskCode, const char *pcName,
                                   uint32_t usStackDepth, void *pvParameters,
                                   UBaseType_t uxPriority, TaskHandle_t *pxCreatedTask,
                                   BaseType_t xCoreID)
{
    (void)pcName;
    (void)usStackDepth;
    (void)uxPriority;
    (void)xCoreID;
    TaskHandle_t task = calloc(1, sizeof(*task));
    if (task == NULL) {
        return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
    }
    task->code = pxTaskCode;
    task->param = pvParameters;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&task->thread, &attr, task_trampoline, task);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(task);
        return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
    }
    if (pxCreatedTask != NULL) {
        *pxCreatedTask = task;
    }
    return pdPASS;
}

BaseType_t xTaskCreate(TaskFunction_t pxTaskCode, const char *pcName, uint32_t usStackDepth,
                       void *pvParameters, UBaseType_t uxPriority, TaskHandle_t *pxCreatedTask)
{
    return xTaskCreatePinnedToCore(pxTaskCode, pcName, usStackDepth, pvParameters, uxPriority,
                                   pxCreatedTask, tskNO_AFFINITY);
}

void vTaskDelete(TaskHandle_t xTaskToDelete)
{
    /* Deleting another task would need thread cancellation, which the
     * component never does; fail loudly rather than emulate it badly. */
    configASSERT(xTaskToDelete == NULL || xTaskToDelete == s_current);
    port_tick_stop(s_current->tick);
    free(s_current);
    s_current = NULL;
    pthread_exit(NULL);
}

TaskHandle_t xTaskGetCurrentTaskHandle(void)
{
    return s_current;
}

void vTaskDelay(TickType_t xTicksToDelay)
{
    struct timespec deadline = port_deadline_after_ticks(xTicksToDelay);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) != 0) {
    }
}

void vPortEnterCritical(portMUX_TYPE *mux)
{
    pthread_mutex_lock(&mux->mutex);
}

void vPortExitCritical(portMUX_TYPE *mux)
{
    pthread_mutex_unlock(&mux->mutex);
}

void vPortYieldFromISR(void)
{
    sched_yield();
}

void vPortAssertFailed(const char *file, int line, const char *expr)
{
    fprintf(stderr, "host port: assert failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
