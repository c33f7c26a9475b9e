"""The device tests use the luasys pytest plugin's `device` fixture
(docs/testing.md#the-device-fixture): by default every test runs on the simulator and
the native build (pytest.ini's luasys_devices); with pytest-embedded's options (a
board: `--embedded-services esp,idf --app-path . --port /dev/ttyUSB0 --target esp32`;
ESP-IDF's linux target: `--embedded-services idf --app-path . --target linux`) on the
device they name."""

from __future__ import annotations

import os
import tempfile

import pytest


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
