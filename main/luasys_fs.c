#include "luasys_fs.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "sdkconfig.h"

#if CONFIG_IDF_TARGET_LINUX

#include <sys/statvfs.h>

/* The linux target has no flash filesystem: LUASYS_FS_BASE maps to the
 * directory in $LUASYS_LUA_DIR, by default ./lua (run from the project root). */
esp_err_t luasys_fs_mount(void)
{
    return ESP_OK;
}

const char *luasys_fs_script_path(void)
{
    static char path[512];
    const char *dir = getenv("LUASYS_LUA_DIR");
    const char *script = CONFIG_LUA_SYS_SCRIPT_PATH;
    size_t base_len = strlen(LUASYS_FS_BASE);
    if (strncmp(script, LUASYS_FS_BASE "/", base_len + 1) != 0) {
        return script; /* not under the mount point: a host path already */
    }
    snprintf(path, sizeof(path), "%s%s", dir != NULL ? dir : "lua", script + base_len);
    return path;
}

const char *luasys_fs_root(void)
{
    const char *dir = getenv("LUASYS_LUA_DIR");
    return dir != NULL ? dir : "lua";
}

esp_err_t luasys_fs_usage(size_t *total, size_t *used)
{
    struct statvfs fs;
    if (statvfs(luasys_fs_root(), &fs) != 0) {
        return ESP_FAIL;
    }
    *total = (size_t)(fs.f_blocks * fs.f_frsize);
    *used = (size_t)((fs.f_blocks - fs.f_bfree) * fs.f_frsize);
    return ESP_OK;
}

#else

#include "esp_littlefs.h"

static const char *TAG = "luasys_fs";
static const char STORAGE_PARTITION[] = "storage"; /* partitions.csv */

esp_err_t luasys_fs_mount(void)
{
    const esp_vfs_littlefs_conf_t conf = {
        .base_path = LUASYS_FS_BASE,
        .partition_label = STORAGE_PARTITION,
        /* Never erase the user's scripts because a mount failed. */
        .format_if_mount_failed = false,
    };
    esp_err_t err = esp_vfs_littlefs_register(&conf);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "cannot mount LittleFS partition 'storage' at %s: %s", LUASYS_FS_BASE,
                 esp_err_to_name(err));
    }
    return err;
}

const char *luasys_fs_script_path(void)
{
    return CONFIG_LUA_SYS_SCRIPT_PATH;
}

const char *luasys_fs_root(void)
{
    return LUASYS_FS_BASE;
}

esp_err_t luasys_fs_usage(size_t *total, size_t *used)
{
    return esp_littlefs_info(STORAGE_PARTITION, total, used);
}

#endif
