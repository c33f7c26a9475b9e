"""Devices on this PC that speak the console on a pty, as a board does on its UART:
the simulator (`luasys sim --serial`) and the native build (`luasys native --serial`).
The pytest plugin's device fixture and `luasys record`'s tests start them here."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path
from typing import Iterator

from . import child_process

KINDS = ("sim", "native")


def command(kind: str, fs: Path, native_binary: Path | None = None) -> list[str]:
    """The `luasys` command that serves device `kind` with `fs` as its filesystem."""
    if kind == "sim":
        return [sys.executable, "-m", "luasys", "sim", "--serial", "--fs", str(fs)]
    if kind == "native":
        binary = ["--binary", str(native_binary)] if native_binary else []
        return [sys.executable, "-m", "luasys", "native", "--serial", *binary, "--fs", str(fs)]
    raise ValueError(f"a PC device is one of {', '.join(KINDS)} (got {kind!r})")


@contextlib.contextmanager
def serve(kind: str, fs: Path, native_binary: Path | None = None) -> Iterator[str]:
    """Runs a PC device serving `fs`; yields the path of its pty; stops it after."""
    server = child_process.spawn(command(kind, fs, native_binary), stdout=subprocess.PIPE, text=True)
    try:
        pty = server.stdout.readline().strip()
        if not pty:
            raise RuntimeError(f"luasys {kind} --serial ended without serving a console "
                               f"(exit status {server.wait(child_process.STOP_TIMEOUT_S)})")
        yield pty
    finally:
        child_process.stop(server)
