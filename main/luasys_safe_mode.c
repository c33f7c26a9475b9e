#include "luasys_safe_mode.h"

#include <stdio.h>
#include <stdlib.h>

#include "esp_system.h"

#if !defined(CONFIG_IDF_TARGET_LINUX) && defined(ESP_PLATFORM) && !defined(LUASYS_NATIVE)
#define SAFE_MODE_RTC 1
#include "esp_attr.h"
#else
#define SAFE_MODE_RTC 0
#endif

/* What survives a reset: the failed starts in a row, and whether the last
 * boot's start was still on trial (it had not settled) when the board reset. */
typedef struct {
    unsigned failed;
    bool on_trial;
} record_t;

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
#define SAFE_MODE_MAGIC 0x5AFE3D0Eu

static RTC_NOINIT_ATTR struct {
    uint32_t magic;
    uint32_t failed;
    uint32_t on_trial;
    uint32_t check;
} s_rtc;

static record_t load(void)
{
    /* Forgotten once, at the first look after a power-on; what this boot stores
     * afterwards counts (the console's safe-status, a start settling). */
    static bool power_on_checked;
    if (!power_on_checked) {
        power_on_checked = true;
        if (esp_reset_reason() == ESP_RST_POWERON) {
            s_rtc.magic = 0;
        }
    }
    record_t record = { 0, false };
    if (s_rtc.magic == SAFE_MODE_MAGIC && s_rtc.on_trial <= 1 &&
        s_rtc.check == (s_rtc.failed ^ (s_rtc.on_trial << 31) ^ SAFE_MODE_MAGIC)) {
        record.failed = s_rtc.failed;
        record.on_trial = s_rtc.on_trial != 0;
    }
    return record;
}

static void store(record_t record)
{
    s_rtc.magic = SAFE_MODE_MAGIC;
    s_rtc.failed = record.failed;
    s_rtc.on_trial = record.on_trial ? 1 : 0;
    s_rtc.check = s_rtc.failed ^ (s_rtc.on_trial << 31) ^ SAFE_MODE_MAGIC;
}

#else

/* On hosts: "<failed> <on_trial>" in <fs_root>/.safe_mode, absent when both are 0. */
static void file_path(char *out, size_t size)
{
    snprintf(out, size, "%s/%s", s_safe.fs_root ? s_safe.fs_root : ".", LUASYS_SAFE_MODE_FILE);
}

static record_t load(void)
{
    char path[512];
    file_path(path, sizeof path);
    record_t record = { 0, false };
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        unsigned failed = 0, on_trial = 0;
        if (fscanf(f, "%u %u", &failed, &on_trial) >= 1) {
            record.failed = failed;
            record.on_trial = on_trial != 0;
        }
        fclose(f);
    }
    return record;
}

static void store(record_t record)
{
    char path[512];
    file_path(path, sizeof path);
    if (record.failed == 0 && !record.on_trial) {
        remove(path);
        return;
    }
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fprintf(f, "%u %u\n", record.failed, record.on_trial ? 1u : 0u);
        fflush(f);
        fclose(f);
    }
}

#endif

/* Resets that a crashing script causes, named; NULL for every other reason
 * (power-on, a software reset asked for by rtos.reboot() or the console, the
 * reset pin or the USB-Serial-JTAG reset a host uses, deep sleep), which ends
 * a start on trial without counting it. The ESP-IDF linux target always
 * reports power-on. */
static const char *crash_reset(esp_reset_reason_t reason)
{
    switch (reason) {
    case ESP_RST_PANIC:
        return "a panic";
    case ESP_RST_INT_WDT:
        return "the interrupt watchdog";
    case ESP_RST_TASK_WDT:
        return "the task watchdog";
    case ESP_RST_WDT:
        return "a watchdog";
    case ESP_RST_CPU_LOCKUP:
        return "a CPU lockup";
    default:
        return NULL;
    }
}

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
        record_t record = load();
        const char *crash = crash_reset(esp_reset_reason());
        if (record.on_trial && crash != NULL) {
            record.failed++;
            printf("luasys: reset by %s while the boot script was starting: %u failed start%s in a row\r\n",
                   crash, record.failed, record.failed == 1 ? "" : "s");
            fflush(stdout);
        }
        record.on_trial = false;
        FILE *script = fopen(script_path, "r");
        if (script != NULL) {
            fclose(script);
            s_safe.active = record.failed >= s_safe.boots;
            record.on_trial = !s_safe.active;
        }
        store(record);
    }
    return !s_safe.active;
}

void luasys_safe_mode_announce(void)
{
    if (s_safe.active) {
        printf("luasys: SAFE MODE: the boot script failed to start %u times in a row; not running it. "
               "Push a new main.lua or run `luasys safe-mode --clear`, then `luasys restart`.\r\n",
               load().failed);
        fflush(stdout);
    }
}

void luasys_safe_mode_healthy(void)
{
    record_t record = load();
    if (record.failed != 0 || record.on_trial) {
        store((record_t){ 0, false });
    }
}

void luasys_safe_mode_failed(void)
{
    record_t record = load();
    store((record_t){ record.failed + 1, false });
}

void luasys_safe_mode_clear(void)
{
    store((record_t){ 0, false });
    s_safe.active = false;
}

void luasys_safe_mode_status(unsigned *failed, unsigned *limit, bool *active)
{
    *failed = load().failed;
    *limit = s_safe.boots;
    *active = s_safe.active;
}

uint32_t luasys_safe_mode_grace_ms(void)
{
    return s_safe.grace_ms;
}
