/* The message bus on one FreeRTOS queue. See luat_msgbus.h for the counting rules. */
#include "luat_msgbus.h"

#include "esp_attr.h"
#include "freertos/queue.h"

static QueueHandle_t s_queue;
/* Guards the counters; taken from tasks and ISRs (a spinlock on SMP chips). */
static portMUX_TYPE s_lock = portMUX_INITIALIZER_UNLOCKED;
static uint64_t s_posted;
static uint64_t s_received;
static uint64_t s_dropped;
static uint64_t s_rejected;
static uint32_t s_high_water;

esp_err_t luat_msgbus_init(void)
{
    if (s_queue != NULL) {
        return ESP_OK;
    }
    QueueHandle_t q = xQueueCreate(CONFIG_LUA_SYS_QUEUE_DEPTH, sizeof(luat_msg_t));
    if (q == NULL) {
        return ESP_ERR_NO_MEM;
    }
    s_queue = q;
    return ESP_OK;
}

IRAM_ATTR bool luat_msgbus_ready(void)
{
    return s_queue != NULL;
}

static IRAM_ATTR void reserve(bool from_isr)
{
    if (from_isr) {
        portENTER_CRITICAL_ISR(&s_lock);
    } else {
        portENTER_CRITICAL(&s_lock);
    }
    s_posted++;
    if (from_isr) {
        portEXIT_CRITICAL_ISR(&s_lock);
    } else {
        portEXIT_CRITICAL(&s_lock);
    }
}

/* Settles a reservation: updates the high-water mark, or turns it into a drop. */
static IRAM_ATTR void settle(bool from_isr, bool accepted)
{
    if (from_isr) {
        portENTER_CRITICAL_ISR(&s_lock);
    } else {
        portENTER_CRITICAL(&s_lock);
    }
    if (accepted) {
        /* Concurrent reservations that are about to fail may push this past
         * the capacity for an instant; the queue itself never is. */
        uint64_t depth = s_posted - s_received;
        if (depth > CONFIG_LUA_SYS_QUEUE_DEPTH) {
            depth = CONFIG_LUA_SYS_QUEUE_DEPTH;
        }
        if (depth > s_high_water) {
            s_high_water = (uint32_t)depth;
        }
    } else {
        s_posted--;
        s_dropped++;
    }
    if (from_isr) {
        portEXIT_CRITICAL_ISR(&s_lock);
    } else {
        portEXIT_CRITICAL(&s_lock);
    }
}

esp_err_t luat_msgbus_post(const luat_msg_t *msg)
{
    reserve(false);
    bool ok = s_queue != NULL && xQueueSend(s_queue, msg, 0) == pdPASS;
    settle(false, ok);
    if (ok) {
        return ESP_OK;
    }
    return s_queue == NULL ? ESP_ERR_INVALID_STATE : ESP_ERR_NO_MEM;
}

IRAM_ATTR esp_err_t luat_msgbus_post_from_isr(const luat_msg_t *msg, BaseType_t *woken)
{
    reserve(true);
    bool ok = s_queue != NULL && xQueueSendFromISR(s_queue, msg, woken) == pdPASS;
    settle(true, ok);
    if (ok) {
        return ESP_OK;
    }
    return s_queue == NULL ? ESP_ERR_INVALID_STATE : ESP_ERR_NO_MEM;
}

IRAM_ATTR void luat_msgbus_count_rejected(void)
{
    portENTER_CRITICAL_SAFE(&s_lock);
    s_rejected++;
    portEXIT_CRITICAL_SAFE(&s_lock);
}

bool luat_msgbus_receive(luat_msg_t *out, TickType_t ticks)
{
    if (xQueueReceive(s_queue, out, ticks) != pdPASS) {
        return false;
    }
    if (out->kind != LUAT_MSG_WAKE) {
        portENTER_CRITICAL(&s_lock);
        s_received++;
        portEXIT_CRITICAL(&s_lock);
    }
    return true;
}

void luat_msgbus_wake(void)
{
    if (s_queue == NULL) {
        return;
    }
    const luat_msg_t wake = { .kind = LUAT_MSG_WAKE };
    (void)xQueueSend(s_queue, &wake, 0);
}

uint32_t luat_msgbus_depth(void)
{
    portENTER_CRITICAL(&s_lock);
    uint32_t depth = (uint32_t)(s_posted - s_received);
    portEXIT_CRITICAL(&s_lock);
    return depth;
}

void luat_msgbus_stats(lua_sys_queue_stats_t *out)
{
    portENTER_CRITICAL(&s_lock);
    *out = (lua_sys_queue_stats_t){
        .capacity = CONFIG_LUA_SYS_QUEUE_DEPTH,
        .depth = (uint32_t)(s_posted - s_received),
        .high_water = s_high_water,
        .posted = s_posted,
        .received = s_received,
        .dropped = s_dropped,
        .rejected = s_rejected,
    };
    portEXIT_CRITICAL(&s_lock);
}
