"""Scheduling properties that need long virtual-time runs or the simulator's Python
side: drift-freedom over a million ticks, the trace file, reboot on error."""

from __future__ import annotations

import json
from pathlib import Path

from backends import run_luasys, run_on_simulator as run

REPO = Path(__file__).resolve().parents[2]


def test_a_fixed_rate_job_does_not_drift_over_a_million_ticks(tmp_path):
    # Callbacks of varying length (0..9 ms of a 10 ms period, by a fixed-seed PRNG so the
    # run is the same on every Lua) must not move the schedule: tick n starts at exactly
    # start + n * 10 ms. Some callbacks overrun on purpose (25 ms every 100,000 ticks):
    # their skipped ticks are counted, and the schedule resumes on the grid.
    _, result = run(tmp_path, """
        local TICKS, PERIOD = 1000000, 10
        local start = rtos.millis()
        local n, drifted, seed, last_start = 0, 0, 12345, nil
        local job
        job = sys.every(PERIOD, function()
            n = n + 1
            local elapsed = sys.ticksDiff(rtos.millis(), start)
            if elapsed % PERIOD ~= 0 then drifted = drifted + 1 end
            last_start = elapsed
            seed = (seed * 1103515245 + 12345) % 2147483648
            if n % 100000 == 0 then sys.wait(25) else sys.wait(seed % PERIOD) end
            if n == TICKS then job:cancel() end
        end)
        sys.run()
        local s = job:stats()
        print(n, drifted, s.overruns, last_start)
    """)
    assert result.status == "idle", result.error
    ticks, drifted, overruns, last_start = map(int, result.output[-1].split("\t"))
    assert ticks == 1_000_000
    assert drifted == 0
    assert overruns == 2 * 10  # each 25 ms callback at a tick skips the next two ticks
    # The last run is exactly on the grid, after the 18 ticks skipped before it (it is one
    # of the long runs itself: its own 2 skipped ticks come after it started).
    assert last_start == (ticks + overruns - 2) * 10


def test_a_fixed_delay_job_starts_each_run_an_interval_after_the_last_ended(tmp_path):
    _, result = run(tmp_path, """
        local starts, job = {}, nil
        job = sys.every(100, function()
            starts[#starts + 1] = rtos.millis()
            sys.wait(30)
            if #starts == 4 then job:cancel() end
        end, { policy = "delay" })
        sys.run()
        print(table.concat(starts, " "))
    """)
    assert result.output == ["100 230 360 490"]


def test_trace_file_opens_as_a_chrome_trace(tmp_path):
    trace = tmp_path / "run.json"
    script = tmp_path / "app.lua"
    script.write_text("""
        sys.task(function() for _ = 1, 3 do sys.wait(100) sys.publish("TICK") end end, { name = "ticker" })
        sys.subscribe("TICK", function() end)
        sys.timerStart(function() end, 150)
        sys.run()
    """)
    done = run_luasys("sim", str(script), "--virtual-time", "--trace", str(trace), cwd=REPO)
    assert done.returncode == 0, done.stderr
    events = json.loads(trace.read_text())["traceEvents"]
    lanes = {e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    assert {"ticker", "timers", "messages"} <= lanes
    runs = [e for e in events if e["ph"] == "X" and e["name"] == "ticker"]
    assert [e["ts"] // 1000 for e in runs] == [0, 100, 200, 300]
    assert all(e["dur"] >= 1 for e in runs)
    assert sum(1 for e in events if e["ph"] == "i" and e["name"] == "TICK") == 3
    timestamps = [e["ts"] for e in events if "ts" in e]
    assert timestamps == sorted(timestamps)


def test_on_error_reboot_restarts_the_device(tmp_path):
    _, result = run(tmp_path, """
        sys.task(function() sys.wait(10) error("unrecoverable") end, { on_error = "reboot" })
        sys.timerStart(function() print("never") end, 100)
        sys.run()
    """)
    assert result.status == "reboot"
    assert not any("never" in line for line in result.output)


def test_watchdog_flag_reports_a_task_that_hogs_the_loop(tmp_path):
    script = tmp_path / "hog.lua"
    script.write_text("""
        sys.subscribe("SYS_WATCHDOG", function(r) print("watchdog", r.name) end)
        sys.task(function()
            local t0 = rtos.micros()
            while sys.ticksDiff(rtos.micros(), t0) < 50000 do end
        end, { name = "hog" })
        sys.run()
    """)
    done = run_luasys("sim", str(script), "--virtual-time", "--watchdog", "10", cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "watchdog\thog" in done.stdout
    assert "watchdog: hog ran" in done.stdout  # stopped at 4 x 10 ms, reported as its error
