"""Every script in lua/ runs on the simulator without an error, as the README says."""

from __future__ import annotations

from pathlib import Path

import pytest

from host_sim import Simulator

LUA_DIR = Path(__file__).resolve().parents[2] / "lua"
SCRIPTS = sorted(LUA_DIR.glob("*.lua")) + sorted((LUA_DIR / "examples").glob("*.lua"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(LUA_DIR)))
def test_example_runs(script: Path) -> None:
    # README: every example runs (and ends) with --virtual-time; main.lua blinks forever.
    until_s = 30 if script.name == "main.lua" else 24 * 3600
    result = Simulator(virtual_time=True, until_s=until_s, capture=True, output=lambda _: None).run_file(script)
    errors = [line for line in result.output if line.startswith("E/") and "sys" in line]
    expected = ("stop",) if script.name == "main.lua" else ("idle", "returned")  # "returned": no sys.run()
    assert result.status in expected, result.error
    # Examples that show error handling raise on purpose; everything else must be clean.
    if "error" not in script.read_text():
        assert errors == []
    assert result.output, "the example printed nothing"
