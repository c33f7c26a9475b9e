"""README's "Day to day" sequence, command by command, against `luasys sim --serial`
and `luasys native --serial`: each command attaches without resetting the device, so
the script keeps running between them, `describe` shows the uptime growing, and no
command is ever taken for a failed start (no safe mode)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from luasys.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "native"))
from native_build import build_dir  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sim", "native"])
def device(request, tmp_path: Path, monkeypatch):
    fs = tmp_path / "dev-fs"
    fs.mkdir()
    (fs / "old.lua").write_text("print('old')\n")
    if request.param == "sim":
        command = [sys.executable, "-m", "luasys", "sim", "--serial"]
    else:
        command = [sys.executable, "-m", "luasys", "native", "--serial", "--binary", str(build_dir() / "luasys-native")]
    server = subprocess.Popen([*command, "--fs", str(fs)], stdout=subprocess.PIPE, text=True)
    monkeypatch.setenv("LUASYS_PORT", server.stdout.readline().strip())
    yield fs
    server.terminate()
    server.wait(timeout=10)


def luasys(capsys, *argv: str) -> str:
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "SAFE MODE" not in out + err and "Traceback" not in err
    return out


def millis(capsys) -> int:
    return int(re.search(r"millis=(\d+)", luasys(capsys, "describe")).group(1))


def test_the_readme_sequence(device: Path, capsys):
    fs = device
    luasys(capsys, "push", str(REPO / "lua" / "main.lua"))
    assert (fs / "main.lua").read_bytes() == (REPO / "lua" / "main.lua").read_bytes()
    assert "main.lua" in luasys(capsys, "ls")
    assert luasys(capsys, "get", "main.lua", "-") == (REPO / "lua" / "main.lua").read_text()
    luasys(capsys, "rm", "old.lua")
    assert not (fs / "old.lua").exists()
    assert "Count: 1" in luasys(capsys, "run", "main.lua", "--for", "1.5")
    first = millis(capsys)  # the script has run for at least the 1.5 s of `run --for`
    assert first >= 1000
    assert int(luasys(capsys, "eval", "sys.stats().tasks_live")) >= 1
    # The script kept running while no client was connected: its clock went on.
    assert millis(capsys) > first
    assert luasys(capsys, "safe-mode").startswith("safe mode off: 0 failed start(s)")


def test_uptime_grows_across_connections(device: Path, capsys):
    (device / "main.lua").write_text("sys.timerLoopStart(function() end, 100)\nsys.run()\n")
    luasys(capsys, "restart")
    readings = [millis(capsys) for _ in range(3)]
    assert readings == sorted(readings) and readings[0] < readings[-1]
    assert luasys(capsys, "safe-mode").startswith("safe mode off: 0 failed start(s)")


def test_a_chain_runs_over_one_connection(device: Path, capsys, tmp_path: Path):
    script = tmp_path / "chained.lua"
    script.write_text("print('chained run')\nsys.timerLoopStart(function() end, 100)\nsys.run()\n")
    out = luasys(capsys, "push", str(script), "+", "run", "chained.lua", "--for", "1", "+", "eval", "1 + 1",
                 "+", "ls")
    assert "chained run" in out and "2\n" in out and "chained.lua" in out
