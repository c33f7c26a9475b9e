"""`luasys push`, `get`, `ls`, `rm`: the device's script filesystem over the console."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import connection


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("push", help="copy a file to the device",
                            description="Upload a file; it replaces the old one only once complete and verified.")
    p.add_argument("local", help="the file to upload")
    p.add_argument("remote", nargs="?", help="path on the device (default: the file's name)")
    connection.add_arguments(p)
    p.set_defaults(run=push)

    p = commands.add_parser("get", help="copy a file from the device",
                            description="Download a file from the device ('-' writes it to stdout).")
    p.add_argument("remote", help="path on the device")
    p.add_argument("local", nargs="?", help="where to write it (default: its name; '-' for stdout)")
    connection.add_arguments(p)
    p.set_defaults(run=get)

    p = commands.add_parser("ls", help="list files on the device", description="List a directory on the device.")
    p.add_argument("remote", nargs="?", help="directory (default: the root)")
    connection.add_arguments(p)
    p.set_defaults(run=ls)

    p = commands.add_parser("rm", help="remove a file from the device",
                            description="Remove a file (or an empty directory) on the device.")
    p.add_argument("remote", help="path on the device")
    connection.add_arguments(p)
    p.set_defaults(run=rm)


def push(args: argparse.Namespace) -> int:
    data = Path(args.local).read_bytes()
    remote = args.remote or Path(args.local).name

    def body(client) -> None:
        with connection.progress_bar(len(data), f"push {remote}") as bar:
            client.put(remote, data, bar.update)
        print(f"{args.local} -> {remote} ({len(data)} bytes)", file=sys.stderr)
    return connection.run_command(args, body)


def get(args: argparse.Namespace) -> int:
    def body(client) -> None:
        with connection.progress_bar(0, f"get {args.remote}") as bar:
            data = client.get(args.remote, bar.update)
        if args.local == "-":
            sys.stdout.buffer.write(data)
        else:
            Path(args.local or Path(args.remote).name).write_bytes(data)
    return connection.run_command(args, body)


def ls(args: argparse.Namespace) -> int:
    def body(client) -> None:
        for size, name in client.ls(args.remote):
            print(f"{size:>8} {name}")
    return connection.run_command(args, body)


def rm(args: argparse.Namespace) -> int:
    return connection.run_command(args, lambda client: client.rm(args.remote))
