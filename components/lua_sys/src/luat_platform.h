/*
 * What the `rtos` functions that describe the platform report (rtos.bsp,
 * rtos.buildDate, rtos.meminfo "sys"/"psram"): the chip and its heaps on
 * ESP-IDF, the host on the PC builds (native build, ESP-IDF linux target),
 * which call themselves "PC" as LuatOS's own PC simulator does.
 */
#pragma once

#include <stdint.h>

typedef struct {
    uint64_t total;
    uint64_t used;
    uint64_t max_used;
} luat_platform_mem_t;

/* "ESP32", "ESP32S3", "ESP32C3", ... (CONFIG_IDF_TARGET upper-cased), or "PC". */
const char *luat_platform_bsp(void);

/* The firmware's build date, as C's __DATE__ writes it: "Nov 29 2026". */
const char *luat_platform_build_date(void);

/* The system heap: the chip's internal RAM (heap_caps), or the host's memory. */
luat_platform_mem_t luat_platform_sys_heap(void);

/* External PSRAM (heap_caps MALLOC_CAP_SPIRAM); zeros when there is none. */
luat_platform_mem_t luat_platform_psram(void);

/* Bytes malloc could still hand the Lua heap now: what an uncapped Lua heap
 * may grow by. */
uint64_t luat_platform_free_bytes(void);
