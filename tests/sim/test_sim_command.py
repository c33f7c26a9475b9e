"""`luasys sim`: exit codes, output, flags — run as a user would, in a subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from backends import run_luasys

REPO = Path(__file__).resolve().parents[2]


def luasys(*args: str) -> subprocess.CompletedProcess:
    return run_luasys(*args, cwd=REPO)


def test_the_quick_start_example_runs_in_virtual_time():
    done = luasys("sim", "lua/main.lua", "--virtual-time", "--until", "10", "--timestamps")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("[   0.000] ")
    assert any("LED ON" in line for line in lines)
    assert any(line.startswith("[  10.000]") for line in lines)


def test_until_ends_a_run_early(tmp_path):
    script = tmp_path / "tick.lua"
    script.write_text("sys.timerLoopStart(function() print('tick', rtos.millis()) end, 1000) sys.run()")
    done = luasys("sim", str(script), "--virtual-time", "--until", "2.5")
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["tick\t1000", "tick\t2000"]


def test_an_uncaught_error_exits_non_zero_with_the_traceback(tmp_path):
    script = tmp_path / "bad.lua"
    script.write_text("error('broken script')")
    done = luasys("sim", str(script), "--virtual-time")
    assert done.returncode == 1
    assert "bad.lua:1: broken script" in done.stderr
    assert "stack traceback" in done.stderr


def test_a_missing_script_is_reported(tmp_path):
    done = luasys("sim", str(tmp_path / "nope.lua"))
    assert done.returncode == 1
    assert "nope.lua" in done.stderr


def test_lua_version_and_seed_flags(tmp_path):
    script = tmp_path / "v.lua"
    script.write_text("print(_VERSION, math.random(1000000))")
    first = luasys("sim", str(script), "--lua", "5.3", "--seed", "42")
    second = luasys("sim", str(script), "--lua", "5.3", "--seed", "42")
    assert first.stdout.startswith("Lua 5.3\t")
    assert first.stdout == second.stdout


def test_memory_limit_flag_caps_the_heap(tmp_path):
    script = tmp_path / "mem.lua"
    script.write_text("print(rtos.meminfo())")
    done = luasys("sim", str(script), "--memory-limit", "300")
    assert done.stdout.split("\t")[0] == str(300 * 1024)


def test_reboot_exits_with_status_3(tmp_path):
    script = tmp_path / "reboot.lua"
    script.write_text("sys.timerStart(rtos.reboot, 10) sys.run()")
    done = luasys("sim", str(script), "--virtual-time")
    assert done.returncode == 3
    assert "rtos.reboot()" in done.stderr


def test_help_describes_every_flag():
    done = luasys("sim", "--help")
    for flag in ("--virtual-time", "--until", "--lua", "--seed", "--memory-limit", "--timestamps"):
        assert flag in done.stdout


def test_trace_keeps_a_tasks_last_slice_on_its_own_lane(tmp_path: Path):
    """The slice in which a task ends was labelled after it (a dead coroutine has no
    frames: "task@thread: 0x..."), so it landed on a lane of its own."""
    script = tmp_path / "ends.lua"
    script.write_text("sys.taskInit(function() sys.wait(10) end)\nsys.run()\n")
    trace = tmp_path / "run.json"
    assert luasys("sim", str(script), "--virtual-time", "--trace", str(trace)).returncode == 0
    lanes = [event["args"]["name"] for event in json.loads(trace.read_text())["traceEvents"]
             if event.get("name") == "thread_name"]
    assert len(lanes) == 1 and lanes[0].startswith("task@") and lanes[0].endswith("ends.lua:1"), lanes


def test_an_idle_run_with_until_ends_idle_and_scheduling_ends_by_itself():
    """README: every example ends under --virtual-time --timestamps."""
    done = luasys("sim", "lua/examples/scheduling.lua", "--virtual-time", "--timestamps")
    assert done.returncode == 0 and "frames in 5 s" in done.stdout, done.stderr


def test_a_script_without_sys_run_that_leaves_tasks_fails(tmp_path: Path):
    script = tmp_path / "no_run.lua"
    script.write_text("sys.taskInit(function() sys.wait(10) print('after') end)\n")
    done = luasys("sim", str(script), "--virtual-time")
    assert done.returncode == 1 and "without sys.run()" in done.stderr and "after" not in done.stdout
