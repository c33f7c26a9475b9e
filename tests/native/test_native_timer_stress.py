"""rtos timers under stress on the native build and on the firmware built for ESP-IDF's
linux target (the real FreeRTOS timer task): timer_start / timer_stop / restarts raced
against real FreeRTOS timer firings (1-2 ms periods), also with a full queue.

The checks (in timer_stress.lua) are about counts and order only. The sanitizer
builds (build/native-asan, when it exists, and build/idf-linux-asan) turn a timer
handle used after its delete into a report, which fails the run even when the
script's checks pass."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from backends import script_command
from luasys import child_process
from native_build import build_dir

SCRIPT = Path(__file__).with_name("timer_stress.lua")
SANITIZER_REPORTS = ("Sanitizer", "runtime error:")
STEPS = 2000


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("build", ["native", "native-asan", "idf-linux", "idf-linux-asan"])
def test_timer_start_stop_restart_race_firings(tmp_path: Path, build: str, seed: int) -> None:
    if build == "native-asan":
        build_dir(build, required=False)  # optional here, as in test_native_port.py
    script = tmp_path / "timer_stress.lua"
    script.write_text(f"SEED = {seed}\nSTEPS = {STEPS}\n" + SCRIPT.read_text())
    command, env = script_command(build, script)
    done = child_process.run(command, 300, env=dict(os.environ, **env), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert f"timer stress ok: {STEPS} steps" in done.stdout, output
    assert not any(r in output for r in SANITIZER_REPORTS), output
