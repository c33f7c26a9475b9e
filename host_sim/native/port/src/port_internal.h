/* Shared helpers of the host port (not part of the FreeRTOS API). */
#pragma once

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "freertos/FreeRTOS.h"

/* Microseconds since the port's clock origin. */
int64_t port_clock_us(void);

/* CLOCK_MONOTONIC absolute time `ticks` tick periods from now. */
struct timespec port_deadline_after_ticks(TickType_t ticks);

/* A condition variable that waits on CLOCK_MONOTONIC. */
void port_cond_init(pthread_cond_t *cond);

/* Starts the calling task thread's tick signal (port_tick.c); port_tick_stop ends it. */
timer_t port_tick_start(void);
void port_tick_stop(timer_t timer);
