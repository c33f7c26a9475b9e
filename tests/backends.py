"""The rtos backends the shared Lua tests run on, and how to run one case on each."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from host_sim import LUA_VERSIONS, Simulator

REPO = Path(__file__).resolve().parent.parent
# The clock wraps at 2^31 ms (docs/rtos-contract.md); the "-wrap" backends start it
# 50 ms before the wrap, so nearly every case runs across it.
WRAP_START_MS = 2**31 - 50
SIM_BACKENDS = [f"sim-{version}" for version in LUA_VERSIONS] + ["sim-5.4-wrap"]
# A native backend's name is its build directory under build/ (build/native, ...), plus
# "-wrap" for the same build with the clock started before the wrap.
# "native-asan": the same build with AddressSanitizer and UndefinedBehaviorSanitizer;
# "native-lua32": linked against a Lua built with LUA_32BITS, the firmware's number
# model (32-bit integers, single-precision floats).
ALL_BACKENDS = [*SIM_BACKENDS, "native", "native-wrap", "native-asan", "native-lua32", "native-lua32-wrap"]
SANITIZER_REPORTS = ("Sanitizer", "runtime error:")
CASE_TIMEOUT_S = 120


def run_on_simulator(tmp_path: Path, source: str, **options) -> tuple[Simulator, object]:
    """Runs Lua `source` as tmp_path/main.lua on a capturing simulator; returns the
    simulator and its RunResult."""
    script = tmp_path / "main.lua"
    script.write_text(source)
    sim = Simulator(capture=True, output=lambda _: None, **options)
    return sim, sim.run_file(script)


def native_binary(build: str = "native") -> Path:
    """build/<build>/luasys-native, or the file named by LUASYS_<BUILD> (LUASYS_NATIVE,
    LUASYS_NATIVE_ASAN, LUASYS_NATIVE_LUA32); skips (or fails, in CI) when it is not built."""
    variable = "LUASYS_" + build.upper().replace("-", "_")
    path = Path(os.environ.get(variable, REPO / "build" / build / "luasys-native"))
    if not path.is_file():
        message = f"native backend not built ({path}); run tools/run-tests.sh"
        if os.environ.get("LUASYS_REQUIRE_NATIVE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_lua(backend: str, script: Path, case: str | None = None) -> str:
    """Runs `script` on `backend` (with LUASYS_CASE=case); returns what it printed,
    followed by the traceback if the script itself failed."""
    clock_start = WRAP_START_MS if backend.endswith("-wrap") else 0
    if backend.startswith("sim-"):
        sim = Simulator(lua_version=backend.split("-")[1], virtual_time=True, capture=True,
                        output=lambda _: None, clock_start_ms=clock_start,
                        globals={"LUASYS_CASE": case} if case else None)
        result = sim.run_file(script)
        return "\n".join(result.output + ([result.error] if result.error else []))
    env = dict(os.environ, **({"LUASYS_CASE": case} if case else {}))
    done = subprocess.run([str(native_binary(backend.removesuffix("-wrap"))), "--exit-when-idle",
                           "--clock-start-ms", str(clock_start),
                           str(script)], env=env, capture_output=True, text=True, timeout=CASE_TIMEOUT_S)
    return done.stdout + done.stderr
