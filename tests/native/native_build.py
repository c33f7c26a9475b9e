"""Locating the native host build (host_sim/native) for the tests in this folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def build_dir(name: str = "native", required: bool | None = None) -> Path:
    """build/<name>, or LUASYS_NATIVE_BUILD for "native". Skips when it has not been
    built, unless LUASYS_REQUIRE_NATIVE=1 (CI), where a missing build fails."""
    default = REPO / "build" / name
    path = Path(os.environ.get("LUASYS_NATIVE_BUILD", default)) if name == "native" else default
    if required is None:
        required = os.environ.get("LUASYS_REQUIRE_NATIVE") == "1"
    if not (path / "luasys-native").is_file():
        message = (f"native build not found in {path}: cmake -S host_sim/native -B {path} "
                   f"&& cmake --build {path} -j2")
        if required:
            pytest.fail(message)
        pytest.skip(message)
    return path


def lua_source_dir() -> Path:
    """The src/ of the upstream Lua sources tools/fetch-lua-src.sh provides."""
    found = sorted((REPO / "build" / "lua-src").glob("lua-5.*/src/lua.h"))
    if not found:
        message = "no Lua sources in build/lua-src: run tools/fetch-lua-src.sh"
        if os.environ.get("LUASYS_REQUIRE_NATIVE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found[-1].parent
