"""README's "Day to day" sequence, command by command, against `luasys sim --serial`,
`luasys native --serial` and the firmware built for ESP-IDF's linux target (`luasys
native --serial --idf-linux`): each command attaches without resetting the device, so
the script keeps running between them, `describe` shows the uptime growing, and no
command is ever taken for a failed start (no safe mode)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from luasys import child_process
from luasys.cli import main

from backends import SERIAL_DEVICES, serial_device_command

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=SERIAL_DEVICES)
def device(request, tmp_path: Path, monkeypatch):
    fs = tmp_path / "dev-fs"
    fs.mkdir()
    (fs / "old.lua").write_text("print('old')\n")
    server = child_process.spawn(serial_device_command(request.param, fs), stdout=subprocess.PIPE, text=True)
    monkeypatch.setenv("LUASYS_PORT", server.stdout.readline().strip())
    yield fs
    server.terminate()
    server.wait(timeout=10)


# The one-line errors of luasys.console_client's TimeoutErrors.
TIMEOUTS = ("no reply from the device in time", "the device did not answer")


def luasys(capsys, *argv: str) -> str:
    status = main(list(argv))
    out, err = capsys.readouterr()
    if status != 0 and any(text in err for text in TIMEOUTS):
        raise TimeoutError(err.strip())  # a timeout stays one (see the docstring)
    assert status == 0, err
    assert "SAFE MODE" not in out + err and "Traceback" not in err
    return out


def clocks(capsys) -> tuple[int, int]:
    """describe's (uptime_ms, millis): the device's time since boot, the run's clock."""
    text = luasys(capsys, "describe")
    return int(re.search(r"^uptime_ms=(\d+)$", text, re.M).group(1)), int(re.search(r"^millis=(\d+)$", text, re.M).group(1))


def uptime(capsys) -> int:
    return clocks(capsys)[0]


def test_the_readme_sequence(device: Path, capsys):
    fs = device
    luasys(capsys, "push", str(REPO / "lua" / "main.lua"))
    assert (fs / "main.lua").read_bytes() == (REPO / "lua" / "main.lua").read_bytes()
    assert "main.lua" in luasys(capsys, "ls")
    assert luasys(capsys, "get", "main.lua", "-") == (REPO / "lua" / "main.lua").read_text()
    luasys(capsys, "rm", "old.lua")
    assert not (fs / "old.lua").exists()
    assert "Count: 1" in luasys(capsys, "run", "main.lua", "--for", "1.5")
    first, run_clock = clocks(capsys)  # the script has run for at least the 1.5 s of `run --for`
    assert run_clock >= 1000 and first >= run_clock
    assert int(luasys(capsys, "eval", "sys.stats().tasks_live")) >= 1
    # The device kept running while no client was connected: its uptime went on.
    assert uptime(capsys) > first
    assert luasys(capsys, "safe-mode").startswith("safe mode off: 0 failed start(s)")


def test_uptime_grows_across_connections(device: Path, capsys):
    (device / "main.lua").write_text("sys.timerLoopStart(function() end, 100)\nsys.run()\n")
    luasys(capsys, "restart")
    readings = [uptime(capsys) for _ in range(3)]
    assert readings == sorted(readings) and readings[0] < readings[-1]
    assert luasys(capsys, "safe-mode").startswith("safe mode off: 0 failed start(s)")


def test_the_uptime_goes_on_across_runs_and_resets_with_a_reset(device: Path, capsys):
    """rtos.millis() is the run's clock (docs/rtos-contract.md): it starts again with
    each run. describe's uptime_ms is the device's: only a reset starts it again."""
    (device / "main.lua").write_text("sys.timerLoopStart(function() end, 100)\nsys.run()\n")
    luasys(capsys, "restart")
    before_restart, _ = clocks(capsys)
    asked = time.monotonic()
    luasys(capsys, "restart")
    after_restart, run_clock = clocks(capsys)
    since_asked_ms = (time.monotonic() - asked) * 1000
    # The run (and its clock) began after the restart was asked for; the uptime went on.
    assert run_clock <= since_asked_ms and after_restart > before_restart
    asked = time.monotonic()
    luasys(capsys, "reset")
    after_reset, _ = clocks(capsys)
    # The device booted again after the reset was asked for: its uptime began then.
    assert after_reset <= (time.monotonic() - asked) * 1000


def test_a_chain_runs_over_one_connection(device: Path, capsys, tmp_path: Path):
    script = tmp_path / "chained.lua"
    script.write_text("print('chained run')\nsys.timerLoopStart(function() end, 100)\nsys.run()\n")
    out = luasys(capsys, "push", str(script), "+", "run", "chained.lua", "--for", "1", "+", "eval", "1 + 1",
                 "+", "ls")
    assert "chained run" in out and "2\n" in out and "chained.lua" in out
