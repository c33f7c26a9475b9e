"""Safe mode (issue 7 item 4, docs/reliability.md): a main.lua that fails at start
N times in a row is not run at the next boot; the console says so, takes a new
script, and `luasys safe-mode` reports and clears it. The same scenario on the
simulator (`luasys sim --serial`) and the native build (`luasys native --serial`),
where each open of the pty is a reset of the device."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from luasys.cli import main
from luasys.console_client import ConsoleClient
from luasys.transport import open_transport

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "native"))
from native_build import build_dir  # noqa: E402

GRACE_MS = 300


@pytest.fixture(params=["sim", "native"])
def device(request, tmp_path: Path):
    fs = tmp_path / "fs"
    fs.mkdir()
    if request.param == "sim":
        command = [sys.executable, "-m", "luasys", "sim", "--serial"]
    else:
        command = [sys.executable, "-m", "luasys", "native", "--serial",
                   "--binary", str(build_dir() / "luasys-native")]
    server = subprocess.Popen([*command, "--fs", str(fs), "--safe-mode-grace", str(GRACE_MS)],
                              stdout=subprocess.PIPE, text=True)
    yield server.stdout.readline().strip(), fs
    server.terminate()
    server.wait(timeout=10)


class Session:
    """One connection = one boot; collects what the device prints."""

    def __init__(self, port: str) -> None:
        self.output = bytearray()
        self._transport = open_transport(port, 115200, "fs")
        self.client = ConsoleClient(self._transport, self.output.extend, 10.0)
        self.client.hello()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self._transport.close()


def test_boot_loop_enters_safe_mode_and_a_new_script_leaves_it(device, tmp_path: Path, capsys):
    port, fs = device
    (fs / "main.lua").write_text('error("broken at start")\n')
    seen = []
    for _ in range(4):  # each connection is a reset: three failed starts, then safe mode
        with Session(port) as s:
            s.client.pump(0.2)  # let the failing start print
            seen.append(s.client.safe_status())
    assert seen == [("off", 1, 3), ("off", 2, 3), ("off", 3, 3), ("on", 3, 3)]
    with Session(port) as s:
        assert s.client.safe_status() == ("on", 3, 3)
        s.client.pump(0.1)
        assert b"SAFE MODE" in bytes(s.output)
        assert b"broken at start" not in bytes(s.output)
        assert [name for _, name in s.client.ls()] == ["main.lua"]  # the counter is not listed
        # a new main.lua clears the count
        s.client.put("main.lua", b'print("fixed")\nsys.timerLoopStart(function() end, 1000)\nsys.run()\n')
        assert s.client.safe_status() == ("off", 0, 3)
    with Session(port) as s:
        # the new script runs; once it has lived through the grace period, its start counts as good
        deadline = time.monotonic() + 10
        while s.client.safe_status()[1] != 0:
            assert time.monotonic() < deadline, "the healthy start was never recorded"
            s.client.pump(0.1)
        assert b"fixed" in bytes(s.output)
        assert not (fs / ".safe_mode").exists()


def test_luasys_safe_mode_clear(device, capsys):
    port, fs = device
    (fs / "main.lua").write_text('error("broken")\n')
    for _ in range(4):
        with Session(port) as s:
            s.client.pump(0.2)  # three failing starts, then a boot in safe mode
    assert main(["safe-mode", "--port", port]) == 0
    assert "safe mode on: 3 failed start(s) in a row, limit 3" in capsys.readouterr().out
    assert main(["safe-mode", "--clear", "--port", port]) == 0
    assert "safe mode off: 0 failed start(s)" in capsys.readouterr().out
    assert not (fs / ".safe_mode").exists()
