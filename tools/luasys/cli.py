"""`luasys`: one command, a subcommand per job, each in its own module. Packages that
build on luasys add subcommands through the `luasys.commands` entry point group (the
simulator's package adds `sim` and `native`).

Commands chain with `+` and then share one connection to the device, as mpremote's do:
`luasys push lua/main.lua + run main.lua`. Every failure is one line on stderr and a
non-zero status; a traceback only with LUASYS_DEBUG=1."""

from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import entry_points

from . import (__version__, connection, devices_command, files_commands, flash_command, fs_command, monitor_command,
               new_command, record_command, repl_command, run_commands, safe_mode_command, watch_command)
from .errors import EXPECTED, one_line

CHAIN = "+"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="luasys", description="Develop, simulate and test LuaSys firmware. "
                                     "Chain console commands with '+' to run them over one connection, "
                                     "e.g. luasys push lua/main.lua + run main.lua.")
    parser.add_argument("--version", action="version", version=f"luasys {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for plugin in sorted(entry_points(group="luasys.commands"), key=lambda entry: entry.name):
        plugin.load()(commands)
    devices_command.register(commands)
    files_commands.register(commands)
    run_commands.register(commands)
    safe_mode_command.register(commands)
    repl_command.register(commands)
    watch_command.register(commands)
    monitor_command.register(commands)
    record_command.register(commands)
    new_command.register(commands)
    fs_command.register(commands)
    flash_command.register(commands)
    return parser


def split_chain(argv: list[str]) -> list[list[str]]:
    steps, current = [], []
    for word in argv:
        if word == CHAIN:
            steps.append(current)
            current = []
        else:
            current.append(word)
    return [*steps, current]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    steps = [parser.parse_args(step) for step in split_chain(sys.argv[1:] if argv is None else argv)]
    given = next((args.port for args in steps if getattr(args, "port", None)), None)
    for args in steps:  # a chain talks to one device: --port once is enough
        if hasattr(args, "port") and not args.port:
            args.port = given
        args.chained = args is not steps[-1]
    if len(steps) == 1:
        return run_step(steps[0])
    with connection.session():
        for args in steps:
            status = run_step(args)
            if status:
                return status
    return 0


def run_step(args: argparse.Namespace) -> int:
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()  # the reader of our output went away (luasys ls | head): nothing to say
        return 1
    except EXPECTED as error:
        print(f"luasys {args.command}: {one_line(error)}", file=sys.stderr)
        return 1
    except Exception as error:  # a bug: still one line, unless asked for the traceback
        if os.environ.get("LUASYS_DEBUG") == "1":
            raise
        print(f"luasys {args.command}: unexpected {type(error).__name__}: {one_line(error)} "
              "(a bug; LUASYS_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1
