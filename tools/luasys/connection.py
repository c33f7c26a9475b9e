"""The options every console command shares (--port, --baud, --fs, --timeout) and the
connection they open."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Iterator

from tqdm import tqdm

from .console_client import ConsoleClient, ConsoleError
from .transport import open_transport


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--port", "-p", default=os.environ.get("LUASYS_PORT"),
                       help="serial port or pty of the device (env LUASYS_PORT); 'native' runs the "
                            "native build with its console on stdio; 'exec:COMMAND' any such command")
    group.add_argument("--baud", "-b", type=int, default=115200, help="baud rate (default 115200)")
    group.add_argument("--fs", default="fs", metavar="DIR",
                       help="with --port native: the directory standing in for the filesystem (default ./fs)")
    group.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                       help="how long to wait for the device to answer (default 10)")


def write_output(data: bytes) -> None:
    """Program output from the device, passed through as it comes."""
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


def discard_output(_data: bytes) -> None:
    """For commands whose own result is the output (ls, get -, describe)."""


@contextlib.contextmanager
def connect(args: argparse.Namespace, show_output: bool) -> Iterator[ConsoleClient]:
    if not args.port:
        raise SystemExit(f"luasys {args.command}: give --port (or set LUASYS_PORT)")
    transport = open_transport(args.port, args.baud, args.fs)
    try:
        client = ConsoleClient(transport, write_output if show_output else discard_output, args.timeout)
        client.hello()
        yield client
    finally:
        transport.close()


def run_command(args: argparse.Namespace, body, show_output: bool = False) -> int:
    """Runs `body(client)`; a device error or a timeout is one line on stderr, status 1.
    Program output is shown only with `show_output` (run, repl)."""
    try:
        with connect(args, show_output) as client:
            return body(client) or 0
    except (ConsoleError, TimeoutError, OSError) as error:
        print(f"luasys {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def progress_bar(total: int, label: str) -> tqdm:
    """A progress bar on stderr, shown only on a terminal."""
    return tqdm(total=total, desc=label, unit="B", unit_scale=True, leave=False, disable=None, file=sys.stderr)
