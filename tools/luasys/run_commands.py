"""`luasys run`, `restart`, `reset`, `describe`, `eval`: the device's Lua runtime over
the console."""

from __future__ import annotations

import argparse
import sys

from . import boards, connection
from .arguments import seconds
from .errors import CommandError
from .transport import SerialTransport


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("run", help="run a script on the device and show its output",
                            description="Restart the Lua runtime with a script that is on the device "
                                        "(push it first), then print what it prints.")
    p.add_argument("remote", help="script path on the device, e.g. main.lua")
    p.add_argument("--for", dest="duration", type=seconds(zero=True), metavar="SECONDS",
                   help="stop showing output after this long (default: until Ctrl-C; in a chain with "
                        "more steps after it, none: the next step starts at once)")
    connection.add_arguments(p)
    p.set_defaults(run=run)

    p = commands.add_parser("restart", help="restart the device's Lua runtime",
                            description="Stop the running script and start the boot script (main.lua) afresh.")
    connection.add_arguments(p)
    p.set_defaults(run=restart)

    p = commands.add_parser("reset", help="reset the device",
                            description="Reset the device, as its reset button does: through the port's "
                                        "DTR/RTS lines for an ESP board (esptool's sequence for its USB-UART "
                                        "bridge or USB-Serial-JTAG), with the console's reset verb otherwise "
                                        "(the PC devices, sockets) or with --soft. A reset asked for never "
                                        "counts toward safe mode.")
    p.add_argument("--soft", action="store_true", help="ask the firmware to reset itself (esp_restart())")
    p.add_argument("--board", choices=boards.KINDS, metavar="KIND",
                   help="the kind of ESP board behind a port luasys cannot identify by its USB IDs (an "
                        "rfc2217:// URL of a remote board, an unlisted adapter): reset it through DTR/RTS "
                        f"with that kind's sequence ({', '.join(boards.KINDS)})")
    connection.add_arguments(p)
    p.set_defaults(run=reset)

    p = commands.add_parser("describe", help="show the device's tasks, timers and counters",
                            description="Print what the running Lua runtime is doing: version, clock, "
                                        "heap, sys.stats() and the sys.describe() table.")
    connection.add_arguments(p)
    p.set_defaults(run=describe)

    p = commands.add_parser("eval", help="run a Lua snippet in the device's loop",
                            description="Run Lua inside the running event loop, as a task; print its values.")
    p.add_argument("source", help='Lua code, e.g. "sys.stats().tasks_live"')
    connection.add_arguments(p)
    p.set_defaults(run=evaluate)


def run(args: argparse.Namespace) -> int:
    def body(client) -> None:
        client.run(args.remote)
        if args.duration is not None:
            client.pump(args.duration)
        elif not getattr(args, "chained", False):
            client.pump(float("inf"))
    return connection.run_command(args, body, show_output=True)


def reset(args: argparse.Namespace) -> int:
    port = connection.resolve_port(args)
    if args.soft and args.board:
        raise CommandError("--soft and --board contradict each other (the firmware resets itself, or the "
                           "board's lines do)")
    kind = None if args.soft else args.board or boards.kind_of(port)
    if kind is None:
        return connection.run_command(args, lambda client: print(client.reset().decode(), file=sys.stderr))
    link = SerialTransport(port, args.baud)
    try:
        boards.hardware_reset(link.serial, kind)
    finally:
        link.close()
    print(f"reset {port} ({kind}) through its DTR/RTS lines", file=sys.stderr)
    return 0


def restart(args: argparse.Namespace) -> int:
    return connection.run_command(args, lambda client: client.restart())


def describe(args: argparse.Namespace) -> int:
    return connection.run_command(args, lambda client: print(client.describe()))


def evaluate(args: argparse.Namespace) -> int:
    def body(client) -> None:
        text = client.eval(args.source)
        if text:
            print(text)
    return connection.run_command(args, body)
