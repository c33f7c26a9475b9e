"""The conformance suite: every case in tests/conformance/lua/*.lua, in a fresh
runtime, on every backend. A file whose first line says `sim-only` needs the virtual
clock and runs on the simulator's backends only. On the ESP32-C3 in QEMU (backend
"esp32c3", tests/esp32c3_qemu.py) one boot serves every case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backends import ALL_BACKENDS, SANITIZER_REPORTS, SIM_BACKENDS, run_lua
from esp32c3_qemu import booted_chip

CASE_DIR = Path(__file__).resolve().parent / "lua"
CASE_RE = re.compile(r'^\s*T\.case\("([^"]+)"', re.MULTILINE)
CHIP = "esp32c3"
# Cases the chip cannot run, and why (shown as skips).
HEAP = "the ESP32-C3 has about 190 KB of heap free after boot (docs/firmware.md)"
NOT_ON_CHIP = {
    ("messages", "a burst of 100,000 messages is delivered in order and its memory comes back"):
        f"100,000 queued messages need megabytes of Lua heap; {HEAP}",
    ("rtos", "meminfo reports the Lua heap, with a total also when it is uncapped"):
        f"a 20,000-entry table grows through a 256 KB reallocation; {HEAP}",
    ("scheduling", "fairness: background work runs under constant critical load, within the bound"):
        f"101 tasks and their bookkeeping run out of Lua heap; {HEAP}",
    ("scheduling", "300 jobs started in one turn all run: no wake-up is lost when the pending list is swept"):
        f"300 periodic jobs (a coroutine each) run out of Lua heap; {HEAP}",
    ("tasks", "10,000 tasks sleep at once"): f"10,000 coroutines need megabytes of Lua heap; {HEAP}",
    ("tasks", "finished tasks leave nothing behind: a second burst does not grow the heap"):
        f"bursts of 2,000 tasks run out of Lua heap; {HEAP}",
    ("ringbuf", "ringbuf lazy deletion and compaction keep order and accounting"):
        "5,000 steps that each walk the model keep the CPU for more than 5 s without yielding: the task "
        "watchdog resets the chip (CONFIG_ESP_TASK_WDT_PANIC, docs/firmware.md#safe-mode)",
}


def collect() -> list:
    params = []
    for path in sorted(CASE_DIR.glob("*.lua")):
        if path.name == "harness.lua":
            continue
        text = path.read_text()
        backends = SIM_BACKENDS if "sim-only" in text.splitlines()[0] else [*ALL_BACKENDS, CHIP]
        for case in CASE_RE.findall(text):
            for backend in backends:
                reason = NOT_ON_CHIP.get((path.stem, case)) if backend == CHIP else None
                params.append(pytest.param(backend, path, case, id=f"{backend}:{path.stem}:{case}",
                                           marks=[pytest.mark.skip(reason=f"not on the chip: {reason}")] if reason else []))
    return params


@pytest.fixture(scope="module")
def chip():
    """The ESP32-C3 firmware booted in QEMU, the case files on its filesystem."""
    with booted_chip(CASE_DIR) as cases:
        yield cases


@pytest.mark.parametrize(("backend", "path", "case"), collect())
def test_case(backend: str, path: Path, case: str, request: pytest.FixtureRequest) -> None:
    if backend == CHIP:
        output = request.getfixturevalue("chip").run(path, case)
    else:
        output = run_lua(backend, path, case)
    if f"CASE ok {case}" not in output.splitlines() or any(r in output for r in SANITIZER_REPORTS):
        pytest.fail(f"{path.name}: {case!r} on {backend}:\n{output}", pytrace=False)
