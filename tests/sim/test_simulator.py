"""The simulator's own features: virtual time, injection, determinism, memory cap,
Lua versions, run endings. (The runtime's semantics are in tests/conformance.)"""

from __future__ import annotations

import threading

import pytest

from backends import run_on_simulator as run
from host_sim import LUA_VERSIONS, Simulator


def test_injected_messages_arrive_at_their_virtual_time(tmp_path):
    script = tmp_path / "main.lua"
    script.write_text("""
        sys.subscribe("button", function(pin, level) print(rtos.millis(), pin, level) end)
        sys.run()
    """)
    sim = Simulator(capture=True, output=lambda _: None)
    sim.inject(1500, "button", 4, True)
    sim.inject(250, "button", 5, False)
    result = sim.run_file(script)
    assert result.status == "idle"
    assert result.output == ["250\t5\tfalse", "1500\t4\ttrue"]
    assert result.time_ms == 1500


def test_a_full_queue_refuses_host_posts_and_counts_them(tmp_path):
    script = tmp_path / "main.lua"
    script.write_text("""
        local n = 0
        sys.subscribe("isr", function() n = n + 1 end)
        sys.run()
        local q = rtos.queue_stats()
        print(n, q.posted, q.received, q.dropped)
    """)
    sim = Simulator(capture=True, output=lambda _: None, queue_capacity=8)
    accepted = [sim.post("isr", i) for i in range(12)]
    assert accepted == [True] * 8 + [False] * 4
    result = sim.run_file(script)
    assert result.output == ["8\t8\t8\t4"]


def test_message_limits_apply_to_host_posts_too():
    sim = Simulator()
    with pytest.raises(ValueError, match="argument #1 'name' must be a string of 1..15 bytes"):
        sim.post("a-name-that-is-too-long")
    with pytest.raises(ValueError, match="too many arguments"):
        sim.post("x", 1, 2, 3, 4, 5)
    with pytest.raises(ValueError, match="string arguments total 33 bytes"):
        sim.inject(10, "x", "a" * 33)
    with pytest.raises(ValueError, match="argument #2 'arg' must be nil, boolean, number or string"):
        sim.post("x", [1])


@pytest.mark.parametrize("at_ms", [1.5, 2.0, float("nan"), 2**40, -1, True, "10"])
def test_inject_takes_an_integer_time_within_reach_and_says_so(at_ms):
    """Found by attacking the simulator: a float or NaN broke the run with Python errors,
    and 2^40 silently moved the clock 512 wraps ahead."""
    sim = Simulator()
    with pytest.raises(ValueError, match=r"inject: at_ms must be an integer 0\.\.536870912 \(the clock now plus "
                                         r"at most 2\^29 ms"):
        sim.inject(at_ms, "x")
    sim.inject(2**29, "x")  # the limit itself


RANDOM_WALK = """
    local trace = {}
    for i = 1, 20 do
        sys.taskInit(function()
            for _ = 1, 5 do
                sys.wait(math.random(1, 50))
                trace[#trace + 1] = i .. "@" .. rtos.millis()
            end
        end)
    end
    sys.run()
    print(table.concat(trace, " "))
"""


def test_runs_are_deterministic_for_a_seed(tmp_path):
    _, first = run(tmp_path, RANDOM_WALK, seed=7)
    _, again = run(tmp_path, RANDOM_WALK, seed=7)
    _, other = run(tmp_path, RANDOM_WALK, seed=8)
    assert first.output == again.output
    assert first.output != other.output


@pytest.mark.parametrize("version", sorted(LUA_VERSIONS))
def test_each_lua_version_is_selectable(tmp_path, version):
    _, result = run(tmp_path, "print(_VERSION)", lua_version=version)
    assert result.output == [f"Lua {version}"]


def test_an_unknown_lua_version_is_refused():
    with pytest.raises(ValueError, match="lua_version must be one of 5.3, 5.4, 5.5"):
        Simulator(lua_version="5.1")


def test_the_memory_cap_fails_the_task_not_the_runtime(tmp_path):
    sim, result = run(tmp_path, """
        sys.taskInit(function()
            local hog = {}
            while true do hog[#hog + 1] = string.rep("x", 1000) .. #hog end
        end)
        sys.taskInit(function() sys.wait(10) print("still alive", sys.stats().task_errors) end)
        sys.run()
        local total, used = rtos.meminfo()
        print("cap", total, used < total)
    """, memory_limit_kb=256)
    assert result.status == "idle", result.error
    assert any("not enough memory" in line for line in result.output)
    assert "still alive\t1" in result.output
    assert f"cap\t{256 * 1024}\ttrue" in result.output


def test_until_stops_a_run_that_would_go_on_forever(tmp_path):
    _, result = run(tmp_path, """
        sys.timerLoopStart(function() print(rtos.millis()) end, 1000)
        print("run ->", sys.run())
    """, until_s=3.5)
    assert result.status == "stop"
    assert result.output == ["1000", "2000", "3000", "run ->\tstop"]
    assert result.time_ms == 3500


def test_a_script_error_ends_the_run_with_its_traceback(tmp_path):
    _, result = run(tmp_path, "local x = nil\nprint(x.field)")
    assert result.status == "error"
    assert result.exit_code == 1
    assert "main.lua:2: attempt to index" in result.error
    assert "stack traceback" in result.error


def test_reboot_ends_the_run(tmp_path):
    _, result = run(tmp_path, """
        sys.taskInit(function() sys.wait(100) rtos.reboot() end)
        sys.timerStart(function() print("never") end, 200)
        sys.run()
    """)
    assert result.status == "reboot"
    assert result.exit_code == 3
    assert result.output == []


def test_timestamps_prefix_every_line_with_the_clock(tmp_path):
    _, result = run(tmp_path, 'sys.timerStart(function() print("a\\nb") end, 1500) sys.run()',
                    timestamps=True)
    assert result.output == ["[   1.500] a\n[   1.500] b"]


def test_scripts_require_modules_next_to_them(tmp_path):
    (tmp_path / "helper.lua").write_text("return { greet = function() return 'hi' end }")
    _, result = run(tmp_path, 'print(require("helper").greet())')
    assert result.output == ["hi"]


def test_the_python_module_is_not_visible_to_scripts(tmp_path):
    _, result = run(tmp_path, "print(python)")
    assert result.output == ["nil"]


def test_real_time_mode_receives_posts_from_another_thread(tmp_path):
    script = tmp_path / "main.lua"
    script.write_text("""
        sys.subscribe("ping", function(n) print("ping", n) sys.publish("done") end)
        sys.subscribe("done", function() rtos.reboot() end)
        sys.run()
    """)
    sim = Simulator(virtual_time=False, capture=True, output=lambda _: None)
    sim.backend.attach_source()  # a console would keep the device waiting for input
    poster = threading.Timer(0.05, sim.post, args=("ping", 1))
    poster.start()
    result = sim.run_file(script)
    poster.join()
    assert result.status == "reboot"
    assert result.output == ["ping\t1"]


def test_stop_from_another_thread_ends_a_real_time_run(tmp_path):
    script = tmp_path / "main.lua"
    script.write_text("sys.timerLoopStart(function() end, 10) print(sys.run())")
    sim = Simulator(virtual_time=False, capture=True, output=lambda _: None)
    stopper = threading.Timer(0.05, sim.stop)
    stopper.start()
    result = sim.run_file(script)
    stopper.join()
    assert result.status == "stop"
    assert result.output == ["stop"]
