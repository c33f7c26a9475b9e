"""luasys.qemu_device's host side: files added to the LittleFS partition of a merged
flash image (the chip conformance run's case files) sit beside what the partition held,
and a partition that does not mount is an error, never formatted over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from littlefs import LittleFS, LittleFSError

from luasys.fs_command import BLOCK_SIZE, LITTLEFS_GEOMETRY, build_image
from luasys.qemu_device import add_to_storage

STORAGE_OFFSET = 0x3000
STORAGE_SIZE = 64 * 1024
FLASH_SIZE = STORAGE_OFFSET + STORAGE_SIZE + 0x1000  # something after the partition, too


def build_dir(tmp_path: Path, storage: bytes) -> Path:
    build = tmp_path / "build"
    build.mkdir()
    (build / "storage.bin").write_bytes(storage)
    (build / "flasher_args.json").write_text(json.dumps(
        {"storage": {"offset": hex(STORAGE_OFFSET), "file": "storage.bin", "encrypted": "false"}}))
    return build


def flash_with(tmp_path: Path, storage: bytes) -> Path:
    flash = tmp_path / "flash.bin"
    flash.write_bytes(b"\xa5" * STORAGE_OFFSET + storage + b"\x5a" * (FLASH_SIZE - STORAGE_OFFSET - STORAGE_SIZE))
    return flash


def read(flash: bytes, path: str) -> bytes:
    fs = LittleFS(block_size=BLOCK_SIZE, block_count=STORAGE_SIZE // BLOCK_SIZE, mount=False, **LITTLEFS_GEOMETRY)
    fs.context.buffer = bytearray(flash[STORAGE_OFFSET:STORAGE_OFFSET + STORAGE_SIZE])
    fs.mount()
    with fs.open(path, "rb") as f:
        return f.read()


def test_added_files_sit_beside_the_partitions_own(tmp_path: Path):
    scripts = tmp_path / "lua"
    scripts.mkdir()
    (scripts / "main.lua").write_text("print('boot')\n")
    storage = build_image(scripts, STORAGE_SIZE)
    flash = flash_with(tmp_path, storage)
    add_to_storage(flash, build_dir(tmp_path, storage), {"conformance/case.lua": b"print(1)\n",
                                                         "conformance/setpaths/probe.lua": b"return 2\n"})
    data = flash.read_bytes()
    assert len(data) == FLASH_SIZE
    assert data[:STORAGE_OFFSET] == b"\xa5" * STORAGE_OFFSET
    assert data[STORAGE_OFFSET + STORAGE_SIZE:] == b"\x5a" * 0x1000
    assert read(data, "main.lua") == b"print('boot')\n"
    assert read(data, "conformance/case.lua") == b"print(1)\n"
    assert read(data, "conformance/setpaths/probe.lua") == b"return 2\n"


def test_a_partition_that_does_not_mount_is_not_formatted(tmp_path: Path):
    blank = b"\xff" * STORAGE_SIZE
    flash = flash_with(tmp_path, blank)
    with pytest.raises(LittleFSError):
        add_to_storage(flash, build_dir(tmp_path, blank), {"a.lua": b"x = 1\n"})
    assert flash.read_bytes()[STORAGE_OFFSET:STORAGE_OFFSET + STORAGE_SIZE] == blank
