/*
 * Software timers of the host port, modelled on FreeRTOS timers.c: API calls
 * only post commands; one service task owns the active list, applies the
 * commands in order and runs the callbacks of expired timers one at a time.
 *
 * Timer state is read by API callers (xTimerIsTimerActive, pvTimerGetTimerID)
 * under s_lock; the active/expiry fields are written only by the service task.
 */
#include <stdlib.h>

#include "freertos/queue.h"
#include "freertos/task.h"
#include "freertos/timers.h"
#include "port_internal.h"

struct tmrTimerControl {
    const char *name;
    TickType_t period;
    BaseType_t auto_reload;
    void *id;
    TimerCallbackFunction_t callback;
    BaseType_t active;
    TickType_t expiry;
    struct tmrTimerControl *next_active;
};

typedef enum {
    TIMER_CMD_START,
    TIMER_CMD_STOP,
    TIMER_CMD_CHANGE_PERIOD,
    TIMER_CMD_DELETE,
} timer_cmd_kind_t;

typedef struct {
    timer_cmd_kind_t kind;
    TimerHandle_t timer;
    TickType_t value; /* START: tick at which it was issued; CHANGE_PERIOD: new period */
} timer_cmd_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t s_service_once = PTHREAD_ONCE_INIT;
static QueueHandle_t s_commands;
static TimerHandle_t s_active; /* sorted by expiry, earliest first */

/* Ticks from `now` until `t`, 0 if already due (wrap-safe like FreeRTOS). */
static TickType_t ticks_until(TickType_t t, TickType_t now)
{
    TickType_t d = t - now;
    return d > (portMAX_DELAY >> 1) ? 0 : d;
}

static void active_remove(TimerHandle_t t)
{
    for (TimerHandle_t *p = &s_active; *p != NULL; p = &(*p)->next_active) {
        if (*p == t) {
            *p = t->next_active;
            break;
        }
    }
    t->active = pdFALSE;
}

static void active_insert(TimerHandle_t t, TickType_t expiry, TickType_t now)
{
    active_remove(t);
    t->expiry = expiry;
    t->active = pdTRUE;
    TimerHandle_t *p = &s_active;
    while (*p != NULL && ticks_until((*p)->expiry, now) <= ticks_until(expiry, now)) {
        p = &(*p)->next_active;
    }
    t->next_active = *p;
    *p = t;
}

/* Pops the earliest timer if it is due at `now`, re-arming or deactivating it. */
static TimerHandle_t take_expired(TickType_t now)
{
    pthread_mutex_lock(&s_lock);
    TimerHandle_t t = s_active;
    if (t == NULL || ticks_until(t->expiry, now) > 0) {
        t = NULL;
    } else if (t->auto_reload) {
        /* Like prvReloadTimer: missed periods each get their callback. */
        active_insert(t, t->expiry + t->period, now);
    } else {
        active_remove(t);
    }
    pthread_mutex_unlock(&s_lock);
    return t;
}

static void apply_command(const timer_cmd_t *cmd)
{
    TimerHandle_t t = cmd->timer;
    TickType_t now = xTaskGetTickCount();
    pthread_mutex_lock(&s_lock);
    switch (cmd->kind) {
    case TIMER_CMD_START:
        /* The period runs from when the command was issued, as in FreeRTOS. */
        active_insert(t, cmd->value + t->period, now);
        break;
    case TIMER_CMD_CHANGE_PERIOD:
        t->period = cmd->value;
        active_insert(t, now + t->period, now);
        break;
    case TIMER_CMD_STOP:
        active_remove(t);
        break;
    case TIMER_CMD_DELETE:
        active_remove(t);
        free(t);
        break;
    }
    pthread_mutex_unlock(&s_lock);
}

static void timer_service_task(void *arg)
{
    (void)arg;
    for (;;) {
        TickType_t now = xTaskGetTickCount();
        TimerHandle_t due;
        while ((due = take_expired(now)) != NULL) {
            due->callback(due);
        }
        pthread_mutex_lock(&s_lock);
        TickType_t wait = s_active == NULL ? portMAX_DELAY : ticks_until(s_active->expiry, now);
        pthread_mutex_unlock(&s_lock);
        timer_cmd_t cmd;
        /* A deadline that falls inside the current tick still needs one tick. */
        if (xQueueReceive(s_commands, &cmd, wait == 0 ? 1 : wait) == pdPASS) {
            do {
                apply_command(&cmd);
            } while (xQueueReceive(s_commands, &cmd, 0) == pdPASS);
        }
    }
}

static void timer_service_start(void)
{
    s_commands = xQueueCreate(configTIMER_QUEUE_LENGTH, sizeof(timer_cmd_t));
    configASSERT(s_commands != NULL);
    BaseType_t rc = xTaskCreate(timer_service_task, "Tmr Svc", 4096, NULL,
                                configTIMER_TASK_PRIORITY, NULL);
    configASSERT(rc == pdPASS);
}

TimerHandle_t xTimerCreate(const char *pcTimerName, TickType_t xTimerPeriodInTicks,
                           BaseType_t xAutoReload, void *pvTimerID,
                           TimerCallbackFunction_t pxCallbackFunction)
{
    configASSERT(xTimerPeriodInTicks > 0);
    pthread_once(&s_service_once, timer_service_start);
    TimerHandle_t t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
    t->name = pcTimerName;
    t->period = xTimerPeriodInTicks;
    t->auto_reload = xAutoReload;
    t->id = pvTimerID;
    t->callback = pxCallbackFunction;
    return t;
}

static BaseType_t send_command(timer_cmd_kind_t kind, TimerHandle_t t, TickType_t value,
                               TickType_t wait)
{
    configASSERT(t != NULL);
    timer_cmd_t cmd = { .kind = kind, .timer = t, .value = value };
    return xQueueSend(s_commands, &cmd, wait);
}

BaseType_t xTimerStart(TimerHandle_t xTimer, TickType_t xTicksToWait)
{
    return send_command(TIMER_CMD_START, xTimer, xTaskGetTickCount(), xTicksToWait);
}

BaseType_t xTimerReset(TimerHandle_t xTimer, TickType_t xTicksToWait)
{
    return xTimerStart(xTimer, xTicksToWait);
}

BaseType_t xTimerStop(TimerHandle_t xTimer, TickType_t xTicksToWait)
{
    return send_command(TIMER_CMD_STOP, xTimer, 0, xTicksToWait);
}

BaseType_t xTimerChangePeriod(TimerHandle_t xTimer, TickType_t xNewPeriod, TickType_t xTicksToWait)
{
    configASSERT(xNewPeriod > 0);
    return send_command(TIMER_CMD_CHANGE_PERIOD, xTimer, xNewPeriod, xTicksToWait);
}

BaseType_t xTimerDelete(TimerHandle_t xTimer, TickType_t xTicksToWait)
{
    return send_command(TIMER_CMD_DELETE, xTimer, 0, xTicksToWait);
}

BaseType_t xTimerIsTimerActive(TimerHandle_t xTimer)
{
    pthread_mutex_lock(&s_lock);
    BaseType_t active = xTimer->active;
    pthread_mutex_unlock(&s_lock);
    return active;
}

void *pvTimerGetTimerID(TimerHandle_t xTimer)
{
    pthread_mutex_lock(&s_lock);
    void *id = xTimer->id;
    pthread_mutex_unlock(&s_lock);
    return id;
}

void vTimerSetTimerID(TimerHandle_t xTimer, void *pvNewID)
{
    pthread_mutex_lock(&s_lock);
    xTimer->id = pvNewID;
    pthread_mutex_unlock(&s_lock);
}

void vTimerSetReloadMode(TimerHandle_t xTimer, BaseType_t xAutoReload)
{
    pthread_mutex_lock(&s_lock);
    xTimer->auto_reload = xAutoReload;
    pthread_mutex_unlock(&s_lock);
}

TickType_t xTimerGetPeriod(TimerHandle_t xTimer)
{
    pthread_mutex_lock(&s_lock);
    TickType_t period = xTimer->period;
    pthread_mutex_unlock(&s_lock);
    return period;
}

const char *pcTimerGetName(TimerHandle_t xTimer)
{
    return xTimer->name;
}
