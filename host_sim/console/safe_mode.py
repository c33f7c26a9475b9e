"""Safe mode for the simulated board, the twin of main/luasys_safe_mode.c: after
`boots` failed starts of the boot script in a row, a boot does not run it.

A start fails only for real: its main chunk raised before it settled (ran for
`grace_s`), or the board reset for a crash (`CRASH_RESETS`) while it was on trial.
Connections, clean stops, requested restarts and host resets never count. The record
("<failed> <on_trial>") lives in the file `.safe_mode` in the --fs directory, as on the
native build."""

from __future__ import annotations

from pathlib import Path

FILE = ".safe_mode"
# main/Kconfig.projbuild's LUASYS_SAFE_MODE_BOOTS and LUASYS_SAFE_MODE_GRACE_MS: the
# defaults and ranges of the firmware (tests/tools/test_console_sources_agree.py).
DEFAULT_BOOTS = 3
BOOTS_RANGE = (1, 100)
DEFAULT_GRACE_MS = 5000
GRACE_MS_RANGE = (100, 600000)
# esp_reset_reason() values (without ESP_RST_) that a crashing script causes.
CRASH_RESETS = frozenset({"panic", "int_wdt", "task_wdt", "wdt", "cpu_lockup"})


def banner_line(failed: int) -> str:
    return (f"luasys: SAFE MODE: the boot script failed to start {failed} times in a row; not running it. "
            "Push a new main.lua or run `luasys safe-mode --clear`, then `luasys restart`.")


class SafeMode:
    def __init__(self, root: Path, boots: int | None = None, grace_s: float | None = None) -> None:
        self.path = Path(root) / FILE
        self.boots = DEFAULT_BOOTS if boots is None else boots
        self.grace_s = DEFAULT_GRACE_MS / 1000 if grace_s is None else grace_s
        self.active = False

    def _load(self) -> tuple[int, bool]:
        try:
            words = self.path.read_text().split()
            return int(words[0]), len(words) > 1 and words[1] != "0"
        except (OSError, ValueError, IndexError):
            return 0, False

    def _store(self, failed: int, on_trial: bool) -> None:
        if failed == 0 and not on_trial:
            self.path.unlink(missing_ok=True)
        else:
            self.path.write_text(f"{failed} {int(on_trial)}\n")

    def failed(self) -> int:
        return self._load()[0]

    def enter_boot(self, script: Path, reset_reason: str = "poweron") -> bool:
        """True: run the boot script (its start is on trial); False: safe mode. A start
        still on trial when a crash reset the board counts as failed now."""
        failed, on_trial = self._load()
        if on_trial and reset_reason in CRASH_RESETS:
            failed += 1
        self.active = Path(script).is_file() and failed >= self.boots
        self._store(failed, Path(script).is_file() and not self.active)
        return not self.active

    def healthy(self) -> None:
        """The start settled (or the run was stopped cleanly): the count goes back to 0."""
        if self._load() != (0, False):
            self._store(0, False)

    def start_failed(self) -> None:
        """The main chunk raised before its start settled."""
        self._store(self.failed() + 1, False)

    def clear(self) -> None:
        self._store(0, False)
        self.active = False

    def status(self) -> tuple[str, int, int]:
        return ("on" if self.active else "off", self.failed(), self.boots)
