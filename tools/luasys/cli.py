"""`luasys`: one command, a subcommand per job, each in its own module."""

from __future__ import annotations

import argparse

from . import files_commands, flash_command, fs_command, monitor_command, native_command, repl_command, run_commands, safe_mode_command, sim_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="luasys", description="Develop, simulate and test LuaSys firmware.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sim_command.register(commands)
    files_commands.register(commands)
    run_commands.register(commands)
    safe_mode_command.register(commands)
    repl_command.register(commands)
    monitor_command.register(commands)
    native_command.register(commands)
    fs_command.register(commands)
    flash_command.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
