"""`luasys push`, `get`, `cat`, `ls`, `rm`, `mkdir`, `df`: the device's script
filesystem over the console."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import connection
from . import protocol as p
from .console_client import ConsoleError
from .errors import CommandError


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("push", help="copy a file or a folder to the device",
                            description="Upload a file, or a folder with everything in it; each file replaces "
                                        "the old one only once complete and verified.")
    p.add_argument("local", help="the file or folder to upload")
    p.add_argument("remote", nargs="?", help="path on the device (default: the file's or folder's name)")
    connection.add_arguments(p)
    p.set_defaults(run=push)

    p = commands.add_parser("get", help="copy a file from the device",
                            description="Download a file from the device ('-' writes it to stdout).")
    p.add_argument("remote", help="path on the device")
    p.add_argument("local", nargs="?", help="where to write it (default: its name; '-' for stdout)")
    connection.add_arguments(p)
    p.set_defaults(run=get)

    p = commands.add_parser("cat", help="print a file from the device", description="Print a file from the device.")
    p.add_argument("remote", help="path on the device")
    connection.add_arguments(p)
    p.set_defaults(run=cat)

    p = commands.add_parser("ls", help="list files on the device", description="List a directory on the device.")
    p.add_argument("remote", nargs="?", help="directory (default: the root)")
    connection.add_arguments(p)
    p.set_defaults(run=ls)

    p = commands.add_parser("rm", help="remove a file from the device",
                            description="Remove a file or an empty directory on the device; -r a directory "
                                        "with everything in it.")
    p.add_argument("remote", help="path on the device")
    p.add_argument("-r", "--recursive", action="store_true", help="remove a directory and what it holds")
    connection.add_arguments(p)
    p.set_defaults(run=rm)

    p = commands.add_parser("mkdir", help="make a directory on the device",
                            description="Make a directory (and its parents) on the device.")
    p.add_argument("remote", help="path on the device")
    connection.add_arguments(p)
    p.set_defaults(run=mkdir)

    p = commands.add_parser("df", help="show the device's filesystem size and use",
                            description="Show the size and use of the device's script filesystem.")
    connection.add_arguments(p)
    p.set_defaults(run=df)


def to_push(local: Path, remote: str) -> list[tuple[str, bytes | None]]:
    """(device path, contents) pairs, None for a directory: the file itself, or the
    folder and everything in it, parents first. Read before connecting, so that a
    local problem stops the push before it starts."""
    if local.is_file():
        return [(remote, local.read_bytes())]
    if not local.is_dir():
        raise CommandError(f"{local}: no such file or folder")
    entries = [(remote, None)]
    for path in sorted(local.rglob("*")):
        target = f"{remote}/{path.relative_to(local).as_posix()}"
        entries.append((target, None if path.is_dir() else path.read_bytes()))
    return entries


def push(args: argparse.Namespace) -> int:
    local = Path(args.local)
    entries = to_push(local, (args.remote or local.resolve().name).rstrip("/"))
    for remote, _data in entries:  # a bad name stops the push before anything is sent
        p.check_path(remote)

    def body(client) -> None:
        for remote, data in entries:
            if data is None:
                client.mkdir(remote)
                continue
            with connection.progress_bar(len(data), f"push {remote}") as bar:
                client.put(remote, data, bar.update)
            print(f"{remote} ({len(data)} bytes)", file=sys.stderr)
    return connection.run_command(args, body)


def get(args: argparse.Namespace) -> int:
    p.check_path(args.remote)
    def body(client) -> None:
        with connection.progress_bar(0, f"get {args.remote}") as bar:
            data = client.get(args.remote, bar.update)
        if args.local == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            Path(args.local or Path(args.remote).name).write_bytes(data)
    return connection.run_command(args, body)


def cat(args: argparse.Namespace) -> int:
    p.check_path(args.remote)
    def body(client) -> None:
        sys.stdout.buffer.write(client.get(args.remote))
        sys.stdout.flush()
    return connection.run_command(args, body)


def ls(args: argparse.Namespace) -> int:
    if args.remote:
        p.check_path(args.remote)
    def body(client) -> None:
        for size, name in client.ls(args.remote):
            print(f"{size:>8} {name}")
    return connection.run_command(args, body)


def remove_tree(client, path: str) -> None:
    """rm -r: what a directory holds, deepest first, then the directory."""
    for _size, name in client.ls(path):
        child = f"{path}/{name.rstrip('/')}"
        if name.endswith("/"):
            remove_tree(client, child)
        else:
            client.rm(child)
    client.rm(path)


def rm(args: argparse.Namespace) -> int:
    p.check_path(args.remote)
    def body(client) -> None:
        if args.recursive:
            try:
                client.ls(args.remote)
            except ConsoleError as error:
                if error.code != "not-found":  # not a directory: remove it as a file
                    raise
            else:
                remove_tree(client, args.remote.rstrip("/"))
                return
        client.rm(args.remote)
    return connection.run_command(args, body)


def mkdir(args: argparse.Namespace) -> int:
    p.check_path(args.remote)
    return connection.run_command(args, lambda client: client.mkdir(args.remote))


def df(args: argparse.Namespace) -> int:
    def body(client) -> None:
        total, used = client.df()
        print(f"{total:>12} bytes in all\n{used:>12} used\n{total - used:>12} free ({100 * used // max(total, 1)}% used)")
    return connection.run_command(args, body)
