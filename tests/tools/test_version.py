"""One version string: luasys.__version__ is the package's, and the C firmware's
LUA_SYS_VERSION, the ESP-IDF component's version and every backend's rtos.version()
say the same."""

from __future__ import annotations

import re
from pathlib import Path

import luasys
from backends import run_luasys, run_on_simulator

REPO = Path(__file__).resolve().parents[2]


def test_the_c_header_and_the_component_carry_the_package_version():
    header = (REPO / "components/lua_sys/include/lua_sys.h").read_text()
    assert re.search(r'#define LUA_SYS_VERSION "LuaSys-([^"]+)"', header).group(1) == luasys.__version__
    component = (REPO / "components/lua_sys/idf_component.yml").read_text()
    assert re.search(r'^version: "([^"]+)"', component, re.M).group(1) == luasys.__version__


def test_the_simulator_reports_the_package_version(tmp_path: Path):
    _, result = run_on_simulator(tmp_path, "print(rtos.version())")
    assert result.output == [f"LuaSys-{luasys.__version__}"]


def test_luasys_version():
    done = run_luasys("--version")
    assert (done.returncode, done.stdout) == (0, f"luasys {luasys.__version__}\n")
