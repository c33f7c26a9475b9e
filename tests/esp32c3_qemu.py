"""The conformance suite on the ESP32-C3 firmware in QEMU (backend "esp32c3"): one QEMU
boots for the whole suite, the case files are pushed to its LittleFS partition once,
and each case runs in a fresh Lua runtime through the console's `run <path> idle`
(docs/console-protocol.md), which ends when the case's sys.run() has returned and its
main chunk has ended, and answers after everything the case printed.

A case is selected as on the other backends, by the global LUASYS_CASE, which a small
script sets before it runs the case file (the chip has no environment variables)."""

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
BOOT_TIMEOUT_S = 60
REPLY_TIMEOUT_S = 60  # a put under a heavily loaded host
CASE_TIMEOUT_S = 120
TAIL_LINES = 200  # enough to hold a panic report and the boot after it


def case_script(case_file: Path, case: str) -> str:
    """Selects `case` and runs its file: found through package.path, whose first
    entries are this script's directory (the runtime puts them there)."""
    return (f"LUASYS_CASE = [==[{case}]==]\n"
            f"dofile(assert(package.searchpath({case_file.stem!r}, package.path)))\n")


class ChipCases:
    """Runs conformance cases on a booted chip, one fresh runtime each."""

    def __init__(self, client: ConsoleClient, tail: deque[str]) -> None:
        self._client = client
        self._tail = tail

    def push(self, case_dir: Path) -> None:
        for path in sorted(case_dir.rglob("*.lua")):
            self._client.put(f"{CHIP_DIR}/{path.relative_to(case_dir).as_posix()}", path.read_bytes())

    def run(self, case_file: Path, case: str) -> str:
        """What the case printed (the traceback of an error in its file included)."""
        self._client.put(CASE_SCRIPT, case_script(case_file, case).encode())
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
    """QEMU on a freshly flashed image, the case files pushed; stopped at the end."""
    chip = firmware()
    with tempfile.TemporaryDirectory(prefix="luasys-esp32c3-") as tmp:
        transport = ProcessTransport(chip.command(chip.flash_image(Path(tmp) / "flash.bin")))
        try:
            tail: deque[str] = deque(maxlen=TAIL_LINES)
            client = ConsoleClient(transport, lambda line: tail.append(line.decode("utf-8", "replace").rstrip()),
                                   REPLY_TIMEOUT_S)
            cases = ChipCases(client, tail)
            try:
                client.wait_banner(BOOT_TIMEOUT_S)
                client.hello()
                cases.push(case_dir)
            except TimeoutError as error:
                raise TimeoutError(f"{error}; the chip's last lines:\n" + "\n".join(tail)) from None
            yield cases
        finally:
            transport.terminate()
