"""The backends the shared tests run on. A backend is a way to run a Lua script once
(run_lua, script_command: the conformance suite, stress scripts) and, for a device, a
way to start its console for the device suite: the luasys plugin starts the simulator
and the native build itself (luasys.pc_devices); DUT_DEVICES says how pytest-embedded
starts the others (device kind "dut:NAME").

Program backends (not the simulator) are files that tools/run-tests.sh builds; a test
on one that is missing skips, saying how to build it, or fails when the environment
requires it (LUASYS_REQUIRE_NATIVE=1, LUASYS_REQUIRE_IDF=1: CI)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from host_sim import LUA_VERSIONS, Simulator
from luasys import child_process

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
# "idf-linux": the firmware itself (main/ + components/), built by ESP-IDF for its linux
# target (tools/build-idf-linux.sh): the real FreeRTOS POSIX port and espressif/lua;
# "idf-linux-asan": the same with AddressSanitizer and UndefinedBehaviorSanitizer
# (tools/build-idf-linux.sh --sanitize).
ALL_BACKENDS = [*SIM_BACKENDS, "native", "native-wrap", "native-asan", "native-lua32", "native-lua32-wrap",
                "idf-linux", "idf-linux-wrap", "idf-linux-asan"]
IDF_LINUX_BUILD = REPO / "build" / "idf-linux"
SANITIZER_REPORTS = ("Sanitizer", "runtime error:")
CASE_TIMEOUT_S = 120


def run_on_simulator(tmp_path: Path, source: str, **options) -> tuple[Simulator, object]:
    """Runs Lua `source` as tmp_path/main.lua on a capturing simulator; returns the
    simulator and its RunResult."""
    script = tmp_path / "main.lua"
    script.write_text(source)
    sim = Simulator(capture=True, output=lambda _: None, **options)
    return sim, sim.run_file(script)


def run_luasys(*args: str, timeout_s: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Runs the `luasys` command line (`python -m luasys ARGS`) to its end, as a user
    would, in a child that dies with the test run; its output captured as text."""
    return child_process.run([sys.executable, "-m", "luasys", *args], timeout_s, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _missing(message: str, required_by: str) -> None:
    if os.environ.get(required_by) == "1":
        pytest.fail(message)
    pytest.skip(message)


def native_binary(build: str = "native") -> Path:
    """build/<build>/luasys-native, or the file named by LUASYS_<BUILD> (LUASYS_NATIVE,
    LUASYS_NATIVE_ASAN, LUASYS_NATIVE_LUA32); skips (or fails, in CI) when it is not built."""
    variable = "LUASYS_" + build.upper().replace("-", "_")
    path = Path(os.environ.get(variable, REPO / "build" / build / "luasys-native"))
    if not path.is_file():
        _missing(f"native backend not built ({path}); run tools/run-tests.sh", "LUASYS_REQUIRE_NATIVE")
    return path


def idf_linux_elf(build: str = "idf-linux", program: str = "luasys.elf") -> Path:
    """A program built for ESP-IDF's linux target, by default the firmware
    (build/<build>/<program>, or the file named by LUASYS_<BUILD>: LUASYS_IDF_LINUX,
    LUASYS_IDF_LINUX_ASAN, ...); skips (or fails, in CI) when it is not built."""
    variable = "LUASYS_" + build.upper().replace("-", "_")
    path = Path(os.environ.get(variable, REPO / "build" / build / program))
    if not path.is_file():
        _missing(f"ESP-IDF linux-target firmware not built ({path}): set up an ESP-IDF (your own, "
                 f"exported, or the kit: . \"$(../shared/esp-idf-kit/idf-kit.sh | tail -n 1)\") and run "
                 f"tools/run-tests.sh", "LUASYS_REQUIRE_IDF")
    return path


# The devices a test can serve on a pty with `luasys sim|native --serial`, each keeping
# running between connections like a board.
SERIAL_DEVICES = ["sim", "native", "idf-linux"]


def serial_device_command(kind: str, fs: Path) -> list[str]:
    """The command that serves device `kind` (one of SERIAL_DEVICES) on a pty, with `fs`
    as its filesystem; it prints the pty's path first. Skips when `kind` is not built."""
    luasys = [sys.executable, "-m", "luasys"]
    if kind == "sim":
        return [*luasys, "sim", "--serial", "--fs", str(fs)]
    if kind == "native":
        return [*luasys, "native", "--serial", "--binary", str(native_binary()), "--fs", str(fs)]
    if kind == "idf-linux":
        return [*luasys, "native", "--serial", "--idf-linux", "--binary", str(idf_linux_elf()), "--fs", str(fs)]
    raise ValueError(f"a serial device is one of {', '.join(SERIAL_DEVICES)} (got {kind!r})")


def script_command(backend: str, script: Path, clock_start_ms: int = 0) -> tuple[list[str], dict[str, str]]:
    """The command and extra environment that run `script` once on a program backend
    (build name, without "-wrap"), ending when nothing can happen any more."""
    if backend.startswith("idf-linux"):
        # No command line on the linux target: main/luasys_linux_run.h.
        return [str(idf_linux_elf(backend))], {"LUASYS_RUN": str(script),
                                        "LUASYS_RUN_CLOCK_START_MS": str(clock_start_ms)}
    return [str(native_binary(backend)), "--exit-when-idle", "--clock-start-ms", str(clock_start_ms),
            str(script)], {}


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
    command, env = script_command(backend.removesuffix("-wrap"), script, clock_start)
    done = child_process.run(command, CASE_TIMEOUT_S, env=dict(os.environ, **env, **({"LUASYS_CASE": case} if case else {})),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return done.stdout + done.stderr


@dataclass(frozen=True)
class DutDevice:
    """A console device that pytest-embedded starts and reaches: the luasys plugin's
    device kind "dut:NAME" (tests/device/conftest.py). `services` is its
    --embedded-services, `options` its other pytest-embedded options (app_path,
    build_dir, target, ...), `require()` skips or fails when it is not built."""
    services: str
    options: dict[str, str]
    require: Callable[[], object]


DUT_DEVICES = {
    # pytest-embedded-idf runs the ELF itself (LinuxSerial); its filesystem root is
    # LUASYS_LUA_DIR (tests/device/conftest.py).
    "idf-linux": DutDevice("idf", {"app_path": str(REPO), "build_dir": str(IDF_LINUX_BUILD), "target": "linux"},
                           require=idf_linux_elf),
}
