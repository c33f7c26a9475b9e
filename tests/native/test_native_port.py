"""The FreeRTOS host port's C tests and the lua_sys C API test, run from the native
build, from the one against a LUA_32BITS Lua (build/native-lua32), and from the sanitizer
build (build/native-asan) when it exists."""

from __future__ import annotations

import subprocess

import pytest

from luasys import child_process
from native_build import build_dir

PROGRAMS = ["test_port_queue", "test_port_timers", "test_port_task", "test_lua_sys_api"]
BUILDS = ["native", "native-asan", "native-lua32"]


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("program", PROGRAMS)
def test_port_program(build: str, program: str) -> None:
    # The sanitizer build is optional here; CI requires the others.
    exe = build_dir(build, required=False if build == "native-asan" else None) / program
    done = child_process.run([str(exe)], 120, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CHECK failed" not in done.stderr
