"""`luasys fs build` images read back with littlefs-python; `luasys flash` builds the
esptool command esptool itself accepts (checked up to opening the port)."""

from __future__ import annotations

import json
from pathlib import Path

import esptool
import pytest
from littlefs import LittleFS

from luasys.cli import main
from luasys.flash_command import esptool_arguments
from luasys.fs_command import BLOCK_SIZE, LITTLEFS_GEOMETRY

PARTITIONS = "# Name, Type, SubType, Offset, Size\nnvs, data, nvs, 0x9000, 0x6000\n" \
             "factory, app, factory, 0x10000, 0x1F0000\nstorage, data, littlefs, 0x200000, 256K\n"


@pytest.fixture
def partitions(tmp_path: Path) -> Path:
    path = tmp_path / "partitions.csv"
    path.write_text(PARTITIONS)
    return path


def test_fs_image_reads_back(tmp_path: Path, partitions: Path):
    scripts = tmp_path / "lua"
    (scripts / "lib").mkdir(parents=True)
    (scripts / "main.lua").write_text("print('hi')\n")
    (scripts / "lib" / "util.lua").write_bytes(b"return {}\n")
    image = tmp_path / "fs.bin"
    assert main(["fs", "build", str(scripts), "-o", str(image), "--partitions", str(partitions)]) == 0
    data = image.read_bytes()
    assert len(data) == 256 * 1024
    fs = LittleFS(block_size=BLOCK_SIZE, block_count=len(data) // BLOCK_SIZE, mount=False, **LITTLEFS_GEOMETRY)
    fs.context.buffer = bytearray(data)
    fs.mount()
    with fs.open("main.lua", "rb") as f:
        assert f.read() == b"print('hi')\n"
    with fs.open("lib/util.lua", "rb") as f:
        assert f.read() == b"return {}\n"


def test_fs_build_without_a_storage_partition_fails(tmp_path: Path, capsys):
    table = tmp_path / "partitions.csv"
    table.write_text("nvs, data, nvs, 0x9000, 0x6000\n")
    assert main(["fs", "build", str(tmp_path), "-o", str(tmp_path / "x.bin"), "--partitions", str(table)]) == 1
    assert "no partition named 'storage'" in capsys.readouterr().err


@pytest.fixture
def build_dir(tmp_path: Path) -> Path:
    build = tmp_path / "build"
    (build / "bootloader").mkdir(parents=True)
    for name in ("bootloader/bootloader.bin", "partition_table.bin", "luasys.bin"):
        (build / name).write_bytes(b"\xff" * 16)
    (build / "flasher_args.json").write_text(json.dumps({
        "write_flash_args": ["--flash_mode", "dio", "--flash_size", "4MB", "--flash_freq", "40m"],
        "flash_files": {"0x10000": "luasys.bin", "0x1000": "bootloader/bootloader.bin",
                        "0x8000": "partition_table.bin"},
        "extra_esptool_args": {"after": "hard_reset", "before": "default_reset", "stub": True, "chip": "esp32"},
    }))
    return build


def test_flash_arguments_from_flasher_args(build_dir: Path, partitions: Path, tmp_path: Path):
    image = tmp_path / "fs.bin"
    image.write_bytes(b"\0" * BLOCK_SIZE)
    argv = esptool_arguments("/dev/ttyUSB0", 460800, build_dir, image, partitions)
    assert argv == ["--chip", "esp32", "--port", "/dev/ttyUSB0", "--baud", "460800", "--before", "default-reset",
                    "--after", "hard-reset", "write-flash", "--flash_mode", "dio", "--flash_size", "4MB",
                    "--flash_freq", "40m", "0x1000", str(build_dir / "bootloader/bootloader.bin"),
                    "0x8000", str(build_dir / "partition_table.bin"), "0x10000", str(build_dir / "luasys.bin"),
                    "0x200000", str(image)]


def test_esptool_accepts_the_arguments_up_to_the_port(build_dir: Path, partitions: Path, tmp_path: Path):
    """esptool parses everything, then fails only at opening the (missing) port."""
    argv = esptool_arguments(str(tmp_path / "no-such-port"), 115200, build_dir, None, partitions)
    with pytest.raises((esptool.FatalError, OSError)) as failure:
        esptool.main(argv)
    assert "no-such-port" in str(failure.value)


def test_flash_with_nothing_to_write_is_refused(capsys):
    assert main(["flash", "--port", "/dev/null", "--no-firmware"]) == 2
    assert "nothing to write" in capsys.readouterr().err


def test_every_command_has_help(capsys):
    for command in ("sim", "native", "push", "get", "ls", "rm", "run", "restart", "describe", "eval", "repl",
                    "monitor", "flash"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
    with pytest.raises(SystemExit):
        main(["fs", "build", "--help"])
    assert "usage: luasys fs build" in capsys.readouterr().out
