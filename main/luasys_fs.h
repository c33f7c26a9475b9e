/* Where the application script lives: LittleFS on the `storage` partition,
 * mounted at LUASYS_FS_BASE on chips; a host directory on the linux target. */
#pragma once

#include <stddef.h>

#include "esp_err.h"

#define LUASYS_FS_BASE "/lua"

/* Makes the script directory available. */
esp_err_t luasys_fs_mount(void);

/* The path of CONFIG_LUA_SYS_SCRIPT_PATH on this target. */
const char *luasys_fs_script_path(void);

/* The directory LUASYS_FS_BASE is on this target: the console's file root. */
const char *luasys_fs_root(void);

/* The script filesystem's size and use in bytes (the console's `df`). */
esp_err_t luasys_fs_usage(size_t *total, size_t *used);
