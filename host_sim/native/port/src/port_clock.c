/* The host port's clock: one CLOCK_MONOTONIC origin shared by the tick count,
 * esp_timer_get_time() and the blocking deadlines of queues. */
#include "port_internal.h"

#include <time.h>

static struct timespec s_origin;
static pthread_once_t s_origin_once = PTHREAD_ONCE_INIT;

static void port_clock_init(void)
{
    clock_gettime(CLOCK_MONOTONIC, &s_origin);
}

int64_t port_clock_us(void)
{
    pthread_once(&s_origin_once, port_clock_init);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - s_origin.tv_sec) * 1000000 +
           (now.tv_nsec - s_origin.tv_nsec) / 1000;
}

TickType_t xTaskGetTickCount(void)
{
    return (TickType_t)(port_clock_us() / (1000000 / configTICK_RATE_HZ));
}

TickType_t xTaskGetTickCountFromISR(void)
{
    return xTaskGetTickCount();
}

struct timespec port_deadline_after_ticks(TickType_t ticks)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    int64_t ns = t.tv_nsec + (int64_t)ticks * (1000000000 / configTICK_RATE_HZ);
    t.tv_sec += (time_t)(ns / 1000000000);
    t.tv_nsec = (long)(ns % 1000000000);
    return t;
}

void port_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}
