"""`luasys fs build DIR -o IMAGE`: a LittleFS image of a scripts folder, sized from the
partition table's `storage` entry, for `luasys flash --fs-image`."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from littlefs import LittleFS, LittleFSError

from .errors import CommandError

# The geometry ESP-IDF's littlefs component uses by default (CONFIG_LITTLEFS_*):
# an image built otherwise does not mount on the device.
BLOCK_SIZE = 4096
LITTLEFS_GEOMETRY = {"read_size": 128, "prog_size": 128, "cache_size": 512, "lookahead_size": 128,
                     "name_max": 64}
PARTITION_NAME = "storage"


def register(commands: argparse._SubParsersAction) -> None:
    fs = commands.add_parser("fs", help="filesystem images", description="Build filesystem images for the device.")
    actions = fs.add_subparsers(dest="fs_command", required=True, metavar="ACTION")
    p = actions.add_parser("build", help="build a LittleFS image of a folder",
                           description="Build a LittleFS image of DIR (its files at the image's root, "
                                       "mounted on the device at /lua), sized like the 'storage' partition.")
    p.add_argument("dir", help="the folder to pack, e.g. lua/")
    p.add_argument("-o", "--output", required=True, metavar="IMAGE", help="image file to write")
    p.add_argument("--partitions", default="partitions.csv", help="partition table (default partitions.csv)")
    p.add_argument("--size", type=size_argument, help="image size instead of the partition's, e.g. 0x100000 or 1M")
    p.set_defaults(run=run)


def size_argument(text: str) -> int:
    """--size: a number of bytes > 0, as in a partition table."""
    try:
        size = parse_size(text)
    except ValueError:
        size = 0
    if size <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of bytes, e.g. 0x100000 or 1M (got {text!r})")
    return size


def parse_size(text: str) -> int:
    """A partition-table size: decimal, 0x hex, or with a K/M suffix."""
    text = text.strip()
    scale = {"K": 1024, "M": 1024 * 1024}.get(text[-1:].upper(), 1)
    number = text[:-1] if scale > 1 else text
    return int(number, 0) * scale


def partition(partitions_csv: Path, name: str = PARTITION_NAME) -> tuple[int | None, int]:
    """(offset or None, size) of the partition `name` in an ESP-IDF partition table."""
    for row in csv.reader(line for line in partitions_csv.read_text().splitlines()
                          if line.strip() and not line.lstrip().startswith("#")):
        fields = [field.strip() for field in row]
        if fields[0] == name:
            try:
                offset = parse_size(fields[3]) if len(fields) > 3 and fields[3] else None
                return offset, parse_size(fields[4])
            except (ValueError, IndexError):
                raise CommandError(f"{partitions_csv}: the {name!r} row has no offset and size "
                                   f"(e.g. 0x110000, 1M): {', '.join(fields)}") from None
    raise CommandError(f"{partitions_csv}: no partition named {name!r}")


def build_image(folder: Path, size: int) -> bytes:
    if size % BLOCK_SIZE:
        raise CommandError(f"the image size must be a multiple of {BLOCK_SIZE} (got {size})")
    fs = LittleFS(block_size=BLOCK_SIZE, block_count=size // BLOCK_SIZE, **LITTLEFS_GEOMETRY)
    for path in sorted(folder.rglob("*")):
        target = path.relative_to(folder).as_posix()
        try:
            if path.is_dir():
                fs.makedirs(target, exist_ok=True)
            else:
                with fs.open(target, "wb") as f:
                    f.write(path.read_bytes())
        except LittleFSError as error:
            if error.code == LittleFSError.Error.LFS_ERR_NOSPC:
                raise CommandError(f"{folder}'s files do not fit in an image of {size} bytes "
                                 f"(at {target}); give a larger --size") from None
            raise CommandError(f"cannot put {target} into the image: {error}") from None
    return bytes(fs.context.buffer)


def run(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    try:
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        size = args.size if args.size is not None else partition(Path(args.partitions))[1]
        image = build_image(folder, size)
    except (OSError, CommandError) as error:
        print(f"luasys fs build: {error}", file=sys.stderr)
        return 1
    Path(args.output).write_bytes(image)
    print(f"{args.output}: {len(image)} bytes, files from {folder}", file=sys.stderr)
    return 0
