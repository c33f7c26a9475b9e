"""The options every console command shares (--port, --baud, --fs, --timeout) and the
connection they open. Chained commands (`luasys push a.lua + run a.lua`) share one
connection: `session()` keeps the first one open until the chain ends."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Iterator

from tqdm import tqdm

from . import boards
from .arguments import integer, seconds
from .console_client import ConsoleClient
from .errors import CommandError
from .transport import Transport, open_transport


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--port", "-p", default=os.environ.get("LUASYS_PORT"),
                       help="serial port, pty or pyserial URL (socket://, rfc2217://) of the device "
                            "(env LUASYS_PORT; default: the one ESP board `luasys devices` finds); "
                            "'native' runs the native build with its console on stdio; 'exec:COMMAND' "
                            "any such command")
    group.add_argument("--baud", "-b", type=integer(1), default=115200, help="baud rate (default 115200)")
    group.add_argument("--fs", default="fs", metavar="DIR",
                       help="with --port native: the directory standing in for the filesystem (default ./fs)")
    group.add_argument("--timeout", type=seconds(zero=False), default=10.0, metavar="SECONDS",
                       help="how long to wait for the device to answer (default 10)")


def resolve_port(args: argparse.Namespace) -> str:
    """--port, LUASYS_PORT, or the one likely ESP board on this machine."""
    if args.port:
        return args.port
    found = boards.candidates()
    if len(found) == 1:
        return found[0].device
    if not found:
        raise CommandError("no --port given (or LUASYS_PORT) and no ESP board found; "
                           "`luasys devices` lists the serial ports")
    raise CommandError("several ESP boards found (" + ", ".join(port.device for port in found) +
                       "); choose one with --port")


def write_output(data: bytes) -> None:
    """Program output from the device, passed through as it comes."""
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


def discard_output(_data: bytes) -> None:
    """For commands whose own result is the output (ls, get -, describe)."""


class _Session:
    """The connection a chain of commands shares (None outside a chain)."""

    active: bool = False
    transport: Transport | None = None
    client: ConsoleClient | None = None
    port: str | None = None


_session = _Session()


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Within it, console commands share one connection."""
    _session.active = True
    try:
        yield
    finally:
        if _session.transport is not None:
            _session.transport.close()
        _session.active, _session.transport, _session.client, _session.port = False, None, None, None


@contextlib.contextmanager
def connect(args: argparse.Namespace, show_output: bool) -> Iterator[ConsoleClient]:
    port = resolve_port(args)
    on_output = write_output if show_output else discard_output
    if _session.client is not None:
        if port != _session.port:
            raise CommandError(f"a chain talks to one device ({_session.port}), not also to {port}")
        _session.client.on_output = on_output
        _session.client.timeout_s = args.timeout
        yield _session.client
        return
    transport = open_transport(port, args.baud, args.fs)
    try:
        client = ConsoleClient(transport, on_output, args.timeout)
        client.hello()
    except BaseException:
        transport.close()
        raise
    if _session.active:
        _session.transport, _session.client, _session.port = transport, client, port
        yield client
        return
    try:
        yield client
    finally:
        transport.close()


def run_command(args: argparse.Namespace, body, show_output: bool = False) -> int:
    """Runs `body(client)` on the device; program output is shown only with
    `show_output` (run, repl). Errors reach luasys.cli, which prints them in one line."""
    with connect(args, show_output) as client:
        return body(client) or 0


def progress_bar(total: int, label: str) -> tqdm:
    """A progress bar on stderr, shown only on a terminal."""
    return tqdm(total=total, desc=label, unit="B", unit_scale=True, leave=False, disable=None, file=sys.stderr)
