"""luasys-native as a program: exit statuses, output, memory cap, reboot, and the
rtos binding's native-only behaviour (real FreeRTOS timers behind rtos.timer_*)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from luasys import child_process
from native_build import build_dir


def run(tmp_path: Path, source: str, *options: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "main.lua"
    script.write_text(source)
    exe = build_dir() / "luasys-native"
    return child_process.run([str(exe), *options, str(script)], 60, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=tmp_path)


def test_main_chunk_return_exits_0_and_print_goes_to_stdout(tmp_path: Path) -> None:
    done = run(tmp_path, 'print("hello", rtos.version())\n', "--exit-when-idle")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello\tLuaSys-0.1.0\n"


def test_uncaught_error_exits_1_with_traceback_on_stderr(tmp_path: Path) -> None:
    done = run(tmp_path, 'local function f() error("boom") end\nf()\n')
    assert done.returncode == 1
    assert "main.lua:1: boom" in done.stderr
    assert "stack traceback:" in done.stderr
    assert done.stdout == ""


def test_reboot_exits_3(tmp_path: Path) -> None:
    done = run(tmp_path, 'print("up")\nrtos.reboot()\nprint("never")\n')
    assert done.returncode == 3
    assert done.stdout == "up\n"


def test_restart_on_reboot_reruns_the_script(tmp_path: Path) -> None:
    source = (
        'local f = io.open("boots", "a+") local n = #f:read("a") f:write("x") f:close()\n'
        'print("boot " .. n)\n'
        'if n < 2 then rtos.reboot() end\n'
    )
    done = run(tmp_path, source, "--restart-on-reboot")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["boot 0", "boot 1", "boot 2"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    exe = build_dir() / "luasys-native"
    for args in ([], ["--memory-limit"], ["--memory-limit", "x", "a.lua"], ["--bogus", "a.lua"]):
        assert child_process.run([str(exe), *args], 30, stdout=subprocess.PIPE, stderr=subprocess.PIPE).returncode == 2


def test_memory_limit_is_a_lua_error_and_the_runtime_survives(tmp_path: Path) -> None:
    source = (
        "local t = {}\n"
        "local ok, err = pcall(function() for i = 1, 1e7 do t[i] = ('x'):rep(64) .. i end end)\n"
        "t = nil collectgarbage()\n"
        "local total, used, max_used = rtos.meminfo('lua')\n"
        "print(ok, err, total, used < total, max_used <= total, max_used > used)\n"
    )
    done = run(tmp_path, source, "--memory-limit", "200", "--exit-when-idle")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"false\tnot enough memory\t{200 * 1024}\ttrue\ttrue\ttrue\n"


def test_timer_stop_discards_firings_already_queued(tmp_path: Path) -> None:
    # A 1 ms forever timer fills the queue while the script is busy; after
    # timer_stop nothing of that start may come out of receive.
    source = (
        "rtos.timer_start(5, 1, -1)\n"
        "local t0 = rtos.millis() while rtos.millis() - t0 < 30 do end\n"
        "local queued = rtos.queue_stats().depth\n"
        "assert(rtos.timer_stop(5) == true)\n"
        "assert(rtos.timer_stop(5) == false)\n"
        "local got = 0\n"
        "while true do\n"
        "  local id, reason = rtos.receive(rtos.INF_TIMEOUT)\n"
        "  if id == nil then print(queued > 0, got, reason) break end\n"
        "  got = got + 1\n"
        "end\n"
        "local st = rtos.queue_stats()\n"
        "print(st.posted == st.received + st.depth, st.depth)\n"
    )
    done = run(tmp_path, source, "--exit-when-idle")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["true\t0\tidle", "true\t0"]


def test_timer_repeat_counts_and_remaining(tmp_path: Path) -> None:
    source = (
        "rtos.timer_start(1, 2)\n"
        "rtos.timer_start(2, 3, 3)\n"
        "local seen = {}\n"
        "while true do\n"
        "  local kind, id, remaining = rtos.receive(rtos.INF_TIMEOUT)\n"
        "  if kind == nil then break end\n"
        "  assert(kind == rtos.MSG_TIMER)\n"
        "  seen[id] = (seen[id] or '') .. remaining\n"
        "end\n"
        "print(seen[1], seen[2])\n"
    )
    done = run(tmp_path, source, "--exit-when-idle")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "0\t210\n"


def test_timer_slots_run_out_with_a_zero_result(tmp_path: Path) -> None:
    source = (
        "for id = 1, rtos.TIMER_MAX do rtos.timer_start(id, 100000, -1) end\n"
        "print(pcall(rtos.timer_start, rtos.TIMER_MAX + 1, 10))\n"
        "print(rtos.timer_start(1, 100000))\n"  # restarting an active id needs no new slot
        "for id = 1, rtos.TIMER_MAX do rtos.timer_stop(id) end\n"
    )
    done = run(tmp_path, source, "--exit-when-idle")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "true\t0"
    assert lines[1] == "1"
