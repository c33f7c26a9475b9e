"""Record and replay (docs/testing.md#record-and-replay): the device side's recorder
(components/lua_sys/lua/recorder.lua) on the stepping simulator, the file format's
reader, and `luasys sim --replay`'s errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backends import run_luasys

from host_sim import RUNTIME_DIR, SimSession
from luasys.recording import FORMAT_VERSION, RecordingError, load, parse

LISTENER = """
sys.subscribe("io", function(...) print("io", ...) end)
sys.timerLoopStart(function() end, 300)          -- Lua timers are not messages
rtos.timer_start(7, 250, -1)                      -- rtos timers are not recorded either
sys.run()
"""


def session(tmp_path, source: str = LISTENER) -> SimSession:
    script = tmp_path / "main.lua"
    script.write_text(source)
    return SimSession(script).start()


def drain(sim: SimSession, what: str = 'require("recorder").drain()') -> str:
    return sim.eval(what)


def test_the_recorder_keeps_posted_messages_and_printed_lines_with_their_times(tmp_path):
    sim = session(tmp_path)
    header = sim.eval('require("recorder").start(16)')
    sim.advance(100)
    sim.post("io", 1, -2.5, True, b"a\x00\"\xff")
    sim.advance(400)
    sim.post("io")
    sim.post("SYS_CONSOLE")  # the console's own requests are not the device's inputs
    sim.advance(0)
    recording = parse(header + "\n" + drain(sim))
    assert recording.header["limit"] == 16 and recording.header["t"] == 0
    assert [(m.t_ms, m.topic, m.args) for m in recording.messages] == [
        (100, b"io", (1, -2.5, True, b"a\x00\"\xff")), (500, b"io", ())]
    assert recording.lines == [(100, 'io\t1\t-2.5\ttrue\ta\x00"\ufffd'), (500, "io")]
    assert drain(sim) == ""  # a drain takes what it returns


def test_a_full_buffer_counts_what_it_could_not_keep_and_the_loop_goes_on(tmp_path):
    sim = session(tmp_path, 'sys.subscribe("io", function() end)\nsys.run()')
    header = sim.eval('require("recorder").start(3)')
    for n in range(5):
        assert sim.post("io", n)
    sim.advance(10)
    first = parse(header + "\n" + drain(sim, 'require("recorder").drain(2)'))
    rest = parse(header + "\n" + drain(sim))
    assert [m.args for m in first.messages] == [(0,), (1,)] and first.lost == 0
    assert [m.args for m in rest.messages] == [(2,)] and rest.lost == 2
    assert sim.stats()["rtos_messages"] == 5  # every message was delivered all the same
    sim.post("io", 9)
    sim.advance(10)
    assert [m.args for m in parse(header + "\n" + sim.eval('require("recorder").stop()')).messages] == [(9,)]
    sim.post("io", 10)
    sim.advance(10)
    with pytest.raises(Exception, match="not recording"):
        sim.eval('require("recorder").header()')


def test_stop_puts_print_and_the_tap_back(tmp_path):
    sim = session(tmp_path)
    sim.eval('require("recorder").start()')
    sim.eval('require("recorder").stop()')
    sim.post("io", 1)
    sim.advance(0)
    assert sim.eval('require("recorder").drain()') == ""
    assert sim.lines()[-1] == "io\t1"


def test_the_limit_must_be_a_positive_integer(tmp_path):
    sim = session(tmp_path)
    with pytest.raises(Exception, match=r"recorder.start: argument #1 'max_records' must be an integer >= 1 \(got 0\)"):
        sim.eval('require("recorder").start(0)')


def test_the_format_version_has_one_value_on_both_sides():
    source = (Path(RUNTIME_DIR) / "recorder.lua").read_text()
    assert re.search(r"recorder\.FORMAT_VERSION = (\d+)", source).group(1) == str(FORMAT_VERSION)


HEADER = '{"format":"luasys-recording","version":1,"device":"LuaSys-0.1.0","limit":8,"t":0}'


@pytest.mark.parametrize("text, error", [
    ("", "empty"),
    ('{"format":"other"}', "line 1: not a LuaSys recording"),
    (HEADER.replace('"version":1', '"version":2'), "format version 2; this luasys reads version 1"),
    (HEADER + "\nnot json", "line 2: not JSON"),
    (HEADER + '\n{"t":-1,"topic":"x","args":[]}', 'line 2: "t" must be an integer >= 0'),
    (HEADER + '\n{"t":1,"topic":"x","args":[[1]]}', "line 2: an argument must be null, a boolean"),
    (HEADER + '\n{"t":1,"what":2}', 'line 2: a record has "topic", "line" or "lost"'),
])
def test_a_bad_recording_is_refused_naming_the_line(text, error):
    with pytest.raises(RecordingError, match=re.escape(error)):
        parse(text)


def test_sim_replay_reports_a_bad_file_in_one_line(tmp_path):
    script = tmp_path / "main.lua"
    script.write_text("sys.run()")
    for content, message in ((None, "cannot read the recording"), ("[]", "not a LuaSys recording")):
        recording = tmp_path / "r.jsonl"
        recording.unlink(missing_ok=True)
        if content is not None:
            recording.write_text(content)
        done = run_luasys("sim", str(script), "--replay", str(recording))
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_sim_replay_says_what_the_device_lost(tmp_path):
    script = tmp_path / "main.lua"
    script.write_text('sys.subscribe("io", function(n) print("io", n) end)\nsys.run()')
    recording = tmp_path / "r.jsonl"
    recording.write_text(HEADER + '\n{"t":5,"topic":"io","args":[1]}\n{"t":6,"lost":3}\n')
    done = run_luasys("sim", str(script), "--replay", str(recording), "--timestamps")
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["[   0.005] io\t1"]
    assert "could not keep 3 records" in done.stderr
    assert load(recording).lost == 3


@pytest.mark.parametrize("args, message", [
    (["--messages", "0"], "luasys record: error: argument --messages: must be an integer >= 1 (got '0')"),
    (["--for", "-1"], "luasys record: error: argument --for: must be a number of seconds > 0 (got '-1')"),
    (["--limit", "0"], "luasys record: error: argument --limit: must be an integer >= 1 (got '0')"),
    (["--run", "app.v2.lua"], "luasys record: --run takes a script whose name has no other dot than .lua's"),
])
def test_record_refuses_bad_options_before_touching_the_device(tmp_path, args, message):
    done = run_luasys("record", "--port", str(tmp_path / "no-such-port"), *args, str(tmp_path / "out.jsonl"))
    assert done.returncode == 2 and any(line.startswith(message) for line in done.stderr.splitlines())
    assert not (tmp_path / "out.jsonl").exists()


def test_record_without_a_device_says_so_in_one_line_and_writes_nothing(tmp_path):
    done = run_luasys("record", "--port", str(tmp_path / "no-such-port"), str(tmp_path / "out.jsonl"))
    assert done.returncode == 1 and done.stderr.startswith("luasys record: ") and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.jsonl").exists()
