"""The stepping simulator (host_sim.session): virtual time moves only when the test
says, messages posted in between take the queue's path, and a session is as
deterministic as a whole run."""

from __future__ import annotations

import re

import pytest

from host_sim.session import SessionEnded, SimSession, Timeout

BLINK = """
local presses = 0
sys.subscribe("button", function(pin, level)
    presses = presses + 1
    print("button", pin, level, presses)
end)
sys.taskInit(function()
    while true do
        print("tick", rtos.millis())
        sys.wait(1000)
    end
end)
sys.run()
print("loop ended")
"""


def session(tmp_path, source: str = BLINK, **options) -> SimSession:
    script = tmp_path / "main.lua"
    script.write_text(source)
    return SimSession(script, **options).start()


def test_start_runs_what_is_due_at_time_zero_and_stops_the_clock(tmp_path):
    sim = session(tmp_path)
    assert sim.now_ms == 0
    assert sim.lines() == ["tick\t0"]
    sim.close()


def test_advance_runs_everything_due_up_to_and_at_the_end(tmp_path):
    sim = session(tmp_path)
    sim.advance(1999)
    assert [line.t_ms for line in sim.output] == [0, 1000]
    sim.advance(1)
    assert sim.output[-1].text == "tick\t2000" and sim.output[-1].t_ms == 2000
    assert sim.now_ms == 2000
    sim.close()


def test_a_post_is_taken_at_the_next_step_through_the_queue(tmp_path):
    sim = session(tmp_path)
    sim.advance(500)
    assert sim.post("button", 4, True)
    assert sim.lines() == ["tick\t0"]
    sim.advance(0)
    assert sim.output[-1].text == "button\t4\ttrue\t1" and sim.output[-1].t_ms == 500
    assert sim.stats()["queue"]["received"] == 1
    sim.close()


def test_posts_into_a_full_queue_fail_and_are_counted(tmp_path):
    sim = session(tmp_path, queue_capacity=4)
    assert [sim.post("button", n, False) for n in range(6)] == [True] * 4 + [False] * 2
    sim.advance(0)
    assert sum(line.text.startswith("button") for line in sim.output) == 4
    queue = sim.stats()["queue"]
    assert (queue["posted"], queue["dropped"], queue["high_water"]) == (4, 2, 4)
    sim.close()


def test_run_until_stops_the_clock_at_the_first_matching_line(tmp_path):
    sim = session(tmp_path)
    line = sim.run_until("tick\t3000", timeout_ms=10_000)
    assert (line.t_ms, sim.now_ms) == (3000, 3000)
    assert sim.run_until(re.compile(r"tick\t\d+000"), timeout_ms=1000).t_ms == 4000
    sim.inject(4200, "button", 1, True)
    assert sim.run_until(lambda s: s.eval("sys.stats().rtos_messages") == 1, timeout_ms=1000) is True
    assert sim.now_ms == 4200
    sim.close()


def test_run_until_matches_each_line_once(tmp_path):
    sim = session(tmp_path)
    sim.advance(2000)
    assert sim.run_until("tick", 0).t_ms == 0
    assert sim.run_until("tick", 0).t_ms == 1000
    assert sim.run_until("tick", 0).t_ms == 2000
    assert sim.run_until("tick", 1000).t_ms == 3000
    sim.close()


def test_a_timeout_says_what_was_awaited_and_shows_the_last_lines_with_their_times(tmp_path):
    sim = session(tmp_path)
    with pytest.raises(Timeout) as caught:
        sim.run_until("never printed", timeout_ms=2500)
    text = str(caught.value)
    assert "a line containing 'never printed' did not hold within 2500 ms" in text
    assert "[    2.000] tick\t2000" in text
    assert sim.now_ms == 2500
    sim.close()


def test_eval_returns_lua_values_and_raises_lua_errors(tmp_path):
    sim = session(tmp_path)
    sim.advance(100)
    assert sim.eval("1 + 1, 'two', {a = 1}") == (2, "two", {"a": 1})
    with pytest.raises(Exception, match="boom"):
        sim.eval("error('boom')")
    assert sim.stats()["tasks_live"] == 1
    sim.advance(1000)  # the loop goes on after the failed eval
    assert sim.output[-1].text == "tick\t1000"
    sim.close()


def test_close_ends_the_loop_and_the_script_runs_on_after_sys_run(tmp_path):
    sim = session(tmp_path)
    sim.advance(1000)
    result = sim.close()
    assert result.status == "stop"
    assert sim.lines()[-1] == "loop ended"
    with pytest.raises(SessionEnded, match="the script ended"):
        sim.advance(1)


def test_a_script_error_ends_the_session_with_its_traceback(tmp_path):
    sim = session(tmp_path, "print('before')\nlocal x = nil + 1\nsys.run()")
    assert sim.result.status == "error"
    with pytest.raises(SessionEnded, match="attempt to perform arithmetic"):
        sim.advance(10)


def test_an_idle_loop_waits_for_the_test_instead_of_ending(tmp_path):
    sim = session(tmp_path, 'sys.subscribe("go", function(n) print("go", n) end)\nsys.run()')
    sim.advance(60_000)
    assert sim.running and sim.now_ms == 60_000
    sim.post("go", 7)
    assert sim.run_until("go\t7", 0).t_ms == 60_000
    sim.close()


RANDOM = """
for i = 1, 5 do
    sys.taskInit(function()
        while true do
            sys.wait(math.random(1, 100))
            print(i, rtos.millis())
        end
    end)
end
sys.run()
"""


def test_a_session_is_deterministic_per_seed(tmp_path):
    def timeline(seed: int) -> list[str]:
        sim = session(tmp_path, RANDOM, seed=seed)
        sim.advance(300)
        sim.post("noise", 1)
        sim.advance(700)
        sim.close()
        return [str(line) for line in sim.output]
    assert timeline(3) == timeline(3)
    assert timeline(3) != timeline(4)


def test_the_watchdog_stops_a_task_that_never_yields_and_the_session_goes_on(tmp_path):
    sim = session(tmp_path, """
sys.taskInit(function() while true do end end)
sys.taskInit(function() while true do sys.wait(100); print("alive") end end)
sys.run()
""", watchdog_ms=20)
    sim.advance(300)
    assert sim.lines()[-3:] == ["alive"] * 3
    assert "without yielding" in sim.output[0].text
    assert sim.stats()["task_errors"] == 1
    sim.close()
