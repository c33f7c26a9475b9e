"""`luasys devices`: the serial ports on this machine, likely ESP boards marked."""

from __future__ import annotations

import argparse

from . import boards


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("devices", help="list serial ports, marking likely ESP boards",
                            description="List the serial ports pyserial finds; a port whose USB IDs are an "
                                        "Espressif chip's or a USB-UART bridge's that ESP boards use is marked "
                                        "with its kind. With exactly one such board, commands need no --port.")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    found = boards.ports()
    if not found:
        print("no serial ports found")
    for port in found:
        mark = f"ESP board ({port.kind})" if port.kind else "-"
        print(f"{port.device:<20} {mark:<28} {port.description}")
    return 0
