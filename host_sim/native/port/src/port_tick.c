/* The host port's tick signal. FreeRTOS's POSIX port (ESP-IDF's linux target) ticks
 * on SIGALRM, installed without SA_RESTART, so a task blocked in a system call
 * (poll(), read(), write() on a pipe) keeps being interrupted with EINTR. This port
 * runs every task on a thread of its own, so each task thread gets a periodic
 * SIGALRM of its own, one per tick: code that mishandles EINTR fails here as it
 * would there. The signal does nothing else; time comes from port_clock.c. */
#include "port_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef sigev_notify_thread_id /* glibc < 2.41 names the field only in the kernel's header */
#define sigev_notify_thread_id _sigev_un._tid
#endif

static pthread_once_t s_handler_once = PTHREAD_ONCE_INIT;

static void on_tick(int sig)
{
    (void)sig;
}

static void install_handler(void)
{
    struct sigaction current;
    sigaction(SIGALRM, NULL, &current);
    if (current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN) {
        return; /* someone's own (libFuzzer's timeout alarm): it interrupts as well */
    }
    struct sigaction tick = { .sa_handler = on_tick, .sa_flags = 0 }; /* no SA_RESTART */
    sigemptyset(&tick.sa_mask);
    sigaction(SIGALRM, &tick, NULL);
}

timer_t port_tick_start(void)
{
    pthread_once(&s_handler_once, install_handler);
    struct sigevent event = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGALRM };
    event.sigev_notify_thread_id = gettid();
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) {
        perror("host port: timer_create (tick)");
        abort();
    }
    const long period_ns = 1000000000L / configTICK_RATE_HZ;
    const struct itimerspec every_tick = { .it_interval = { 0, period_ns }, .it_value = { 0, period_ns } };
    timer_settime(timer, 0, &every_tick, NULL);
    return timer;
}

void port_tick_stop(timer_t timer)
{
    timer_delete(timer);
}
