"""Where the device tests find a device.

With --port or --embedded-services given, pytest-embedded reaches the device the user
named (a board: `--embedded-services esp,idf --app-path . --port /dev/ttyUSB0 --target
esp32`; ESP-IDF's linux target: `--embedded-services idf --app-path . --target linux`).
Without them every test runs twice, against the simulator (`luasys sim --serial`) and
the native build (`luasys native --serial`), each served on a pty that this file starts
and pytest-embedded's `serial` service opens."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

from backends import native_binary
from dut_console import DutConsole

PC_DEVICES = ["sim", "native"]


def _user_named_device(config: pytest.Config) -> bool:
    return bool(config.getoption("port") or config.getoption("embedded_services"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "pc_device" in metafunc.fixturenames:
        kinds = ["given"] if _user_named_device(metafunc.config) else PC_DEVICES
        metafunc.parametrize("pc_device", kinds, indirect=True, scope="session")


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


@pytest.fixture(scope="session")
def pc_device(request: pytest.FixtureRequest):
    """The pty of a device on this PC, or None when the user named a device."""
    kind = request.param
    if kind == "given":
        yield None
        return
    command = [sys.executable, "-m", "luasys", "sim", "--serial"] if kind == "sim" else \
        [sys.executable, "-m", "luasys", "native", "--serial", "--binary", str(native_binary())]
    with tempfile.TemporaryDirectory(prefix=f"luasys-{kind}-fs-") as fs:
        server = subprocess.Popen([*command, "--fs", fs], stdout=subprocess.PIPE, text=True)
        try:
            yield server.stdout.readline().strip()
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture
def port(request: pytest.FixtureRequest, pc_device: str | None) -> str | None:
    return request.config.getoption("port") or pc_device


@pytest.fixture
def embedded_services(request: pytest.FixtureRequest, pc_device: str | None) -> str | None:
    return request.config.getoption("embedded_services") or ("serial" if pc_device else None)


@pytest.fixture
def console(dut) -> DutConsole:
    """The device, just (re)started: the port was opened for this test, which resets a
    board and the PC devices alike, so every test begins at the banner."""
    console = DutConsole(dut)
    console.wait_banner()
    return console
