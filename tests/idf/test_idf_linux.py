"""The firmware built by ESP-IDF for its linux target (tools/build-idf-linux.sh), as a
program: what the device and conformance suites cannot see from inside (the
configuration it was built with, the end of its input, the Lua it links)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from backends import IDF_LINUX_BUILD, REPO, idf_linux_elf, script_command
from luasys import child_process

SETTING_RE = re.compile(r"^(CONFIG_\w+)=(.*)$", re.MULTILINE)


def test_every_sdkconfig_default_reaches_the_build() -> None:
    # Kconfig ignores a default outside its option's range (CONFIG_FREERTOS_TIMER_QUEUE_LENGTH=32
    # did: v5.5's range is 5..20); options that do not exist on linux are left out.
    idf_linux_elf()
    built = dict(SETTING_RE.findall((IDF_LINUX_BUILD / "sdkconfig").read_text()))
    wanted = dict(SETTING_RE.findall((REPO / "sdkconfig.defaults").read_text()))
    mismatched = {k: (v, built[k]) for k, v in wanted.items() if k in built and built[k] != v}
    assert not mismatched, f"sdkconfig.defaults value -> value built: {mismatched}"
    assert "CONFIG_FREERTOS_TIMER_QUEUE_LENGTH" in built


def test_the_program_ends_when_its_stdin_does(tmp_path: Path) -> None:
    (tmp_path / "main.lua").write_text("print('up')\nsys.run()\n")
    done = child_process.run([str(idf_linux_elf())], 30, input="print('from stdin')\n", stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={"LUASYS_LUA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "up" in done.stdout.splitlines() and "from stdin" in done.stdout.splitlines()


def test_scripts_run_with_the_lua_librarys_numbers(tmp_path: Path) -> None:
    # espressif/lua has LUA_32BITS: 32-bit integers, single-precision floats, and
    # math.* from libm (which nothing linked on linux at first).
    script = tmp_path / "numbers.lua"
    script.write_text("print(math.maxinteger, math.type(2^31), string.format('%.3f', math.sin(1)), 7 // 2)\n")
    command, env = script_command("idf-linux", script)
    done = child_process.run(command, 30, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2147483647\tfloat\t0.841\t3" in done.stdout.splitlines()


def test_the_sanitized_build_has_its_sanitizers(tmp_path: Path) -> None:
    # tools/build-idf-linux.sh --sanitize: the project's -DLUASYS_SANITIZE=ON must reach
    # every component, or the conformance suite on idf-linux-asan proves nothing.
    elf = idf_linux_elf("idf-linux-asan")
    done = child_process.run([str(elf)], 60, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env={"LUASYS_LUA_DIR": str(tmp_path), "ASAN_OPTIONS": "help=1"})
    assert "Available flags for AddressSanitizer" in done.stderr, done.stdout + done.stderr
    symbols = subprocess.run(["nm", str(elf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r" __asan_report_load\d", symbols) and "__ubsan_handle_" in symbols
