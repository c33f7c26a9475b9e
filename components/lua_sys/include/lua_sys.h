/*
 * LuaSys: a Lua runtime with an event loop, driven by one FreeRTOS queue.
 *
 * The runtime runs one Lua script in its own task. Firmware code talks to it
 * by posting named messages (from tasks or ISRs) that the script receives via
 * rtos.receive() and sys.subscribe(). Messages are copied at post time, so the
 * poster's buffers may be reused as soon as a post function returns.
 *
 * Posting never blocks: when the queue is full the post fails with
 * ESP_ERR_NO_MEM and the queue's `dropped` counter is incremented.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "esp_err.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Version string returned by rtos.version(). */
#define LUA_SYS_VERSION "LuaSys-0.1.0"

/** Longest message name, in bytes (the name may not contain NUL). */
#define LUA_SYS_NAME_MAX 15
/** Most arguments per message. */
#define LUA_SYS_ARGS_MAX 4
/** Total bytes of all string arguments of one message. */
#define LUA_SYS_STRING_BYTES_MAX 32

/** Type of one message argument. */
typedef enum {
    LUA_SYS_ARG_NIL = 0, /*!< Lua nil */
    LUA_SYS_ARG_BOOL,    /*!< Lua boolean, from `b` */
    LUA_SYS_ARG_INT,     /*!< Lua integer, from `i` */
    LUA_SYS_ARG_NUMBER,  /*!< Lua float, from `d` */
    LUA_SYS_ARG_STRING,  /*!< Lua string, `s.len` bytes copied from `s.ptr` (may hold NUL) */
} lua_sys_arg_type_t;

/** One message argument. Build it with the LUA_SYS_ARG_* helper macros below. */
typedef struct {
    lua_sys_arg_type_t type;
    union {
        bool b;
        int64_t i;
        double d;
        struct {
            const char *ptr;
            size_t len;
        } s;
    };
} lua_sys_arg_t;

#define LUA_SYS_NIL() ((lua_sys_arg_t){ .type = LUA_SYS_ARG_NIL })
#define LUA_SYS_BOOL(v) ((lua_sys_arg_t){ .type = LUA_SYS_ARG_BOOL, .b = (v) })
#define LUA_SYS_INT(v) ((lua_sys_arg_t){ .type = LUA_SYS_ARG_INT, .i = (v) })
#define LUA_SYS_NUMBER(v) ((lua_sys_arg_t){ .type = LUA_SYS_ARG_NUMBER, .d = (v) })
/** A NUL-terminated C string argument. */
#define LUA_SYS_STR(str) \
    ((lua_sys_arg_t){ .type = LUA_SYS_ARG_STRING, .s = { .ptr = (str), .len = strlen(str) } })
/** A string argument of `n` bytes (binary-safe). */
#define LUA_SYS_BYTES(p, n) ((lua_sys_arg_t){ .type = LUA_SYS_ARG_STRING, .s = { .ptr = (p), .len = (n) } })

/** Counters of the message queue. posted == received + depth at rest; every
 *  post attempt is counted in exactly one of posted, dropped or rejected. */
typedef struct {
    uint32_t capacity;   /*!< queue length (CONFIG_LUA_SYS_QUEUE_DEPTH) */
    uint32_t depth;      /*!< messages posted and not yet received */
    uint32_t high_water; /*!< largest depth seen since boot */
    uint64_t posted;     /*!< messages accepted into the queue */
    uint64_t received;   /*!< messages taken out by the Lua task */
    uint64_t dropped;    /*!< posts refused because the queue was full */
    uint64_t rejected;   /*!< C posts refused because name or arguments were invalid */
} lua_sys_queue_stats_t;

struct lua_State;

/** How a run of the Lua runtime ended. */
typedef enum {
    LUA_SYS_EXIT_OK = 0, /*!< the script's main chunk returned */
    LUA_SYS_EXIT_ERROR,  /*!< an uncaught error (its traceback was logged) */
    LUA_SYS_EXIT_STOPPED, /*!< lua_sys_stop() ended it */
} lua_sys_exit_t;

/** Runtime configuration; start from LUA_SYS_CONFIG_DEFAULT(). */
typedef struct {
    const char *script_path;  /*!< script to run; its directory is prepended to package.path */
    size_t heap_cap;          /*!< Lua heap limit in bytes, 0 = unlimited */
    uint32_t task_stack_size; /*!< Lua task stack, bytes */
    UBaseType_t task_priority;
    BaseType_t task_core_id;  /*!< core to pin the Lua task to, or tskNO_AFFINITY */
    /** Test hosts only: rtos.receive(rtos.INF_TIMEOUT) returns nil,"idle" when the
     *  queue is empty and no rtos timer is active, instead of waiting forever.
     *  Only valid when nothing else posts (no ISRs, no other tasks). */
    bool exit_when_idle;
    /** Test hosts only: the value rtos.millis() starts from, so that tests can cross
     *  the clock's wrap from LUA_SYS_CLOCK_MASK to 0 within a short run. */
    uint32_t clock_start_ms;
    /** Optional: the firmware's own Lua modules. Called in each new state after the
     *  standard libraries and `rtos`, before the runtime and the script load
     *  (register them with luaL_requiref or in package.preload); an error it raises
     *  ends the run as a script error would. NULL: none. */
    void (*open_libs)(struct lua_State *L);
} lua_sys_config_t;

/** rtos.millis() and rtos.micros() count modulo 2^31: the device's Lua has 32-bit
 *  integers, and every backend wraps the same way (docs/rtos-contract.md). */
#define LUA_SYS_CLOCK_MASK 0x7FFFFFFFu

#if CONFIG_LUA_SYS_TASK_CORE_ID < 0
#define LUA_SYS_TASK_CORE_ID_DEFAULT tskNO_AFFINITY
#else
#define LUA_SYS_TASK_CORE_ID_DEFAULT CONFIG_LUA_SYS_TASK_CORE_ID
#endif

/** The configuration chosen in menuconfig. */
#define LUA_SYS_CONFIG_DEFAULT() \
    ((lua_sys_config_t){ \
        .script_path = CONFIG_LUA_SYS_SCRIPT_PATH, \
        .heap_cap = (size_t)CONFIG_LUA_SYS_HEAP_CAP_KB * 1024, \
        .task_stack_size = CONFIG_LUA_SYS_TASK_STACK_SIZE, \
        .task_priority = CONFIG_LUA_SYS_TASK_PRIORITY, \
        .task_core_id = LUA_SYS_TASK_CORE_ID_DEFAULT, \
        .exit_when_idle = false, \
    })

/**
 * @brief Create the message queue and the timer pool.
 *
 * Called by lua_sys_start(); call it earlier yourself to accept posts (e.g.
 * from ISRs installed at boot) before the script runs. Idempotent.
 *
 * @return ESP_OK, or ESP_ERR_NO_MEM if the queue could not be allocated.
 */
esp_err_t lua_sys_init(void);

/**
 * @brief Start the Lua task: new Lua state (heap capped), standard libraries,
 *        the `rtos` module, the embedded runtime (`require "boot"`), then the
 *        script. A script error logs its traceback; the task then ends.
 *
 * @param config runtime configuration (copied; script_path must stay valid
 *               until the run ends)
 * @return ESP_OK; ESP_ERR_INVALID_ARG if config or script_path is NULL;
 *         ESP_ERR_INVALID_STATE if a run is in progress; ESP_ERR_NO_MEM if the
 *         queue or the task could not be created.
 */
esp_err_t lua_sys_start(const lua_sys_config_t *config);

/**
 * @brief Ask the running script to stop: its next rtos.receive() returns
 *        nil,"stop", after which sys.run() returns. Safe from any task.
 *
 * @return ESP_OK, or ESP_ERR_INVALID_STATE if no run is in progress.
 */
esp_err_t lua_sys_stop(void);

/**
 * @brief Wait for the current run to end.
 *
 * @param ticks_to_wait how long to wait (portMAX_DELAY: no limit)
 * @param[out] exit how the run ended (may be NULL)
 * @return ESP_OK; ESP_ERR_TIMEOUT if still running; ESP_ERR_INVALID_STATE if
 *         lua_sys_start() was never called.
 */
esp_err_t lua_sys_wait(TickType_t ticks_to_wait, lua_sys_exit_t *exit);

/**
 * @brief Post a message from a task. Never blocks.
 *
 * @param name 1..LUA_SYS_NAME_MAX bytes, NUL-terminated
 * @param args argument array (may be NULL when argc is 0), copied
 * @param argc 0..LUA_SYS_ARGS_MAX
 * @return ESP_OK; ESP_ERR_NO_MEM if the queue is full (counted in `dropped`);
 *         ESP_ERR_INVALID_ARG for a bad name or arguments (counted in
 *         `rejected`); ESP_ERR_INVALID_STATE before lua_sys_init().
 */
esp_err_t lua_sys_post(const char *name, const lua_sys_arg_t *args, size_t argc);

/**
 * @brief Post a message from an ISR. Same rules as lua_sys_post(); IRAM-safe,
 *        does not block, does not log.
 *
 * @param[out] higher_priority_task_woken set to pdTRUE when the post woke a
 *        task of higher priority than the interrupted one: pass it to
 *        portYIELD_FROM_ISR() before the ISR returns. Must not be NULL.
 */
esp_err_t lua_sys_post_from_isr(const char *name, const lua_sys_arg_t *args, size_t argc,
                                BaseType_t *higher_priority_task_woken);

/** @brief Post `name` with one integer argument from a task. */
esp_err_t lua_sys_post_int(const char *name, int64_t value);

/** @brief Post `name` with one integer argument from an ISR (IRAM-safe). */
esp_err_t lua_sys_post_int_from_isr(const char *name, int64_t value,
                                    BaseType_t *higher_priority_task_woken);

/**
 * @brief Read the queue counters (a consistent snapshot).
 *
 * @return ESP_OK, ESP_ERR_INVALID_ARG if stats is NULL, or
 *         ESP_ERR_INVALID_STATE before lua_sys_init().
 */
esp_err_t lua_sys_get_queue_stats(lua_sys_queue_stats_t *stats);

#ifdef __cplusplus
}
#endif
