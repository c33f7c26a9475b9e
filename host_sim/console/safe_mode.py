"""Safe mode for the simulated board, the twin of main/luasys_safe_mode.c: after
`boots` failed starts of the boot script in a row (an uncaught error in its main
chunk, or a reset before it has run for `grace_s`), a boot does not run it. The
count lives in the file `.safe_mode` in the --fs directory, as on the native build."""

from __future__ import annotations

from pathlib import Path

FILE = ".safe_mode"
DEFAULT_BOOTS = 3
DEFAULT_GRACE_S = 5.0

def banner_line(failed: int) -> str:
    return (f"luasys: SAFE MODE: the boot script failed to start {failed} times in a row; not running it. "
            "Push a new main.lua or run `luasys safe-mode --clear`, then `luasys restart`.")


class SafeMode:
    def __init__(self, root: Path, boots: int | None = None, grace_s: float | None = None) -> None:
        self.path = Path(root) / FILE
        self.boots = boots or DEFAULT_BOOTS
        self.grace_s = grace_s or DEFAULT_GRACE_S
        self.active = False

    def failed(self) -> int:
        try:
            return int(self.path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def _store(self, failed: int) -> None:
        if failed == 0:
            self.path.unlink(missing_ok=True)
        else:
            self.path.write_text(f"{failed}\n")

    def enter_boot(self, script: Path) -> bool:
        """True: run the boot script (the attempt is counted now); False: safe mode.
        A missing script is not counted: there is nothing to skip."""
        if not Path(script).is_file():
            return True
        failed = self.failed()
        if failed >= self.boots:
            self.active = True
            return False
        self._store(failed + 1)
        return True

    def healthy(self) -> None:
        if self.failed():
            self._store(0)

    def clear(self) -> None:
        self._store(0)
        self.active = False

    def status(self) -> tuple[str, int, int]:
        return ("on" if self.active else "off", self.failed(), self.boots)
