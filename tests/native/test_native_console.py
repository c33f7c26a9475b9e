"""The native build's console (components/lua_sys/src/lua_sys_console.c) on stdin/stdout,
for what only the C side has: fixed-size path buffers, so the limits on the `--fs`
root and on full paths (docs/console-protocol.md, *Paths*). Plain and ASan builds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from luasys import child_process
from luasys import protocol as p
from native_build import build_dir

BUILDS = ["native", "native-asan"]
# The longest --fs root the C console takes: a full path is at most 256 bytes with its
# NUL, and holds the root, '/', a 64-byte protocol path and ".part".
FS_ROOT_MAX = 256 - 1 - 1 - p.PATH_MAX - len(".part")


def console(build: str, fs_root: Path, data: bytes) -> subprocess.CompletedProcess[bytes]:
    """Runs `luasys-native --console --fs fs_root` with `data` as its whole input (the
    console ends when the input does)."""
    (fs_root / "main.lua").write_text("sys.run()\n")
    exe = build_dir(build) / "luasys-native"
    return child_process.run([str(exe), "--console", "--fs", str(fs_root)], 60, input=data,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def put(tag: str, path: str, data: bytes) -> bytes:
    return p.encode_request(tag, "put", path, len(data), f"{p.crc32(data):08x}") + data


def deep_root(tmp_path: Path, length: int) -> Path:
    """A directory whose path is exactly `length` bytes."""
    root = tmp_path / ("d" * (length - len(str(tmp_path)) - 1))
    assert len(str(root)) == length
    root.mkdir()
    return root


@pytest.mark.parametrize("build", BUILDS)
def test_a_root_too_long_for_every_path_is_refused_at_start(tmp_path: Path, build: str) -> None:
    root = deep_root(tmp_path, FS_ROOT_MAX + 1)
    done = console(build, root, put("a1", "sub/x.lua", b"x = 1\n"))
    assert done.returncode == 2, done.stderr
    assert (f"--fs: the directory's path is {FS_ROOT_MAX + 1} bytes; the console takes at most "
            f"{FS_ROOT_MAX}").encode() in done.stderr
    assert not (root / "sub").exists()


@pytest.mark.parametrize("build", BUILDS)
def test_the_longest_root_takes_the_longest_path_whole(tmp_path: Path, build: str) -> None:
    root = deep_root(tmp_path, FS_ROOT_MAX)
    name = "sub/" + "n" * (p.PATH_MAX - len("sub/") - len(".lua")) + ".lua"
    assert len(name) == p.PATH_MAX
    done = console(build, root, put("a1", name, b"x = 1\n") + p.encode_request("a2", "ls", "..z")
                   + p.encode_request("a3", "ls", "sub"))
    out = done.stdout
    assert b"\x01a1 OK 6 " in out, out
    assert (root / name).read_bytes() == b"x = 1\n"
    assert b"\x01a2 ERR not-found no directory ..z\r\n" in out, out
    assert b"6 " + name.split("/")[1].encode() + b"\n" in out
    assert b"Sanitizer" not in done.stderr, done.stderr.decode()
