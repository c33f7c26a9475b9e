"""`luasys`: one command, a subcommand per job, each in its own module. Packages that
build on luasys add subcommands through the `luasys.commands` entry point group (the
simulator's package adds `sim` and `native`)."""

from __future__ import annotations

import argparse
from importlib.metadata import entry_points

from . import (__version__, files_commands, flash_command, fs_command, monitor_command, new_command,
               record_command, repl_command, run_commands, safe_mode_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="luasys", description="Develop, simulate and test LuaSys firmware.")
    parser.add_argument("--version", action="version", version=f"luasys {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for plugin in sorted(entry_points(group="luasys.commands"), key=lambda entry: entry.name):
        plugin.load()(commands)
    files_commands.register(commands)
    run_commands.register(commands)
    safe_mode_command.register(commands)
    repl_command.register(commands)
    monitor_command.register(commands)
    record_command.register(commands)
    new_command.register(commands)
    fs_command.register(commands)
    flash_command.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
