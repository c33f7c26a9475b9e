"""`luasys safe-mode [--clear]`: see or end the device's safe mode (docs/reliability.md)."""

from __future__ import annotations

import argparse

from . import connection


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("safe-mode", help="show or clear the device's safe mode",
                            description="Show whether the device skipped main.lua at boot (safe mode) and "
                                        "how many starts of it failed in a row; --clear resets the count "
                                        "(then `luasys restart` runs main.lua again).")
    p.add_argument("--clear", action="store_true", help="reset the count and leave safe mode")
    connection.add_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    def body(client) -> None:
        if args.clear:
            client.safe_clear()
        state, failed, limit = client.safe_status()
        print(f"safe mode {state}: {failed} failed start(s) in a row, limit {limit}")
    return connection.run_command(args, body)
