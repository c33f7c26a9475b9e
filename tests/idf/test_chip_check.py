"""The chip-only C code stays compilable: the ESP-IDF kit's idf-chip-check.sh compiles
every C file of this project's components with IDF's flags for esp32c3 (a stand-in
riscv compiler), and checks esp32s3 and esp32 syntax-only (no xtensa compiler here).
The Lua number-model check (components/lua_sys/src/lua_number_model.c) is among them.

The kit is found through LUASYS_IDF_KIT (its directory; .ci/run sets it)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from backends import REPO

TARGETS = ["esp32c3", "esp32s3", "esp32"]


def chip_check_script() -> Path:
    kit = os.environ.get("LUASYS_IDF_KIT")
    script = Path(kit) / "idf-chip-check.sh" if kit else None
    if script is None or not script.is_file():
        message = (f"no ESP-IDF kit's idf-chip-check.sh ({script}): set LUASYS_IDF_KIT to the kit's "
                   f"directory (e.g. ../shared/esp-idf-kit)")
        if os.environ.get("LUASYS_REQUIRE_IDF") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return script


@pytest.mark.parametrize("target", TARGETS)
def test_chip_code_compiles(target: str) -> None:
    done = subprocess.run([str(chip_check_script()), str(REPO), target], capture_output=True, text=True,
                          timeout=900, env=dict(os.environ, CHIP_CHECK_JOBS="2"))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    summary = re.search(rf"^chip-check {target}: (\d+)/(\d+) files", done.stdout, re.MULTILINE)
    assert summary and summary[1] == summary[2] and int(summary[2]) > 0, done.stdout[-4000:]
