"""`luasys flash`: write the firmware (from `idf.py build`'s build/flasher_args.json)
and/or a filesystem image (at the partition table's `storage` offset) with esptool."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import esptool

from .arguments import integer
from .errors import CommandError
from .fs_command import partition


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("flash", help="write firmware and/or a filesystem image to a board",
                            description="Flash with esptool: the firmware built by idf.py build "
                                        "(build/flasher_args.json) and/or a LittleFS image from luasys fs build.")
    p.add_argument("--port", "-p", default=os.environ.get("LUASYS_PORT"), help="serial port (env LUASYS_PORT)")
    p.add_argument("--baud", "-b", type=integer(1), default=460800, help="flashing baud rate (default 460800)")
    p.add_argument("--build-dir", default="build", help="ESP-IDF build directory (default build)")
    p.add_argument("--fs-image", metavar="IMAGE", help="also write this filesystem image")
    p.add_argument("--no-firmware", action="store_true", help="write only the filesystem image")
    p.add_argument("--partitions", default="partitions.csv", help="partition table (default partitions.csv)")
    p.set_defaults(run=run)


def esptool_arguments(port: str, baud: int, build_dir: Path | None, fs_image: Path | None,
                      partitions_csv: Path) -> list[str]:
    """The esptool command line for the job (without the program name)."""
    chip, before, after, write_args, files = "auto", "default-reset", "hard-reset", [], []
    if build_dir is not None:
        flasher = json.loads((build_dir / "flasher_args.json").read_text())
        extra = flasher.get("extra_esptool_args", {})
        chip = extra.get("chip", chip)
        before = extra.get("before", before).replace("_", "-")
        after = extra.get("after", after).replace("_", "-")
        write_args = list(flasher.get("write_flash_args", []))
        for offset, name in sorted(flasher["flash_files"].items(), key=lambda item: int(item[0], 0)):
            files += [offset, str(build_dir / name)]
    if fs_image is not None:
        offset, _size = partition(partitions_csv)
        if offset is None:
            raise CommandError(f"{partitions_csv}: the storage partition has no explicit offset")
        files += [hex(offset), str(fs_image)]
    return ["--chip", chip, "--port", port, "--baud", str(baud), "--before", before, "--after", after,
            "write-flash", *write_args, *files]


def run(args: argparse.Namespace) -> int:
    if not args.port:
        print("luasys flash: give --port (or set LUASYS_PORT)", file=sys.stderr)
        return 2
    if args.no_firmware and not args.fs_image:
        print("luasys flash: nothing to write (--no-firmware without --fs-image)", file=sys.stderr)
        return 2
    try:
        argv = esptool_arguments(args.port, args.baud, None if args.no_firmware else Path(args.build_dir),
                                 Path(args.fs_image) if args.fs_image else None, Path(args.partitions))
    except (OSError, ValueError, KeyError, CommandError) as error:  # ValueError: flasher_args.json's JSON
        print(f"luasys flash: {error} (run idf.py build first?)", file=sys.stderr)
        return 1
    try:
        esptool.main(argv)
    except esptool.FatalError as error:
        print(f"luasys flash: {error}", file=sys.stderr)
        return 1
    return 0
