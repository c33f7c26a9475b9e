#include "luat_platform.h"

#include <stddef.h>

#include "sdkconfig.h"

#if !defined(ESP_PLATFORM) || CONFIG_IDF_TARGET_LINUX
/* ---- PC builds: the host's memory ---------------------------------------- */
#include <unistd.h>

const char *luat_platform_bsp(void)
{
    return "PC";
}

const char *luat_platform_build_date(void)
{
    return __DATE__;
}

static uint64_t pages_bytes(int name)
{
    long pages = sysconf(name);
    long size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

/* The host keeps no low-water mark of its free memory: max_used is the most
 * seen by any call. Only the Lua task calls this. */
luat_platform_mem_t luat_platform_sys_heap(void)
{
    static uint64_t max_used;
    uint64_t total = pages_bytes(_SC_PHYS_PAGES);
    uint64_t available = pages_bytes(_SC_AVPHYS_PAGES);
    uint64_t used = total > available ? total - available : 0;
    if (used > max_used) {
        max_used = used;
    }
    return (luat_platform_mem_t){ .total = total, .used = used, .max_used = max_used };
}

luat_platform_mem_t luat_platform_psram(void)
{
    return (luat_platform_mem_t){ 0 };
}

uint64_t luat_platform_free_bytes(void)
{
    return pages_bytes(_SC_AVPHYS_PAGES);
}

#else
/* ---- ESP-IDF on a chip: the heap_caps heaps ------------------------------ */
#include <ctype.h>

#include "esp_app_desc.h"
#include "esp_heap_caps.h"

const char *luat_platform_bsp(void)
{
    static char name[sizeof(CONFIG_IDF_TARGET)];
    if (name[0] == '\0') {
        for (size_t i = 0; i + 1 < sizeof(name); i++) {
            name[i] = (char)toupper((unsigned char)CONFIG_IDF_TARGET[i]);
        }
    }
    return name;
}

const char *luat_platform_build_date(void)
{
    return esp_app_get_description()->date;
}

static luat_platform_mem_t heap_of(uint32_t caps)
{
    uint64_t total = heap_caps_get_total_size(caps);
    if (total == 0) {
        return (luat_platform_mem_t){ 0 };
    }
    return (luat_platform_mem_t){
        .total = total,
        .used = total - heap_caps_get_free_size(caps),
        .max_used = total - heap_caps_get_minimum_free_size(caps),
    };
}

luat_platform_mem_t luat_platform_sys_heap(void)
{
    return heap_of(MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT);
}

luat_platform_mem_t luat_platform_psram(void)
{
    return heap_of(MALLOC_CAP_SPIRAM);
}

uint64_t luat_platform_free_bytes(void)
{
    /* The Lua allocator calls realloc, which serves MALLOC_CAP_DEFAULT. */
    return heap_caps_get_free_size(MALLOC_CAP_DEFAULT);
}
#endif
