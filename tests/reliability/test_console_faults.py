"""The console's uploads against faults a test cannot cause through the protocol alone:
a full disk, and a client that disconnects mid-upload (the device goes on; a reset
then finds no .part file left). On the simulator's and the native build's
PC devices (docs/console-protocol.md, *Uploads are atomic*)."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from backends import native_binary
from luasys import child_process
from luasys import pc_devices
from luasys import protocol as p
from luasys.device import Device
from luasys.pytest_device import reset
from luasys.transport import SerialTransport

KINDS = ["sim", "native"]
DISK_KB = 256


@contextlib.contextmanager
def pc_device(kind: str, fs: Path, disk_kb: int | None = None) -> Iterator[str]:
    """A PC device serving `fs`; with `disk_kb`, `fs` is a tmpfs of that size (in a
    user and mount namespace of its own, so no privileges are needed)."""
    command = pc_devices.command(kind, fs, native_binary() if kind == "native" else None)
    if disk_kb is not None:
        if shutil.which("unshare") is None or subprocess.run(
                ["unshare", "-rm", "true"], capture_output=True).returncode != 0:
            pytest.skip("no unprivileged user namespaces here (unshare -rm): cannot make a small disk")
        command = ["unshare", "-rm", "sh", "-c", f'mount -t tmpfs -o size={disk_kb}k tmpfs "$0" && exec "$@"',
                   str(fs), *command]
    server = child_process.spawn(command, stdout=subprocess.PIPE, text=True)
    try:
        pty = server.stdout.readline().strip()
        assert pty, f"the {kind} device did not start"
        yield pty
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextlib.contextmanager
def connected(pty: str, kind: str) -> Iterator[Device]:
    transport = SerialTransport(pty, 115200)
    device = Device(transport, kind)
    try:
        reset(device)  # opening the port does not reset a PC device: the console's reset does
        yield device
    finally:
        transport.close()


def reply(device: Device, tag: str) -> tuple[str, str]:
    match = device.expect(re.compile(re.escape(p.MARKER.decode() + tag) + r" (READY|OK|DATA|ERR) ?(.*)")).match
    return match.group(1), match.group(2)


def start_put(device: Device, tag: str, path: str, data: bytes) -> None:
    device.write(p.encode_request(tag, "put", path, len(data), f"{p.crc32(data):08x}"))
    assert reply(device, tag)[0] == p.READY


@pytest.mark.parametrize("kind", KINDS)
def test_a_full_disk_fails_the_upload_with_io_and_the_device_goes_on(tmp_path: Path, kind: str) -> None:
    with pc_device(kind, tmp_path, disk_kb=DISK_KB) as pty, connected(pty, kind) as device:
        device.push("small.lua", "x = 1\n")
        data = bytes(range(256)) * (2 * DISK_KB * 4)  # twice the disk
        start_put(device, "df1", "big.lua", data)
        device.write(data)
        assert reply(device, "df1") == (p.ERR, "io cannot write big.lua: No space left on device")
        assert [name for _, name in device.client.ls()] == ["small.lua"]  # no big.lua, no .part
        device.push("small.lua", "x = 2\n")
        assert device.get("small.lua") == b"x = 2\n"


@pytest.mark.parametrize("kind", KINDS)
def test_a_disconnect_mid_upload_leaves_no_part_file(tmp_path: Path, kind: str) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "left.lua.part").write_text("-- from an upload a reset cut\n")
    with pc_device(kind, tmp_path) as pty:
        with connected(pty, kind) as device:
            device.push("kept.lua", "x = 1\n")
            start_put(device, "dc1", "sub/cut.lua", b"print('never whole')\n")
            device.write(b"print(")
            device.expect(re.compile("^$|.*"), timeout_s=0.5) if False else None
        with connected(pty, kind) as device:  # reconnected and reset
            assert device.get("kept.lua") == b"x = 1\n"
            names = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*"))
            assert not [name for name in names if name.endswith(".part")], names


@pytest.mark.parametrize("kind", KINDS)
def test_restart_during_a_busy_loop_stops_it(tmp_path: Path, kind: str) -> None:
    """Found by attacking the console: the native build answered OK to a restart it could
    not do, and then answered nothing. A stop now ends even a task that never yields
    (a count hook on every coroutine, on both devices): the restart happens."""
    (tmp_path / "main.lua").write_text("print('booted') sys.run()\n")
    with pc_device(kind, tmp_path) as pty, connected(pty, kind) as device:
        device.expect("booted")
        device.line("print('spinning') local t = rtos.millis() while rtos.millis() - t < 60000 do end print('spun')")
        device.expect("spinning")
        device.write(p.encode_request("rb1", "restart"))
        assert reply(device, "rb1") == (p.OK, "")
        device.expect("booted")
        assert device.eval("return 6 * 7") == "42"
        assert "spun" not in device.output
