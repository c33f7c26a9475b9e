/* Safe mode (docs/reliability.md, docs/firmware.md): when the boot script
 * fails at start SAFE_MODE_BOOTS times in a row, the next boot does not run
 * it; the console stays up to take a new script.
 *
 * A start fails only for real: the main chunk raised an uncaught error, or
 * the board reset for a panic or a watchdog (esp_reset_reason()) before the
 * script had run for the grace period. A console connection, a clean stop, a
 * software reset asked for (rtos.reboot(), the console's reset) and a reset
 * from the host (EN pin, USB-Serial-JTAG) never count.
 *
 * The count of failed starts and whether a start is on trial survive resets:
 * in RTC memory on chips (RTC_NOINIT_ATTR), in the file <fs_root>/.safe_mode
 * on hosts (the native build and the ESP-IDF linux target). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sdkconfig.h"

#ifndef CONFIG_LUASYS_SAFE_MODE_BOOTS
#define CONFIG_LUASYS_SAFE_MODE_BOOTS 3
#endif
#ifndef CONFIG_LUASYS_SAFE_MODE_GRACE_MS
#define CONFIG_LUASYS_SAFE_MODE_GRACE_MS 5000
#endif

/** The file that holds the count on hosts, relative to the fs root. */
#define LUASYS_SAFE_MODE_FILE ".safe_mode"

/** @brief Where the count lives on hosts, and the limits (0: the Kconfig defaults). */
void luasys_safe_mode_init(const char *fs_root, unsigned boots, uint32_t grace_ms);

/**
 * @brief Decides, once per boot, whether the boot script runs; call it before
 *        the console starts, so that `safe-status` never sees the old count.
 *        A start that was on trial when a panic or watchdog reset the board
 *        is counted as failed now.
 * @return true: run it (its start is on trial until luasys_safe_mode_healthy()
 *         or luasys_safe_mode_failed()); false: safe mode, do not run it.
 *         Later calls return the same. A missing script is never on trial.
 */
bool luasys_safe_mode_enter_boot(const char *script_path);

/** @brief Prints the safe-mode line (after the console's banner) when in safe mode. */
void luasys_safe_mode_announce(void);

/** @brief The boot script got through its start (or was stopped cleanly):
 *         the count goes back to 0. */
void luasys_safe_mode_healthy(void);

/** @brief The boot script's main chunk raised before its start settled. */
void luasys_safe_mode_failed(void);

/** @brief Clears the count and leaves safe mode (console `safe-clear`, a new main.lua). */
void luasys_safe_mode_clear(void);

/** @brief The console's `safe-status`: failed starts so far, the limit, and
 *         whether this boot skipped the script. */
void luasys_safe_mode_status(unsigned *failed, unsigned *limit, bool *active);

/** @brief How long the boot script must run before its start counts as good. */
uint32_t luasys_safe_mode_grace_ms(void);
