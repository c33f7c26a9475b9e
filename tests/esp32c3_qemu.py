"""The conformance suite on the ESP32-C3 firmware in QEMU (backend "esp32c3"): one QEMU
boots for the whole suite, its LittleFS partition flashed with the case files,
and each case runs in a fresh Lua runtime through the console's `run <path> idle`
(docs/console-protocol.md), which ends when the case's sys.run() has returned and its
main chunk has ended, and answers after everything the case printed.

A case is selected as on the other backends, by the global LUASYS_CASE, which the
runner script (case.lua, flashed with the case files) sets from the selection file
before it runs the case file (the chip has no environment variables). The selection file
is the one file written per case, and it lives in a directory of its own: a LittleFS
directory's metadata is a log that every commit to it extends and every lookup in it
reads, so a file rewritten 160 times beside the 19 case files made each write and each
open in that directory slower, and compacting it took about a second now and then
(docs/firmware.md#the-firmware-in-qemu)."""

from __future__ import annotations

import os
import tempfile
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from luasys import qemu_device
from luasys.console_client import ConsoleClient
from luasys.transport import ProcessTransport

REPO = Path(__file__).resolve().parent.parent
CHIP_DIR = "conformance"  # where the case files go, under the chip's /lua
CASE_SCRIPT = f"{CHIP_DIR}/case.lua"
# The case file's name, a newline, the case's name; relative to CASE_SCRIPT's directory.
SELECTION = "select/case.txt"
BOOT_TIMEOUT_S = 60
REPLY_TIMEOUT_S = 60  # a put under a heavily loaded host
CASE_TIMEOUT_S = 120
TAIL_LINES = 200  # enough to hold a panic report and the boot after it


# Selects the case the selection file names and runs its file, found through
# package.path, whose first entries are this script's directory (the runtime puts them
# there), so a case sees the same package.path as on the other backends.
CASE_RUNNER = f"""\
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local selection = assert(io.open(here .. "/{SELECTION}", "rb"))
local case_file, case = selection:read("l", "a")
selection:close()
LUASYS_CASE = case
dofile(assert(package.searchpath(case_file, package.path)))
"""


def chip_files(case_dir: Path) -> dict[str, bytes]:
    """The files the chip's filesystem gets (paths under /lua): the case files, the runner."""
    files = {f"{CHIP_DIR}/{path.relative_to(case_dir).as_posix()}": path.read_bytes()
             for path in sorted(case_dir.rglob("*.lua"))}
    files[CASE_SCRIPT] = CASE_RUNNER.encode()
    return files


def selection(case_file: Path, case: str) -> bytes:
    """What the runner reads to select `case` of `case_file`."""
    if "\n" in case:
        raise ValueError(f"a case name is one line (got {case!r})")
    return f"{case_file.stem}\n{case}".encode()


class ChipCases:
    """Runs conformance cases on a booted chip, one fresh runtime each."""

    def __init__(self, client: ConsoleClient, tail: deque[str]) -> None:
        self._client = client
        self._tail = tail

    def run(self, case_file: Path, case: str) -> str:
        """What the case printed (the traceback of an error in its file included)."""
        self._client.put(f"{CHIP_DIR}/{SELECTION}", selection(case_file, case))
        try:
            _ending, printed = self._client.run_until_idle(CASE_SCRIPT, CASE_TIMEOUT_S)
        except TimeoutError:
            return (f"the case did not end within {CASE_TIMEOUT_S} s; the chip's last lines:\n"
                    + "\n".join(self._tail))
        return "\n".join(printed)


def firmware() -> qemu_device.Firmware:
    """The ESP32-C3 build and its QEMU; skips (fails in CI: LUASYS_REQUIRE_QEMU=1)
    when they are not there."""
    found = qemu_device.find(REPO)
    if isinstance(found, str):
        (pytest.fail if os.environ.get("LUASYS_REQUIRE_QEMU") == "1" else pytest.skip)(found)
    return found


@contextmanager
def booted_chip(case_dir: Path) -> Iterator[ChipCases]:
    """QEMU on a freshly flashed image whose filesystem holds the case files (flashed
    with them, not pushed: 19 puts of 127 KB took 18 s of emulated flash writes);
    stopped at the end."""
    chip = firmware()
    with tempfile.TemporaryDirectory(prefix="luasys-esp32c3-") as tmp:
        transport = ProcessTransport(chip.command(chip.flash_image(Path(tmp) / "flash.bin", chip_files(case_dir))))
        try:
            tail: deque[str] = deque(maxlen=TAIL_LINES)
            client = ConsoleClient(transport, lambda line: tail.append(line.decode("utf-8", "replace").rstrip()),
                                   REPLY_TIMEOUT_S)
            cases = ChipCases(client, tail)
            try:
                client.wait_banner(BOOT_TIMEOUT_S)
                client.hello()
            except TimeoutError as error:
                raise TimeoutError(f"{error}; the chip's last lines:\n" + "\n".join(tail)) from None
            yield cases
        finally:
            transport.terminate()
