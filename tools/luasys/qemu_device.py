"""The firmware built for the ESP32-C3, booted in Espressif's QEMU (the esp32c3 machine)
with the console on its UART0: the pytest plugin's `qemu` device kind, through
pytest-embedded's own qemu service, and a plain boot for tools that keep one running.

The build: PROJECT/build-qemu-esp32c3 (LUASYS_ESP32C3_BUILD elsewhere), as the QEMU kit's
`idf-qemu.sh build` makes it (tools/build-qemu-esp32c3.sh in the LuaSys repository) or
as your own ESP-IDF does: `idf.py -B build-qemu-esp32c3 -DSDKCONFIG=build-qemu-esp32c3/sdkconfig
-DSDKCONFIG_DEFAULTS="sdkconfig.defaults;sdkconfig.defaults.qemu" set-target esp32c3 build`.
The emulator: LUASYS_QEMU, else qemu-system-riscv32 on PATH (ESP-IDF installs Espressif's
with `idf_tools.py install qemu-riscv32`). docs/firmware.md#the-firmware-in-qemu."""

from __future__ import annotations

import io
import json
import os
import posixpath
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from littlefs import LittleFS, UserContext

from .fs_command import BLOCK_SIZE, LITTLEFS_GEOMETRY, PARTITION_NAME as STORAGE_PARTITION

TARGET = "esp32c3"
BUILD_DIR = "build-qemu-esp32c3"
# UART0 on QEMU's stdio and no monitor: `-nographic` alone multiplexes the monitor onto
# stdio, and its escape key, Ctrl-A, is the console protocol's marker byte (0x01).
# Write QEMU's stdout to a file or a pipe that is always read: Espressif-based QEMU 9.2
# builds drop UART output that a socket or pty refuses (docs/firmware.md).
STOP_TIMEOUT_S = 10
LAUNCHER = "qemu-dies-with-parent"  # in the build directory: Firmware._qemu_dying_with_parent
QEMU_ARGS = ("-nographic", "-machine", TARGET, "-serial", "stdio", "-monitor", "none", "-icount", "shift=3")
BUILD_HINT = ("build it with the QEMU kit (tools/build-qemu-esp32c3.sh PATH/TO/idf-qemu.sh in the LuaSys "
              "repository) or with your own ESP-IDF and QEMU (docs/firmware.md#the-firmware-in-qemu)")


@dataclass(frozen=True)
class Firmware:
    """A build of the firmware for the ESP32-C3 and the QEMU that boots it."""

    project: Path
    build: Path
    qemu: str

    def pytest_embedded_options(self) -> dict[str, str]:
        """pytest-embedded's options (DutFactory.create) for a dut that boots the firmware:
        a new QEMU process, a power-on, on a flash image QemuApp merges afresh from the
        build, so each dut starts on a freshly flashed chip; pytest-embedded stops it
        (SIGTERM) after the test."""
        _esptool_on_path()
        return {"embedded_services": "idf,qemu", "app_path": str(self.project), "build_dir": str(self.build),
                "target": TARGET, "qemu_prog_path": self._qemu_dying_with_parent(),
                "qemu_cli_args": " ".join(QEMU_ARGS)}

    def _qemu_dying_with_parent(self) -> str:
        """The QEMU program for pytest-embedded, which starts it with a plain Popen: a
        QEMU never ends by itself, so a test run killed without a chance to clean up
        (SIGKILL, a CI timeout) would leave it running. Where util-linux's setpriv is
        there (Linux), a script in the build directory execs QEMU through it with the
        kernel's SIGKILL on its parent's death (the dut's process is QEMU itself, and
        `--version` reaches QEMU, which QemuApp asks); elsewhere QEMU itself."""
        setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
        if setpriv is None:
            return self.qemu
        script = self.build / LAUNCHER
        text = f'#!/bin/sh\nexec {shlex.quote(setpriv)} --pdeathsig KILL -- {shlex.quote(self.qemu)} "$@"\n'
        if not script.is_file() or script.read_text() != text:
            script.write_text(text)
            script.chmod(0o755)
        return str(script)

    def flash_image(self, path: Path, files: Mapping[str, bytes] | None = None) -> Path:
        """A freshly flashed chip's flash at `path` (bootloader, partition table, app,
        the LittleFS image of lua/), merged as pytest-embedded-qemu's QemuApp does for
        its qemu service; returns `path`. For a QEMU that outlives a test (command()).

        `files` (path under /lua: content) are added to the LittleFS partition on the
        host, as a filesystem image flashed with them would hold them: what the console's
        `put` would write, without the emulated flash writes, which are slow in QEMU
        (docs/firmware.md#the-firmware-in-qemu)."""
        from pytest_embedded_qemu.app import QemuApp

        _esptool_on_path()
        QemuApp(msg_queue=io.StringIO(), app_path=str(self.project), build_dir=str(self.build),
                qemu_image_path=str(path), qemu_prog_path=self.qemu)
        if files:
            add_to_storage(path, self.build, files)
        return path

    def command(self, flash_image: Path) -> list[str]:
        """QEMU booting `flash_image` (which it writes to, as the chip writes its flash),
        the console on its stdin/stdout."""
        return [self.qemu, *QEMU_ARGS, "-drive", f"file={flash_image},if=mtd,format=raw"]


def add_to_storage(flash: Path, build: Path, files: Mapping[str, bytes]) -> None:
    """Writes `files` (path under /lua: content) into the LittleFS partition of the
    merged flash image `flash` of `build`, keeping what it holds; raises LittleFSError
    when the partition does not mount (it is never formatted over)."""
    storage = json.loads((build / "flasher_args.json").read_text()).get(STORAGE_PARTITION)
    if storage is None:
        raise ValueError(f"{build}/flasher_args.json: no '{STORAGE_PARTITION}' partition to add files to")
    offset = int(storage["offset"], 0)
    size = (build / storage["file"]).stat().st_size
    with flash.open("r+b") as image:
        image.seek(offset)
        fs = LittleFS(UserContext(buffer=bytearray(image.read(size))), mount=False, block_size=BLOCK_SIZE,
                      block_count=size // BLOCK_SIZE, **LITTLEFS_GEOMETRY)
        fs.mount()
        for name, content in files.items():
            parent = posixpath.dirname(name)
            if parent:
                fs.makedirs(parent, exist_ok=True)
            with fs.open(name, "wb") as f:
                f.write(content)
        fs.unmount()
        image.seek(offset)
        image.write(fs.context.buffer)


def _esptool_on_path() -> None:
    """QemuApp merges the image with the `esptool.py` of this Python's environment."""
    scripts = str(Path(sys.executable).parent)
    if shutil.which("esptool.py") is None and scripts not in os.environ["PATH"].split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ["PATH"]


def power_off(dut) -> None:
    """Stops the QEMU of a pytest-embedded qemu dut with SIGTERM and waits for it: QEMU
    then writes back what the firmware wrote to its flash. (pytest-embedded's own close,
    which follows, sends SIGKILL right after SIGTERM.)"""
    qemu = dut.qemu
    if qemu.poll() is None:
        qemu.send_signal(signal.SIGTERM)
        try:
            qemu.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            qemu.kill()
            qemu.wait()


def find(project: Path) -> Firmware | str:
    """The firmware of `project` and its QEMU, or why they cannot be used."""
    build = Path(os.environ.get("LUASYS_ESP32C3_BUILD", project / BUILD_DIR))
    qemu = os.environ.get("LUASYS_QEMU") or shutil.which("qemu-system-riscv32")
    if not (build / "flasher_args.json").is_file():
        return f"the ESP32-C3 firmware is not built ({build}): {BUILD_HINT}"
    if not qemu or not Path(qemu).is_file():
        return f"no QEMU for the ESP32-C3 (LUASYS_QEMU, or qemu-system-riscv32 on PATH): {BUILD_HINT}"
    return Firmware(project, build, qemu)
