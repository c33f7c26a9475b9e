"""Shared by every test folder: the helpers' import path, and the pytest-embedded
options of the luasys plugin's "dut:NAME" device kinds (tests/backends.py's
DUT_DEVICES; pytest.ini's luasys_devices runs the device tests on dut:idf-linux, the
firmware built for ESP-IDF's linux target, beside the simulator and the native build)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

# Test helpers (backends.py) are imported by name from every test folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

# pytester runs pytest on generated projects (the plugin's and `luasys new`'s tests).
pytest_plugins = ["pytester"]

from backends import DUT_DEVICES, DutDevice  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def linux_target_fs_root():
    """The filesystem root of ESP-IDF's linux target (its LUASYS_LUA_DIR, which would
    default to the repository's lua/): a temporary directory, so the tests' uploads and
    safe-mode state never land in the repository. Set before any device starts."""
    if "LUASYS_LUA_DIR" in os.environ:
        yield os.environ["LUASYS_LUA_DIR"]
        return
    with tempfile.TemporaryDirectory(prefix="luasys-linux-fs-") as fs:
        os.environ["LUASYS_LUA_DIR"] = fs
        try:
            yield fs
        finally:
            del os.environ["LUASYS_LUA_DIR"]


def _preset(request: pytest.FixtureRequest) -> DutDevice | None:
    """The DUT_DEVICES entry of this test's "dut:NAME" device kind, checked to be
    built; None for any other kind."""
    if "luasys_device_port" not in request.fixturenames:
        return None
    kind = request.getfixturevalue("luasys_device_port")[0]
    if not kind.startswith("dut:"):
        return None
    name = kind.removeprefix("dut:")
    if name not in DUT_DEVICES:
        raise pytest.UsageError(f"device kind {kind}: tests/backends.py has no DUT_DEVICES[{name!r}] "
                                f"(known: {', '.join(DUT_DEVICES)})")
    DUT_DEVICES[name].require()
    return DUT_DEVICES[name]


def _embedded_option(request: pytest.FixtureRequest, name: str, default: str | None) -> str | None:
    preset = _preset(request)
    if preset is not None:
        return preset.services if name == "embedded_services" else preset.options.get(name, default)
    return request.config.getoption(name) or default


@pytest.fixture
def embedded_services(request: pytest.FixtureRequest) -> str | None:
    return _embedded_option(request, "embedded_services", None)


@pytest.fixture
def app_path(request: pytest.FixtureRequest) -> str | None:
    return _embedded_option(request, "app_path", str(request.path.parent))


@pytest.fixture
def build_dir(request: pytest.FixtureRequest) -> str | None:
    return _embedded_option(request, "build_dir", "build")


@pytest.fixture
def target(request: pytest.FixtureRequest) -> str | None:
    return _embedded_option(request, "target", None)
