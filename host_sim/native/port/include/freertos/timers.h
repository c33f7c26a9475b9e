/*
 * Software timer API of the host port, with FreeRTOS semantics: every
 * start/stop/change/delete is a command sent to one timer service task
 * (queue of configTIMER_QUEUE_LENGTH); that task runs all callbacks, one at a
 * time, in expiry order. A command fails (pdFAIL) only when the command queue
 * stays full for xTicksToWait. Callbacks must not block.
 */
#pragma once

#include "freertos/FreeRTOS.h"

typedef struct tmrTimerControl *TimerHandle_t;
typedef void (*TimerCallbackFunction_t)(TimerHandle_t xTimer);

TimerHandle_t xTimerCreate(const char *pcTimerName, TickType_t xTimerPeriodInTicks,
                           BaseType_t xAutoReload, void *pvTimerID,
                           TimerCallbackFunction_t pxCallbackFunction);

BaseType_t xTimerStart(TimerHandle_t xTimer, TickType_t xTicksToWait);
BaseType_t xTimerStop(TimerHandle_t xTimer, TickType_t xTicksToWait);
BaseType_t xTimerReset(TimerHandle_t xTimer, TickType_t xTicksToWait);
/* Changes the period and starts the timer (also a dormant one), from now. */
BaseType_t xTimerChangePeriod(TimerHandle_t xTimer, TickType_t xNewPeriod, TickType_t xTicksToWait);
BaseType_t xTimerDelete(TimerHandle_t xTimer, TickType_t xTicksToWait);

/* Reflects the commands the service task has processed so far. */
BaseType_t xTimerIsTimerActive(TimerHandle_t xTimer);
void *pvTimerGetTimerID(TimerHandle_t xTimer);
void vTimerSetTimerID(TimerHandle_t xTimer, void *pvNewID);
void vTimerSetReloadMode(TimerHandle_t xTimer, BaseType_t xAutoReload);
TickType_t xTimerGetPeriod(TimerHandle_t xTimer);
const char *pcTimerGetName(TimerHandle_t xTimer);
