"""push/get/ls/rm/run round trips through the `luasys` commands against the simulator,
and the faults a serial line brings: a client that vanishes mid-upload."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import serial

from luasys import child_process
from luasys import protocol as p
from luasys.cli import main


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    fs = tmp_path_factory.mktemp("fs")
    server = child_process.spawn([sys.executable, "-m", "luasys", "sim", "--serial", "--fs", str(fs)],
                                 stdout=subprocess.PIPE, text=True)
    yield server.stdout.readline().strip(), fs
    server.terminate()
    server.wait(timeout=10)


def luasys(port: str, *args: str) -> int:
    return main([args[0], "--port", port, *args[1:]])


def test_push_ls_get_rm_round_trip(sim, tmp_path: Path, capsys):
    port, fs = sim
    source = tmp_path / "blink.lua"
    source.write_bytes(b"print('blink')\n" * 300)
    assert luasys(port, "push", str(source), "apps/blink.lua") == 0
    assert (fs / "apps" / "blink.lua").read_bytes() == source.read_bytes()
    capsys.readouterr()
    assert luasys(port, "ls", "apps") == 0
    assert capsys.readouterr().out.split() == [str(source.stat().st_size), "blink.lua"]
    copy = tmp_path / "copy.lua"
    assert luasys(port, "get", "apps/blink.lua", str(copy)) == 0
    assert copy.read_bytes() == source.read_bytes()
    assert luasys(port, "rm", "apps/blink.lua") == 0
    assert luasys(port, "get", "apps/blink.lua", str(copy)) == 1
    assert "no file apps/blink.lua (not-found)" in capsys.readouterr().err


def test_run_shows_the_script_output(sim, tmp_path: Path, capsys):
    port, _ = sim
    script = tmp_path / "hello.lua"
    script.write_text("print('hello from run')\n")
    assert luasys(port, "push", str(script)) == 0
    capsys.readouterr()
    assert luasys(port, "run", "hello.lua", "--for", "0.5") == 0
    assert "hello from run" in capsys.readouterr().out


def next_reply(link: serial.Serial) -> bytes:
    """The next framed reply line; program output may come first, at any moment."""
    line = link.read_until(b"\r\n")
    while line and not line.startswith(p.MARKER):
        line = link.read_until(b"\r\n")
    return line


def test_disconnect_mid_upload_leaves_the_old_file(sim, tmp_path: Path):
    port, fs = sim
    (fs / "keep.lua").write_bytes(b"old\n")
    data = b"new content\n" * 10
    with serial.Serial(port, 115200, timeout=5) as link:
        link.write(p.encode_request("d1", "put", "keep.lua", len(data), f"{p.crc32(data):08x}"))
        assert next_reply(link).startswith(b"\x01d1 READY")
        link.write(data[:7])
        link.flush()
    # The device saw the client leave and abandoned the upload; the next client finds
    # the old file (and the device as it was: opening the port does not reset it). It
    # starts with a bare LF, which ends the partial line the last client may have left.
    with serial.Serial(port, 115200, timeout=5) as link:
        link.write(b"\n")
        link.write(p.encode_request("d2", "get", "keep.lua"))
        assert next_reply(link) == b"\x01d2 DATA 4 %08x\r\n" % p.crc32(b"old\n")
    assert not (fs / "keep.lua.part").exists()
