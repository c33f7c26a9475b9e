"""lua/examples/thermostat.lua, tested as a user tests their firmware (docs/testing.md):
stepped in virtual time, and replayed from a recording made on the simulator's console
device with `luasys record` (and on the native build's, whose recorder runs on the C
runtime)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backends import run_luasys, native_binary
from luasys.pc_devices import KINDS, serve
from luasys.recording import Recording, load

HERE = Path(__file__).resolve().parent
THERMOSTAT = HERE.parents[1] / "lua" / "examples" / "thermostat.lua"
RECORDING = HERE / "recordings" / "thermostat.jsonl"
RECORD_TIMEOUT_S = 120

pytestmark = pytest.mark.luasys_sim(script=str(THERMOSTAT))


def test_the_heater_switches_with_a_hysteresis(sim):
    for centi in (2000, 1960, 1940, 1990, 2050, 2051, 2000, 1949):
        assert sim.post("temp", centi)
        sim.advance(100)
    switches = [line.text for line in sim.output if "heater" in line.text]
    assert switches == ["I/user.thermostat heater on 1940", "I/user.thermostat heater off 2051",
                        "I/user.thermostat heater on 1949"]


def test_a_silent_sensor_turns_the_heater_off_after_ten_seconds(sim):
    sim.advance(1000)
    sim.post("temp", 1800)
    assert sim.run_until("heater on", timeout_ms=0).t_ms == 1000
    sim.advance(9999)
    sim.post("temp", 1810)  # a reading restarts the ten seconds
    off = sim.run_until("heater off sensor silent", timeout_ms=20_000)
    assert off.t_ms == 1000 + 9999 + 10_000
    assert sim.stats()["callback_errors"] == 0


def replayed_lines(sim, recording: Recording) -> list[str]:
    """What the script prints while the recording replays (recorded with --run: from
    the script's start, so every line)."""
    sim.advance(recording.messages[-1].t_ms)
    return sim.lines()


@pytest.mark.luasys_sim(script=str(THERMOSTAT), replay=str(RECORDING))
def test_a_recording_replays_to_the_lines_the_device_printed(sim):
    recording = load(RECORDING)
    assert len(recording.messages) == 80 and recording.lost == 0
    printed = [text for _, text in recording.lines]
    assert sum("heater" in text for text in printed) >= 4  # the recording exercises both switches
    assert replayed_lines(sim, recording) == printed


@pytest.mark.parametrize("kind", KINDS)
def test_record_on_a_pc_device_then_replay_on_the_simulator(kind, tmp_path, sim_factory):
    binary = native_binary() if kind == "native" else None
    fs = tmp_path / "fs"
    fs.mkdir()
    shutil.copy(THERMOSTAT, fs / "thermostat.lua")
    shutil.copy(HERE / "field_sensor.lua", fs / "main.lua")
    out = tmp_path / "field.jsonl"
    with serve(kind, fs, binary) as pty:
        done = run_luasys("record", "--port", pty, "--run", "main.lua", "--messages", "30", str(out),
                          timeout_s=RECORD_TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    assert "luasys record: " in done.stderr and " messages in " in done.stderr
    assert not (fs / "luasys-record.lua").exists()  # its boot script is removed after
    recording = load(out)
    assert len(recording.messages) >= 30 and recording.lost == 0
    assert {message.topic for message in recording.messages} == {b"temp"}  # no timers, no console requests
    assert replayed_lines(sim_factory(THERMOSTAT, replay=out), recording) == [text for _, text in recording.lines]

    replay = run_luasys("sim", str(THERMOSTAT), "--replay", str(out), "--until", str(recording.messages[-1].t_ms / 1000),
                        timeout_s=RECORD_TIMEOUT_S)
    assert replay.returncode == 0, replay.stderr
    assert all(text in replay.stdout.splitlines() for _, text in recording.lines)
