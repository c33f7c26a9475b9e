"""The compile-time check that lua_sys sees the Lua library's number model
(components/lua_sys/src/lua_number_model.c): compiled against upstream Lua's
headers with the library's setting and lua.h's disagreeing, it stops the build with
a message naming LUA_32BITS; agreeing, it compiles."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from native_build import REPO, lua_source_dir

CHECK = REPO / "components" / "lua_sys" / "src" / "lua_number_model.c"


def compile_check(*defines: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["cc", "-fsyntax-only", "-std=c11", f"-I{lua_source_dir()}",
                           *(f"-D{d}" for d in defines), str(CHECK)],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("defines", [
    ("LUA_SYS_LUA_LIBRARY_32BITS=1",),                 # library 32-bit, lua.h here 64-bit
    ("LUA_SYS_LUA_LIBRARY_32BITS=0", "LUA_32BITS=1"),  # library 64-bit, lua.h here 32-bit
    ("LUA_32BITS=1",),                                 # the build did not say
])
def test_disagreement_stops_the_build_naming_lua_32bits(defines: tuple[str, ...]) -> None:
    done = compile_check(*defines)
    assert done.returncode != 0
    assert "LUA_32BITS" in done.stderr, done.stderr


@pytest.mark.parametrize("defines", [
    ("LUA_SYS_LUA_LIBRARY_32BITS=1", "LUA_32BITS=1"),
    ("LUA_SYS_LUA_LIBRARY_32BITS=0",),
])
def test_agreement_compiles(defines: tuple[str, ...]) -> None:
    done = compile_check(*defines)
    assert done.returncode == 0, done.stderr
