/* The component's public C API: argument rejection, full queue accounting from
 * task and "ISR" context, delivery order into Lua, integers at the 32-bit boundary,
 * and lua_sys_stop(). Counts and order only, no timing. Runs on the host port
 * (ctest) and, as an ESP-IDF app, on ESP-IDF's linux target (tests/idf/c_api). */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "lua_sys.h"
#include "port_test.h"

#define DEPTH CONFIG_LUA_SYS_QUEUE_DEPTH

static lua_sys_queue_stats_t stats(void)
{
    lua_sys_queue_stats_t st;
    CHECK(lua_sys_get_queue_stats(&st) == ESP_OK);
    CHECK(st.posted == st.received + st.depth);
    return st;
}

static void test_before_init(void)
{
    lua_sys_queue_stats_t st;
    CHECK(lua_sys_get_queue_stats(&st) == ESP_ERR_INVALID_STATE);
    CHECK(lua_sys_post_int("early", 1) == ESP_ERR_INVALID_STATE);
    CHECK(lua_sys_wait(0, NULL) == ESP_ERR_INVALID_STATE);
    CHECK(lua_sys_stop() == ESP_ERR_INVALID_STATE);
    CHECK(lua_sys_init() == ESP_OK);
    CHECK(lua_sys_init() == ESP_OK);
    st = stats();
    CHECK(st.dropped == 1); /* the early post */
    CHECK(st.posted == 0);
}

static void test_rejects_invalid_posts(void)
{
    const lua_sys_arg_t five[5] = { LUA_SYS_NIL(), LUA_SYS_NIL(), LUA_SYS_NIL(), LUA_SYS_NIL(),
                                    LUA_SYS_NIL() };
    const lua_sys_arg_t long_strings[2] = { LUA_SYS_STR("0123456789abcdef"),
                                            LUA_SYS_STR("0123456789abcdefX") };
    lua_sys_arg_t bad_type = LUA_SYS_NIL();
    bad_type.type = (lua_sys_arg_type_t)99;
    CHECK(lua_sys_post("", NULL, 0) == ESP_ERR_INVALID_ARG);
    CHECK(lua_sys_post("0123456789abcdef", NULL, 0) == ESP_ERR_INVALID_ARG);
    CHECK(lua_sys_post(NULL, NULL, 0) == ESP_ERR_INVALID_ARG);
    CHECK(lua_sys_post("x", five, 5) == ESP_ERR_INVALID_ARG);
    CHECK(lua_sys_post("x", long_strings, 2) == ESP_ERR_INVALID_ARG);
    CHECK(lua_sys_post_from_isr("x", &bad_type, 1, NULL) == ESP_ERR_INVALID_ARG);
    lua_sys_queue_stats_t st = stats();
    CHECK(st.rejected == 6);
    CHECK(st.posted == 0);
}

/* "ISR": only the FromISR API, from a plain thread on the host port and from a
 * signal handler interrupting the calling task on ESP-IDF's linux target (what an
 * interrupt is on FreeRTOS's POSIX port, whose tasks must not be other threads). */
static void *isr_fill(void *arg)
{
    int *accepted = arg;
    for (int i = DEPTH / 2; i < DEPTH + 1; i++) {
        const lua_sys_arg_t args[4] = { LUA_SYS_INT(i), LUA_SYS_STR("isr"), LUA_SYS_BOOL(true),
                                        LUA_SYS_NUMBER(0.5) };
        BaseType_t woken = pdFALSE;
        if (lua_sys_post_from_isr("fill", args, 4, &woken) == ESP_OK) {
            (*accepted)++;
        }
        portYIELD_FROM_ISR(woken);
    }
    return NULL;
}

#if CONFIG_IDF_TARGET_LINUX
static int *volatile s_isr_accepted;

static void on_isr_signal(int sig)
{
    (void)sig;
    isr_fill(s_isr_accepted);
}

static void run_isr(int *accepted)
{
    struct sigaction isr = { .sa_handler = on_isr_signal, .sa_flags = 0 };
    sigfillset(&isr.sa_mask); /* like the port's tick: nothing nests */
    CHECK(sigaction(SIGUSR2, &isr, NULL) == 0);
    s_isr_accepted = accepted;
    CHECK(pthread_kill(pthread_self(), SIGUSR2) == 0); /* handled before it returns */
}
#else
static void run_isr(int *accepted)
{
    pthread_t isr;
    CHECK(pthread_create(&isr, NULL, isr_fill, accepted) == 0);
    CHECK(pthread_join(isr, NULL) == 0);
}
#endif

static void test_full_queue_counts_drops(void)
{
    for (int i = 0; i < DEPTH / 2; i++) {
        const lua_sys_arg_t args[4] = { LUA_SYS_INT(i), LUA_SYS_STR("task"), LUA_SYS_BOOL(false),
                                        LUA_SYS_NUMBER(0.5) };
        CHECK(lua_sys_post("fill", args, 4) == ESP_OK);
    }
    int accepted = 0;
    run_isr(&accepted);
    CHECK(accepted == DEPTH - DEPTH / 2);
    CHECK(lua_sys_post_int("fill", -1) == ESP_ERR_NO_MEM);
    lua_sys_queue_stats_t st = stats();
    CHECK(st.depth == DEPTH && st.high_water == DEPTH);
    CHECK(st.posted == DEPTH);
    CHECK(st.dropped == 1 + 1 + 1); /* early post, ISR overflow, task overflow */
}

static const char *SCRIPT =
    "local n, bad = 0, 0\n"
    "sys.subscribe('fill', function(i, s, b, f)\n"
    "  if i ~= n or f ~= 0.5 or (s == 'task') == b or math.type(i) ~= 'integer' then bad = bad + 1 end\n"
    "  n = n + 1\n"
    "end)\n"
    /* On a LUA_32BITS Lua (the firmware's; build/native-lua32) integers beyond
     * -2^31..2^31-1 arrive as floats (docs/rtos-contract.md); elsewhere as integers. */
    "local wide = 'none'\n"
    "sys.subscribe('wide', function(a, b, c, d)\n"
    "  local beyond = math.maxinteger == 0x7fffffff and 'float' or 'integer'\n"
    "  local ok = math.type(a) == 'integer' and a == 0x7fffffff\n"
    "    and math.type(b) == 'integer' and b == -0x7fffffff - 1\n"
    "    and math.type(c) == beyond and c == 2 ^ 31 and math.type(d) == beyond and d == -5e9\n"
    "  wide = ok and 'wide-ok' or ('wide-bad:' .. table.concat({ tostring(a), tostring(b), tostring(c), tostring(d) }, ','))\n"
    "end)\n"
    "local reason = sys.run()\n"
    "local f = assert(io.open(os.getenv('LUASYS_API_OUT'), 'w'))\n"
    "f:write(n, ' ', bad, ' ', wide, ' ', reason)\n"
    "f:close()\n";

static void test_delivery_in_order_then_stop(void)
{
    char script[] = "/tmp/luasys-api-XXXXXX.lua";
    char out[] = "/tmp/luasys-api-out-XXXXXX";
    int fd = mkstemps(script, 4);
    CHECK(fd >= 0 && write(fd, SCRIPT, strlen(SCRIPT)) == (ssize_t)strlen(SCRIPT));
    close(fd);
    fd = mkstemp(out);
    CHECK(fd >= 0);
    close(fd);
    setenv("LUASYS_API_OUT", out, 1);

    lua_sys_config_t config = LUA_SYS_CONFIG_DEFAULT();
    config.script_path = script;
    CHECK(lua_sys_start(&config) == ESP_OK);
    CHECK(lua_sys_start(&config) == ESP_ERR_INVALID_STATE);
    while (stats().received < DEPTH) {
        vTaskDelay(1);
    }
    const lua_sys_arg_t wide[4] = { LUA_SYS_INT(INT32_MAX), LUA_SYS_INT(INT32_MIN),
                                    LUA_SYS_INT((int64_t)INT32_MAX + 1), LUA_SYS_INT(-5000000000) };
    CHECK(lua_sys_post("wide", wide, 4) == ESP_OK);
    while (stats().received < DEPTH + 1) {
        vTaskDelay(1);
    }
    CHECK(lua_sys_stop() == ESP_OK);
    lua_sys_exit_t outcome = LUA_SYS_EXIT_ERROR;
    CHECK(lua_sys_wait(portMAX_DELAY, &outcome) == ESP_OK);
    CHECK(outcome == LUA_SYS_EXIT_STOPPED);

    char result[160] = { 0 };
    FILE *f = fopen(out, "r");
    CHECK(f != NULL && fgets(result, sizeof(result), f) != NULL);
    fclose(f);
    char expected[64];
    snprintf(expected, sizeof(expected), "%d 0 wide-ok stop", DEPTH);
    if (strcmp(result, expected) != 0) {
        fprintf(stderr, "script wrote \"%s\", expected \"%s\"\n", result, expected);
    }
    CHECK(strcmp(result, expected) == 0);
    lua_sys_queue_stats_t st = stats();
    CHECK(st.depth == 0 && st.received == DEPTH + 1);
    remove(script);
    remove(out);
}

static void run_all(void)
{
    RUN(test_before_init);
    RUN(test_rejects_invalid_posts);
    RUN(test_full_queue_counts_drops);
    RUN(test_delivery_in_order_then_stop);
}

#ifdef ESP_PLATFORM
/* FreeRTOS keeps running after app_main returns: the program ends here. */
void app_main(void)
{
    run_all();
    fflush(stdout);
    exit(0);
}
#else
int main(void)
{
    run_all();
    return 0;
}
#endif
