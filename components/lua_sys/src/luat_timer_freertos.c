/*
 * rtos timers on FreeRTOS software timers.
 *
 * Slot states: FREE; ACTIVE (will fire again); DRAINING (fired its last time,
 * that item still in the queue: the slot stays taken until it is received, so
 * a new start cannot reuse the sequence space under it).
 *
 * FreeRTOS applies timer commands asynchronously in the timer service task,
 * so a callback may still run for a start that the Lua task has already
 * stopped. Each start therefore gets a fresh FreeRTOS timer whose timer ID
 * encodes (slot, seq); the callback ignores firings whose seq is no longer
 * the slot's.
 *
 * Ownership rule: only the Lua task sends commands for a handle (xTimerStart,
 * xTimerDelete). One task's commands are applied in order, so none can reach
 * a handle after its delete. The callback (timer service task) sends none:
 * the Lua task may already have queued the delete of that very handle, and a
 * command behind it would use freed memory (as an xTimerStop here once did).
 * To quiet an auto-reload timer after its last counted firing, the callback
 * clears its reload flag instead (vTimerSetReloadMode: a direct write, not a
 * command); the timer is dormant one period later, also when that last firing
 * was dropped. The callback may touch its own handle: only the service task
 * frees timers, and it is busy running the callback.
 * The Lua task deletes a handle when its start is stopped or replaced, when
 * its last firing is received, when its slot is reused (the last firing was
 * dropped) and at the end of a run; it waits for room in the command queue,
 * so no delete is lost.
 */
#include "luat_timer.h"

#include "freertos/FreeRTOS.h"
#include "freertos/timers.h"
#include "luat_msgbus.h"
#include "luat_ticks.h"
#include "sdkconfig.h"

/* How long timer_start may wait for room in the timer command queue. The
 * timer service task usually has a lower priority than the Lua task, so a
 * burst of starts fills the queue until the Lua task blocks and lets it run. */
#define COMMAND_WAIT_MS 100

#define SLOT_BITS 8
#define SEQ_MASK ((1u << (32 - SLOT_BITS)) - 1)
_Static_assert(CONFIG_LUA_SYS_TIMER_COUNT <= (1 << SLOT_BITS), "timer ID encoding holds 8 slot bits");

typedef enum { SLOT_FREE = 0, SLOT_ACTIVE, SLOT_DRAINING } slot_state_t;

typedef struct {
    TimerHandle_t handle; /* may outlive the start it served until the slot is reused */
    uint32_t id;
    uint32_t seq;
    int32_t remaining; /* firings left, including the next; -1 forever */
    slot_state_t state;
} timer_slot_t;

static timer_slot_t s_slots[CONFIG_LUA_SYS_TIMER_COUNT];
static uint32_t s_next_seq;
/* Guards s_slots against the timer callback. */
static portMUX_TYPE s_lock = portMUX_INITIALIZER_UNLOCKED;

static void *encode_timer_id(uint32_t slot, uint32_t seq)
{
    return (void *)(uintptr_t)((seq << SLOT_BITS) | slot);
}

static void timer_callback(TimerHandle_t handle)
{
    uintptr_t tid = (uintptr_t)pvTimerGetTimerID(handle);
    uint32_t slot_index = (uint32_t)(tid & ((1u << SLOT_BITS) - 1));
    uint32_t seq = (uint32_t)(tid >> SLOT_BITS) & SEQ_MASK;
    timer_slot_t *slot = &s_slots[slot_index];

    portENTER_CRITICAL(&s_lock);
    if (slot->seq != seq || slot->state != SLOT_ACTIVE) {
        portEXIT_CRITICAL(&s_lock);
        /* A firing that no longer counts: its handle is stopped, replaced or
         * finished, and the Lua task deletes it. Until then, keep it quiet. */
        vTimerSetReloadMode(handle, pdFALSE);
        return;
    }
    if (slot->remaining > 0) {
        slot->remaining--;
    }
    luat_msg_t msg = {
        .kind = LUAT_MSG_TIMER,
        .u.timer = { .id = slot->id, .remaining = slot->remaining, .seq = seq,
                     .slot = (uint16_t)slot_index },
    };
    bool last = slot->remaining == 0;
    if (last) {
        slot->state = SLOT_DRAINING;
    }
    portEXIT_CRITICAL(&s_lock);

    if (last) {
        /* Not xTimerStop: see the ownership rule at the top of this file. */
        vTimerSetReloadMode(handle, pdFALSE);
    }
    /* A full queue drops the firing; it is counted there like any post. */
    if (luat_msgbus_post(&msg) != ESP_OK && last) {
        portENTER_CRITICAL(&s_lock);
        if (slot->seq == seq && slot->state == SLOT_DRAINING) {
            slot->state = SLOT_FREE; /* nothing left to drain; handle deleted on reuse */
        }
        portEXIT_CRITICAL(&s_lock);
    }
}

/* Deletes a handle left in a slot; Lua task only. Blocks while the timer
 * command queue is full: a delete must never be lost (it would leak). */
static void release_handle(TimerHandle_t handle)
{
    if (handle != NULL) {
        BaseType_t ok = xTimerDelete(handle, portMAX_DELAY);
        configASSERT(ok == pdPASS);
    }
}

/* Ends the start of `slot` and takes its handle; called with s_lock held. */
static TimerHandle_t cancel_locked(timer_slot_t *slot)
{
    TimerHandle_t handle = slot->handle;
    slot->handle = NULL;
    slot->state = SLOT_FREE;
    return handle;
}

/* Cancels every start of `id` (active or draining); returns whether one was
 * active. The handles to delete are written to `handles` (one per slot). */
static bool cancel_id(uint32_t id, TimerHandle_t handles[CONFIG_LUA_SYS_TIMER_COUNT])
{
    bool was_active = false;
    portENTER_CRITICAL(&s_lock);
    for (int i = 0; i < CONFIG_LUA_SYS_TIMER_COUNT; i++) {
        timer_slot_t *slot = &s_slots[i];
        handles[i] = NULL;
        if (slot->state != SLOT_FREE && slot->id == id) {
            was_active |= slot->state == SLOT_ACTIVE;
            handles[i] = cancel_locked(slot);
        }
    }
    portEXIT_CRITICAL(&s_lock);
    return was_active;
}

static void release_handles(TimerHandle_t handles[CONFIG_LUA_SYS_TIMER_COUNT])
{
    for (int i = 0; i < CONFIG_LUA_SYS_TIMER_COUNT; i++) {
        release_handle(handles[i]);
    }
}

esp_err_t luat_timer_start(uint32_t id, uint32_t ms, int32_t count)
{
    TimerHandle_t handles[CONFIG_LUA_SYS_TIMER_COUNT];
    cancel_id(id, handles);
    release_handles(handles);

    int index = -1;
    TimerHandle_t stale = NULL;
    uint32_t seq = 0;
    portENTER_CRITICAL(&s_lock);
    for (int i = 0; i < CONFIG_LUA_SYS_TIMER_COUNT; i++) {
        if (s_slots[i].state == SLOT_FREE) {
            index = i;
            timer_slot_t *slot = &s_slots[i];
            stale = slot->handle;
            slot->handle = NULL;
            s_next_seq = (s_next_seq + 1) & SEQ_MASK;
            seq = slot->seq = s_next_seq;
            slot->id = id;
            slot->remaining = count;
            slot->state = SLOT_ACTIVE;
            break;
        }
    }
    portEXIT_CRITICAL(&s_lock);
    if (index < 0) {
        return ESP_ERR_NO_MEM;
    }
    release_handle(stale);

    TimerHandle_t handle = xTimerCreate("rtos", luat_ms_to_ticks(ms), count != 1 ? pdTRUE : pdFALSE,
                                        encode_timer_id((uint32_t)index, seq), timer_callback);
    if (handle != NULL && xTimerStart(handle, luat_ms_to_ticks(COMMAND_WAIT_MS)) != pdPASS) {
        release_handle(handle);
        handle = NULL;
    }
    portENTER_CRITICAL(&s_lock);
    if (handle == NULL) {
        s_slots[index].state = SLOT_FREE;
    } else {
        s_slots[index].handle = handle;
    }
    portEXIT_CRITICAL(&s_lock);
    return handle == NULL ? ESP_FAIL : ESP_OK;
}

bool luat_timer_stop(uint32_t id)
{
    TimerHandle_t handles[CONFIG_LUA_SYS_TIMER_COUNT];
    bool was_active = cancel_id(id, handles);
    release_handles(handles);
    return was_active;
}

bool luat_timer_accept(const luat_msg_t *msg)
{
    uint32_t index = msg->u.timer.slot;
    if (index >= CONFIG_LUA_SYS_TIMER_COUNT) {
        return false;
    }
    timer_slot_t *slot = &s_slots[index];
    TimerHandle_t finished = NULL;
    portENTER_CRITICAL(&s_lock);
    bool current = slot->state != SLOT_FREE && slot->seq == msg->u.timer.seq;
    if (current && msg->u.timer.remaining == 0) {
        finished = cancel_locked(slot);
    }
    portEXIT_CRITICAL(&s_lock);
    release_handle(finished);
    return current;
}

uint32_t luat_timer_active_count(void)
{
    uint32_t n = 0;
    portENTER_CRITICAL(&s_lock);
    for (int i = 0; i < CONFIG_LUA_SYS_TIMER_COUNT; i++) {
        n += s_slots[i].state == SLOT_ACTIVE;
    }
    portEXIT_CRITICAL(&s_lock);
    return n;
}

void luat_timer_stop_all(void)
{
    TimerHandle_t handles[CONFIG_LUA_SYS_TIMER_COUNT];
    portENTER_CRITICAL(&s_lock);
    for (int i = 0; i < CONFIG_LUA_SYS_TIMER_COUNT; i++) {
        handles[i] = cancel_locked(&s_slots[i]);
    }
    portEXIT_CRITICAL(&s_lock);
    release_handles(handles);
}
