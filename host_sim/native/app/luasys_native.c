/*
 * luasys-native: the firmware's Lua runtime as a Linux program.
 *
 *   luasys-native [--exit-when-idle] [--memory-limit KB] [--restart-on-reboot] SCRIPT
 *   luasys-native --console [--fs DIR] [--memory-limit KB] [--safe-mode-boots N]
 *                 [--safe-mode-grace MS] [SCRIPT]
 *
 * With --console the program serves the device console on stdin/stdout
 * (docs/console-protocol.md), DIR (default ".") stands in for the device's
 * filesystem, SCRIPT defaults to DIR/main.lua, and the program runs until its
 * stdin closes.
 *
 * Exit status: 0 when the script's main chunk returns, 1 after an uncaught
 * error (traceback on stderr), 2 for bad usage, 3 on rtos.reboot() (with
 * --restart-on-reboot the program re-executes itself instead, like a reset).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <limits.h>
#include <sys/statvfs.h>

#include "esp_system.h"
#include "lua_sys_console.h"
#include "luasys_app.h"
#include "luasys_safe_mode.h"

static char **s_argv;

static void reexec_on_restart(void)
{
    fflush(NULL);
    setenv("LUASYS_RESET_REASON", "sw", 1); /* esp_reset_reason() of the next "boot" */
    execv("/proc/self/exe", s_argv);
    fprintf(stderr, "luasys-native: cannot restart: %s\n", strerror(errno));
}

static int usage(void);

static const char *s_fs_root;

static esp_err_t fs_usage(size_t *total, size_t *used)
{
    struct statvfs fs;
    if (statvfs(s_fs_root, &fs) != 0) {
        return ESP_FAIL;
    }
    *total = (size_t)(fs.f_blocks * fs.f_frsize);
    *used = (size_t)((fs.f_blocks - fs.f_bfree) * fs.f_frsize);
    return ESP_OK;
}

/* The console is a source of messages, so --exit-when-idle does not apply. */
static int serve_console(lua_sys_config_t *config, const char *fs_root, unsigned safe_boots,
                         uint32_t safe_grace_ms)
{
    static char boot_script[PATH_MAX];
    if (config->exit_when_idle) {
        return usage();
    }
    if (strlen(fs_root) > LUA_SYS_CONSOLE_FS_ROOT_MAX) {
        fprintf(stderr, "luasys-native: --fs: the directory's path is %zu bytes; the console takes at most %d\n",
                strlen(fs_root), LUA_SYS_CONSOLE_FS_ROOT_MAX);
        return 2;
    }
    snprintf(boot_script, sizeof boot_script, "%s/main.lua", fs_root);
    if (config->script_path == NULL) {
        config->script_path = boot_script;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    lua_sys_console_config_t console = {
        .io = lua_sys_console_stdio(),
        .fs_root = fs_root,
        .boot_script = config->script_path,
        .task_stack_size = 16384,
        .task_priority = 5,
        .safe_mode_status = luasys_safe_mode_status,
        .safe_mode_clear = luasys_safe_mode_clear,
        .fs_usage = fs_usage,
    };
    s_fs_root = fs_root;
    luasys_safe_mode_init(fs_root, safe_boots, safe_grace_ms);
    (void)luasys_safe_mode_enter_boot(config->script_path); /* counted before the console can be asked */
    esp_err_t err = lua_sys_console_start(&console);
    if (err != ESP_OK) {
        fprintf(stderr, "luasys-native: cannot start the console: %s\n", esp_err_to_name(err));
        return 1;
    }
    luasys_app_serve(config);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: luasys-native [--exit-when-idle] [--memory-limit KB] "
                    "[--restart-on-reboot] [--clock-start-ms MS] SCRIPT\n"
                    "       luasys-native --console [--fs DIR] [--memory-limit KB] [--safe-mode-boots N] "
                    "[--safe-mode-grace MS] [SCRIPT]\n");
    return 2;
}

int main(int argc, char **argv)
{
    lua_sys_config_t config = LUA_SYS_CONFIG_DEFAULT();
    config.script_path = NULL;
    bool restart_on_reboot = false;
    bool console = false;
    const char *fs_root = ".";
    unsigned long safe_boots = 0, safe_grace_ms = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--exit-when-idle") == 0) {
            config.exit_when_idle = true;
        } else if (strcmp(argv[i], "--console") == 0) {
            console = true;
        } else if (strcmp(argv[i], "--fs") == 0 && i + 1 < argc) {
            fs_root = argv[++i];
        } else if (strcmp(argv[i], "--restart-on-reboot") == 0) {
            restart_on_reboot = true;
        } else if (strcmp(argv[i], "--clock-start-ms") == 0 && i + 1 < argc) {
            char *end;
            unsigned long ms = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || ms > LUA_SYS_CLOCK_MASK) {
                return usage();
            }
            config.clock_start_ms = (uint32_t)ms;
        } else if ((strcmp(argv[i], "--safe-mode-boots") == 0 || strcmp(argv[i], "--safe-mode-grace") == 0) &&
                   i + 1 < argc) {
            char *end;
            unsigned long *out = argv[i][12] == 'b' ? &safe_boots : &safe_grace_ms;
            *out = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || *out == 0 || *out > 100000000ul) {
                return usage();
            }
        } else if (strcmp(argv[i], "--memory-limit") == 0 && i + 1 < argc) {
            char *end;
            unsigned long kb = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || kb == 0) {
                return usage();
            }
            config.heap_cap = (size_t)kb * 1024;
        } else if (argv[i][0] == '-' || config.script_path != NULL) {
            return usage();
        } else {
            config.script_path = argv[i];
        }
    }
    if (console) {
        return serve_console(&config, fs_root, (unsigned)safe_boots, (uint32_t)safe_grace_ms);
    }
    if (config.script_path == NULL) {
        return usage();
    }

    /* print() output must reach a pipe line by line, as on a UART. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (restart_on_reboot) {
        s_argv = argv;
        esp_register_shutdown_handler(reexec_on_restart);
    }
    return luasys_app_run(&config) == LUA_SYS_EXIT_OK ? 0 : 1;
}
