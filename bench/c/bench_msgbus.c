/*
 * Message post -> Lua handler latency and throughput, next to the bare
 * FreeRTOS queue (same item size) measured in the same run.
 *
 * Latency: one message at a time (1 tick apart), median and 99th percentile
 * of post -> handler (Lua) or post -> xQueueReceive return (bare).
 * Throughput: a burst of messages, posted as fast as the queue accepts them
 * (a full queue is retried), from the first post until the last is handled.
 * "ISR" posts go through the ...FromISR API: on the host port from a plain
 * thread; on ESP-IDF's linux target from a signal handler, which is what an
 * interrupt is on FreeRTOS's POSIX port (its tick is SIGALRM, its critical
 * sections block every signal).
 *
 * Prints figures only; asserts nothing about speed.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdkconfig.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "lua_sys.h"
#include "luat_msg.h"
#include "luat_runtime.h"

#define LATENCY_SAMPLES 1000
#define BURST 50000

typedef struct {
    const char *label;
    long samples;
    long median_us;
    long p99_us;
    double msgs_per_s;
} result_t;

/* ---- producer contexts --------------------------------------------------- */

typedef struct {
    bool from_isr;
    void (*fn)(bool from_isr);
    QueueHandle_t done;
} producer_t;

static void producer_task(void *arg)
{
    producer_t *p = arg;
    p->fn(false);
    int token = 1;
    xQueueSend(p->done, &token, portMAX_DELAY);
    vTaskDelete(NULL);
}

#if CONFIG_IDF_TARGET_LINUX
/* Runs post(arg) as an interrupt of the calling task: a signal to its own thread. */
static void (*volatile s_isr_post)(void *);
static void *volatile s_isr_arg;

static void on_isr_signal(int sig)
{
    (void)sig;
    s_isr_post(s_isr_arg);
}

static void install_isr_signal(void)
{
    struct sigaction isr = { .sa_handler = on_isr_signal, .sa_flags = 0 };
    sigfillset(&isr.sa_mask); /* like the port's tick: nothing nests */
    sigaction(SIGUSR2, &isr, NULL);
}

static void in_isr(void (*post)(void *), void *arg)
{
    s_isr_post = post;
    s_isr_arg = arg;
    pthread_kill(pthread_self(), SIGUSR2);
}

/* Every producer is a task; its "ISR" posts interrupt it. */
static void run_producer(bool from_isr, void (*fn)(bool from_isr))
{
    producer_t p = { .from_isr = from_isr, .fn = fn, .done = xQueueCreate(1, sizeof(int)) };
    int token;
    xTaskCreate(producer_task, "producer", 4096, &p, 5, NULL);
    xQueueReceive(p.done, &token, portMAX_DELAY);
    vQueueDelete(p.done);
}
#else
/* The "ISR" thread itself posts. */
static void in_isr(void (*post)(void *), void *arg)
{
    post(arg);
}

static void *producer_isr_thread(void *arg)
{
    producer_t *p = arg;
    p->fn(true);
    return NULL;
}

/* Runs fn in a FreeRTOS task, or for the "ISR" case in a plain thread that
 * only uses the ...FromISR API, and waits for it. */
static void run_producer(bool from_isr, void (*fn)(bool from_isr))
{
    producer_t p = { .from_isr = from_isr, .fn = fn, .done = xQueueCreate(1, sizeof(int)) };
    if (from_isr) {
        pthread_t t;
        pthread_create(&t, NULL, producer_isr_thread, &p);
        pthread_join(t, NULL);
    } else {
        int token;
        xTaskCreate(producer_task, "producer", 4096, &p, 5, NULL);
        xQueueReceive(p.done, &token, portMAX_DELAY);
    }
    vQueueDelete(p.done);
}
#endif

/* ---- bare queue ----------------------------------------------------------- */

static QueueHandle_t s_bare;
static int64_t s_bare_lat[LATENCY_SAMPLES];
static volatile int s_bare_received;
static volatile int64_t s_bare_last_us;

static void bare_consumer(void *arg)
{
    (void)arg;
    luat_msg_t msg;
    for (;;) {
        xQueueReceive(s_bare, &msg, portMAX_DELAY);
        int64_t now = luat_runtime_elapsed_us();
        int i = s_bare_received;
        if (i < LATENCY_SAMPLES) {
            s_bare_lat[i] = now - msg.u.posted.arg[0].i;
        }
        s_bare_last_us = now;
        s_bare_received = i + 1;
    }
}

typedef struct {
    luat_msg_t msg;
    BaseType_t ok;
} bare_isr_post_t;

static void bare_post_isr(void *arg)
{
    bare_isr_post_t *post = arg;
    BaseType_t woken = pdFALSE;
    post->ok = xQueueSendFromISR(s_bare, &post->msg, &woken);
    portYIELD_FROM_ISR(woken);
}

static void bare_post(bool from_isr, int64_t stamp, bool retry)
{
    bare_isr_post_t post = { .msg = { .kind = LUAT_MSG_POSTED, .argc = 1 } };
    post.msg.u.posted.arg[0].i = stamp;
    for (;;) {
        if (from_isr) {
            in_isr(bare_post_isr, &post);
        } else {
            post.ok = xQueueSend(s_bare, &post.msg, 0);
        }
        if (post.ok == pdPASS || !retry) {
            return;
        }
        taskYIELD();
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static result_t s_bare_result;

static void bare_producer(bool from_isr)
{
    s_bare_received = 0;
    for (int i = 0; i < LATENCY_SAMPLES; i++) {
        bare_post(from_isr, luat_runtime_elapsed_us(), false);
        while (s_bare_received <= i) {
            vTaskDelay(1);
        }
    }
    qsort(s_bare_lat, LATENCY_SAMPLES, sizeof(s_bare_lat[0]), cmp_i64);
    s_bare_result.samples = LATENCY_SAMPLES;
    s_bare_result.median_us = (long)s_bare_lat[LATENCY_SAMPLES / 2];
    s_bare_result.p99_us = (long)s_bare_lat[LATENCY_SAMPLES * 99 / 100];

    s_bare_received = LATENCY_SAMPLES; /* burst samples are not kept */
    int64_t t0 = luat_runtime_elapsed_us();
    for (int i = 0; i < BURST; i++) {
        bare_post(from_isr, t0, true);
    }
    while (s_bare_received < LATENCY_SAMPLES + BURST) {
        vTaskDelay(1);
    }
    s_bare_result.msgs_per_s = BURST / ((double)(s_bare_last_us - t0) / 1e6);
}

static result_t bench_bare(const char *label, bool from_isr)
{
    run_producer(from_isr, bare_producer);
    s_bare_result.label = label;
    return s_bare_result;
}

/* ---- through Lua ---------------------------------------------------------- */

static uint64_t queue_received(void)
{
    lua_sys_queue_stats_t st;
    lua_sys_get_queue_stats(&st);
    return st.received;
}

typedef struct {
    const char *name;
    const lua_sys_arg_t *arg;
    esp_err_t err;
} lua_isr_post_t;

static void lua_post_isr(void *arg)
{
    lua_isr_post_t *post = arg;
    BaseType_t woken = pdFALSE;
    post->err = lua_sys_post_from_isr(post->name, post->arg, 1, &woken);
    portYIELD_FROM_ISR(woken);
}

/* Posts one message; on a full queue retries if asked to (the drop is counted). */
static void lua_post(bool from_isr, const char *name, const lua_sys_arg_t *arg, bool retry)
{
    for (;;) {
        lua_isr_post_t post = { .name = name, .arg = arg };
        if (from_isr) {
            in_isr(lua_post_isr, &post);
        } else {
            post.err = lua_sys_post(name, arg, 1);
        }
        if (post.err == ESP_OK || (post.err == ESP_ERR_NO_MEM && !retry)) {
            return;
        }
        if (post.err != ESP_ERR_NO_MEM) {
            fprintf(stderr, "bench: post failed: %s\n", esp_err_to_name(post.err));
            exit(1);
        }
        taskYIELD();
    }
}

static void wait_drained(uint64_t target)
{
    while (queue_received() < target) {
        vTaskDelay(1);
    }
}

/* Each series ends with "bench.flush" (posted from a task) once all its
 * messages have been received, so the Lua side summarises it. */
static void lua_producer(bool from_isr)
{
    const lua_sys_arg_t tag = LUA_SYS_STR(from_isr ? "isr" : "task");
    uint64_t done = queue_received();
    for (int i = 0; i < LATENCY_SAMPLES; i++) {
        lua_sys_arg_t stamp = LUA_SYS_INT(luat_runtime_elapsed_us());
        lua_post(from_isr, "bench", &stamp, false);
        wait_drained(++done);
    }
    lua_post(false, "bench.flush", &tag, true);
    wait_drained(++done);

    for (int i = 0; i < BURST; i++) {
        lua_sys_arg_t stamp = LUA_SYS_INT(luat_runtime_elapsed_us());
        lua_post(from_isr, "bench", &stamp, true);
    }
    lua_post(false, "bench.flush", &tag, true);
    done += BURST + 1;
    wait_drained(done);
}

/* Reads back what bench_handler.lua wrote: a latency line, then a burst line. */
static result_t read_lua_result(FILE *f, const char *label)
{
    char name[64];
    long n, med, p99, span_us, bn, bmed, bp99, bspan_us;
    if (fscanf(f, "%63s %ld %ld %ld %ld", name, &n, &med, &p99, &span_us) != 5 ||
        fscanf(f, "%63s %ld %ld %ld %ld", name, &bn, &bmed, &bp99, &bspan_us) != 5) {
        fprintf(stderr, "bench: cannot read Lua results for %s\n", label);
        exit(1);
    }
    return (result_t){ .label = label, .samples = n, .median_us = med, .p99_us = p99,
                       .msgs_per_s = bn / ((double)bspan_us / 1e6) };
}

static void print_row(const result_t *r, const result_t *base)
{
    printf("%-38s %7ld %9ld %8ld %12.0f", r->label, r->samples, r->median_us, r->p99_us,
           r->msgs_per_s);
    if (base != NULL) {
        printf("   x%.1f  x%.1f  x%.2f", (double)r->median_us / (double)(base->median_us ? base->median_us : 1),
               (double)r->p99_us / (double)(base->p99_us ? base->p99_us : 1),
               r->msgs_per_s / base->msgs_per_s);
    }
    printf("\n");
}

static int bench(const char *script)
{
    char out_path[] = "/tmp/luasys-bench-XXXXXX";
    int fd = mkstemp(out_path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    setenv("LUASYS_BENCH_OUT", out_path, 1);

    s_bare = xQueueCreate(CONFIG_LUA_SYS_QUEUE_DEPTH, sizeof(luat_msg_t));
    xTaskCreate(bare_consumer, "bare_rx", 4096, NULL, 5, NULL);
    result_t bare_task = bench_bare("bare xQueueSend -> xQueueReceive", false);
    result_t bare_isr = bench_bare("bare xQueueSendFromISR -> Receive", true);

    lua_sys_config_t config = LUA_SYS_CONFIG_DEFAULT();
    config.script_path = script;
    ESP_ERROR_CHECK(lua_sys_start(&config));
    wait_drained(0);
    vTaskDelay(pdMS_TO_TICKS(100)); /* let the script reach sys.run() */
    run_producer(false, lua_producer);
    run_producer(true, lua_producer);
    ESP_ERROR_CHECK(lua_sys_stop());
    lua_sys_exit_t exit_code;
    ESP_ERROR_CHECK(lua_sys_wait(portMAX_DELAY, &exit_code));

    FILE *f = fopen(out_path, "r");
    if (f == NULL || exit_code != LUA_SYS_EXIT_OK) {
        fprintf(stderr, "bench: the Lua side failed\n");
        return 1;
    }
    result_t lua_task = read_lua_result(f, "lua_sys_post -> Lua handler");
    result_t lua_isr = read_lua_result(f, "lua_sys_post_from_isr -> Lua handler");
    fclose(f);
    remove(out_path);

    lua_sys_queue_stats_t st;
    lua_sys_get_queue_stats(&st);
    printf("LuaSys message bench: item %zu bytes, queue %d, %d latency samples, burst %d\n",
           sizeof(luat_msg_t), CONFIG_LUA_SYS_QUEUE_DEPTH, LATENCY_SAMPLES, BURST);
    printf("%-38s %7s %9s %8s %12s   ratios to bare (median, p99, msgs/s)\n", "path", "samples",
           "median_us", "p99_us", "msgs/s");
    print_row(&bare_task, NULL);
    print_row(&lua_task, &bare_task);
    print_row(&bare_isr, NULL);
    print_row(&lua_isr, &bare_isr);
    printf("queue: posted %llu received %llu dropped %llu (full-queue retries during bursts) "
           "high_water %u\n",
           (unsigned long long)st.posted, (unsigned long long)st.received,
           (unsigned long long)st.dropped, (unsigned)st.high_water);
    return 0;
}

#if CONFIG_IDF_TARGET_LINUX
/* The linux target's program has no command line: LUASYS_BENCH_SCRIPT overrides
 * the script. */
void app_main(void)
{
    install_isr_signal();
    const char *script = getenv("LUASYS_BENCH_SCRIPT");
    exit(bench(script != NULL ? script : LUASYS_BENCH_SCRIPT));
}
#else
int main(int argc, char **argv)
{
    return bench(argc > 1 ? argv[1] : LUASYS_BENCH_SCRIPT);
}
#endif
