"""`luasys repl`: type Lua into the device's running loop and see what it prints."""

from __future__ import annotations

import argparse
import sys
import threading

from . import connection


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("repl", help="interactive Lua prompt on the device",
                            description="Each line runs as a task inside the device's running event loop; "
                                        "an expression's values are printed. Ctrl-D or Ctrl-C leaves.")
    connection.add_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    def body(client) -> None:
        print(f"connected to {args.port}; Ctrl-D to leave", file=sys.stderr)
        # Output comes whenever the device prints, not only after a line: read it apart.
        threading.Thread(target=client.pump, args=(float("inf"),), daemon=True, name="device-output").start()
        while True:
            try:
                line = input()
            except EOFError:
                return
            if line.strip():
                client.send_line(line)
    return connection.run_command(args, body, show_output=True)
