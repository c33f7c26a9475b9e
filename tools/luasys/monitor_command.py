"""`luasys monitor`: the device's output through esp-idf-monitor (panic decoding,
reset, filtering), with the firmware's ELF when there is a build."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from . import connection
from .arguments import integer
from .errors import CommandError
from .transport import SerialTransport


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("monitor", help="watch the device's output (esp-idf-monitor)",
                            description="Run esp-idf-monitor on the port. Ctrl-] leaves. Arguments after "
                                        "-- go to esp-idf-monitor (e.g. -- --no-reset).")
    p.add_argument("--port", "-p", default=os.environ.get("LUASYS_PORT"),
                   help="serial port (env LUASYS_PORT; default: the one ESP board `luasys devices` finds)")
    p.add_argument("--baud", "-b", type=integer(1), default=115200, help="baud rate (default 115200)")
    p.add_argument("--build-dir", default="build", help="ESP-IDF build directory, for the ELF (default build)")
    p.add_argument("extra", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def monitor_command(port: str, baud: int, build_dir: Path, extra: list[str]) -> list[str]:
    command = [sys.executable, "-m", "esp_idf_monitor", "--port", port, "--baud", str(baud)]
    elf = next(iter(sorted(build_dir.glob("*.elf"))), None)
    if elf is not None:
        command.append(str(elf))
    return command + [arg for arg in extra if arg != "--"]


def run(args: argparse.Namespace) -> int:
    port = connection.resolve_port(args)
    # esp-idf-monitor keeps retrying a port it cannot open and may end with status 0:
    # a port that cannot be opened is this command's failure, said at once.
    SerialTransport(port, args.baud).close()
    status = subprocess.call(monitor_command(port, args.baud, Path(args.build_dir), args.extra))
    if status:
        raise CommandError(f"esp-idf-monitor ended with status {status}")
    return 0
