"""{{name}}'s tests. `sim` runs main.lua on the simulator in virtual time; `device` runs
it on a device: the simulator's console by default, a board with pytest-embedded's
options (README.md). LuaSys's docs/testing.md describes both."""

from pathlib import Path

MAIN = Path(__file__).resolve().parent.parent / "main.lua"


def test_the_led_blinks_every_half_second(sim):
    sim.advance(1000)
    assert [(line.t_ms, line.text) for line in sim.output] == [(0, "LED ON"), (500, "LED OFF"), (1000, "LED ON")]


def test_a_button_press_is_counted_at_once(sim):
    sim.advance(200)
    assert sim.post("button", 4)
    line = sim.run_until("pressed", timeout_ms=10)
    assert (line.t_ms, line.text) == (200, "I/user.button pressed 4 1")
    assert sim.stats()["callback_errors"] == 0


def test_main_runs_on_the_device(device):
    device.start("main.lua", MAIN.read_text())
    device.expect("LED ON")
    device.expect("LED OFF")
    assert device.eval("sys.stats().task_errors") == "0"
