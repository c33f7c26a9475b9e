#include "luasys_safe_mode.h"

#include <stdio.h>
#include <stdlib.h>

#if !defined(CONFIG_IDF_TARGET_LINUX) && defined(ESP_PLATFORM) && !defined(LUASYS_NATIVE)
#define SAFE_MODE_RTC 1
#include "esp_attr.h"
#include "esp_system.h"
#else
#define SAFE_MODE_RTC 0
#endif

static struct {
    const char *fs_root;
    unsigned boots;
    uint32_t grace_ms;
    bool active;
    bool decided;
} s_safe = { .boots = CONFIG_LUASYS_SAFE_MODE_BOOTS, .grace_ms = CONFIG_LUASYS_SAFE_MODE_GRACE_MS };

#if SAFE_MODE_RTC
/* RTC memory keeps its contents across every reset but a power-on (and
 * brownout): software resets, panics, task and interrupt watchdogs, which
 * are what a crashing script causes. It costs no flash writes (two per boot
 * with NVS) and works before NVS or the filesystem are up. After a power-on
 * its contents are random: the magic and the check word reject them, and a
 * power cycle then gives the script a fresh series of attempts. */
#define SAFE_MODE_MAGIC 0x5AFE3D0Du

static RTC_NOINIT_ATTR struct {
    uint32_t magic;
    uint32_t failed;
    uint32_t check;
} s_rtc;

static unsigned load(void)
{
    if (esp_reset_reason() == ESP_RST_POWERON || s_rtc.magic != SAFE_MODE_MAGIC ||
        s_rtc.check != (s_rtc.failed ^ SAFE_MODE_MAGIC)) {
        return 0;
    }
    return s_rtc.failed;
}

static void store(unsigned failed)
{
    s_rtc.magic = SAFE_MODE_MAGIC;
    s_rtc.failed = failed;
    s_rtc.check = failed ^ SAFE_MODE_MAGIC;
}

#else

static void file_path(char *out, size_t size)
{
    snprintf(out, size, "%s/%s", s_safe.fs_root ? s_safe.fs_root : ".", LUASYS_SAFE_MODE_FILE);
}

static unsigned load(void)
{
    char path[512];
    file_path(path, sizeof path);
    FILE *f = fopen(path, "r");
    unsigned failed = 0;
    if (f != NULL) {
        if (fscanf(f, "%u", &failed) != 1) {
            failed = 0;
        }
        fclose(f);
    }
    return failed;
}

static void store(unsigned failed)
{
    char path[512];
    file_path(path, sizeof path);
    if (failed == 0) {
        remove(path);
        return;
    }
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fprintf(f, "%u\n", failed);
        fflush(f);
        fclose(f);
    }
}

#endif

void luasys_safe_mode_init(const char *fs_root, unsigned boots, uint32_t grace_ms)
{
    s_safe.fs_root = fs_root;
    if (boots > 0) {
        s_safe.boots = boots;
    }
    if (grace_ms > 0) {
        s_safe.grace_ms = grace_ms;
    }
}

bool luasys_safe_mode_enter_boot(const char *script_path)
{
    if (!s_safe.decided) {
        s_safe.decided = true;
        FILE *script = fopen(script_path, "r");
        if (script == NULL) {
            return true; /* no script: nothing to protect the board from, nothing counted */
        }
        fclose(script);
        unsigned failed = load();
        s_safe.active = failed >= s_safe.boots;
        if (!s_safe.active) {
            store(failed + 1);
        }
    }
    return !s_safe.active;
}

void luasys_safe_mode_announce(void)
{
    if (s_safe.active) {
        printf("luasys: SAFE MODE: the boot script failed to start %u times in a row; not running it. "
               "Push a new main.lua or run `luasys safe-mode --clear`, then `luasys restart`.\r\n",
               load());
        fflush(stdout);
    }
}

void luasys_safe_mode_healthy(void)
{
    if (load() != 0) {
        store(0);
    }
}

void luasys_safe_mode_clear(void)
{
    store(0);
    s_safe.active = false;
}

void luasys_safe_mode_status(unsigned *failed, unsigned *limit, bool *active)
{
    *failed = load();
    *limit = s_safe.boots;
    *active = s_safe.active;
}

uint32_t luasys_safe_mode_grace_ms(void)
{
    return s_safe.grace_ms;
}
