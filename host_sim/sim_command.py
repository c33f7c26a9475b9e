"""`luasys sim SCRIPT`: run a script on the host simulator."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from luasys.arguments import integer, seconds
from luasys.recording import RecordingError, load

from .console import safe_mode
from .console.files import FileStore
from .console.pty_port import PtyPort
from .console.serial_device import serve_simulator
from .simulator import LUA_VERSIONS, WATCHDOG_MAX_MS, MemoryLimitTooSmall, Simulator

# The options only a script run reads, and those only a device on a pty (--serial)
# reads: given to the other, they are refused, not ignored.
RUN_ONLY = ("--virtual-time", "--until", "--watchdog", "--trace", "--replay")
SERIAL_ONLY = ("--fs", "--safe-mode-boots", "--safe-mode-grace")


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("sim", help="run a Lua script on the simulator",
                            description="Run a LuaSys script on the PC with the same runtime as the device.")
    p.add_argument("script", nargs="?",
                   help="the Lua script to run (modules next to it can be required); "
                        "with --serial, the script the device boots (default: main.lua in --fs)")
    p.add_argument("--virtual-time", action="store_true",
                   help="jump the clock to the next deadline instead of sleeping (deterministic)")
    p.add_argument("--until", type=seconds(zero=True), metavar="SECONDS",
                   help="stop when the clock reaches this time")
    p.add_argument("--lua", choices=sorted(LUA_VERSIONS), default="5.4", help="Lua version (default 5.4)")
    p.add_argument("--seed", type=int, default=1, help="math.random seed (default 1)")
    p.add_argument("--memory-limit", type=integer(1), metavar="KB", help="cap the Lua heap, like the device's")
    p.add_argument("--timestamps", action="store_true", help="prefix each output line with the clock in seconds")
    p.add_argument("--trace", metavar="FILE",
                   help="write the run's task switches, timer firings and message dispatches as a "
                        "Chrome trace (open it in ui.perfetto.dev)")
    p.add_argument("--watchdog", type=integer(1, WATCHDOG_MAX_MS), metavar="MS",
                   help="report tasks and callbacks that run MS ms without yielding and stop them at "
                        "4 x MS (sys.setWatchdog)")
    p.add_argument("--replay", metavar="RECORDING",
                   help="post the messages of a recording (luasys record) at their times; implies "
                        "--virtual-time")
    p.add_argument("--serial", action="store_true",
                   help="serve the device console on a pseudo-terminal and print its path "
                        "(docs/console-protocol.md); the device keeps running with no client, "
                        "like a board; luasys reset restarts it")
    p.add_argument("--fs", metavar="DIR",
                   help="with --serial, the directory standing in for the device's filesystem "
                        "(default: a new temporary directory)")
    p.add_argument("--safe-mode-boots", type=integer(*safe_mode.BOOTS_RANGE), metavar="N",
                   help="with --serial, boot without main.lua after N failed starts in a row "
                        f"(default {safe_mode.DEFAULT_BOOTS})")
    p.add_argument("--safe-mode-grace", type=integer(*safe_mode.GRACE_MS_RANGE), metavar="MS",
                   help="with --serial, how long main.lua must run for its start to count as good "
                        f"(default {safe_mode.DEFAULT_GRACE_MS})")
    p.set_defaults(run=run)


def given(args: argparse.Namespace, options: tuple[str, ...]) -> list[str]:
    """Those of `options` given on the command line (a flag set, or any value: 0 too)."""
    values = {option: getattr(args, option[2:].replace("-", "_")) for option in options}
    return [option for option, value in values.items() if value is not None and value is not False]


def run(args: argparse.Namespace) -> int:
    if args.serial:
        if given(args, RUN_ONLY):
            print(f"luasys sim: {', '.join(given(args, RUN_ONLY))}: not with --serial, whose device runs in "
                  "real time and is driven through its console", file=sys.stderr)
            return 2
        return serve_serial(args)
    if given(args, SERIAL_ONLY):
        print(f"luasys sim: {', '.join(given(args, SERIAL_ONLY))}: for a device on a pty; needs --serial",
              file=sys.stderr)
        return 2
    if args.script is None:
        print("luasys sim: give a SCRIPT to run (or --serial for a device with a console)", file=sys.stderr)
        return 2
    if not Path(args.script).is_file():
        problem = "is a directory, not a script" if Path(args.script).is_dir() else "no such file"
        print(f"luasys sim: {args.script}: {problem}", file=sys.stderr)
        return 1
    recording = None
    if args.replay:
        try:
            recording = load(args.replay)
        except RecordingError as error:
            print(f"luasys sim: {error}", file=sys.stderr)
            return 2
    sim = Simulator(lua_version=args.lua, virtual_time=args.virtual_time or recording is not None,
                    seed=args.seed, memory_limit_kb=args.memory_limit, until_s=args.until,
                    timestamps=args.timestamps, watchdog_ms=args.watchdog, trace=args.trace is not None)
    if recording is not None:
        recording.inject_into(sim)
        if recording.lost:
            print(f"luasys sim: {args.replay}: the device could not keep {recording.lost} records "
                  "(its buffer was full); the replay lacks them", file=sys.stderr)
    try:
        result = sim.run_file(args.script)
    except KeyboardInterrupt:
        return 130
    except MemoryLimitTooSmall:
        print(f"luasys sim: --memory-limit {args.memory_limit} KB is too small to load the runtime",
              file=sys.stderr)
        return 1
    finally:
        if sim.trace is not None:
            sim.trace.write(args.trace)
    if result.status == "error":
        print(result.error, file=sys.stderr)
    elif result.status == "reboot":
        print("luasys sim: the script called rtos.reboot()", file=sys.stderr)
    elif result.status == "returned" and sim.tasks_live():
        print(f"luasys sim: {args.script} ended without sys.run(): its {sim.tasks_live()} task(s) waiting in it never resumed "
              "(end the script with sys.run())", file=sys.stderr)
        return 1
    return result.exit_code


def serve_serial(args: argparse.Namespace) -> int:
    if args.fs is not None and Path(args.fs).exists() and not Path(args.fs).is_dir():
        print(f"luasys sim: --fs {args.fs}: not a directory", file=sys.stderr)
        return 2
    files = FileStore(args.fs or tempfile.mkdtemp(prefix="luasys-fs-"))
    boot_script = Path(args.script).resolve() if args.script else files.root / "main.lua"
    options = {"lua_version": args.lua, "seed": args.seed, "memory_limit_kb": args.memory_limit,
               "timestamps": args.timestamps}
    port = PtyPort()
    print(port.name, flush=True)
    print(f"luasys sim: console on {port.name}, filesystem {files.root}, boots {boot_script}",
          file=sys.stderr, flush=True)
    try:
        limits = {"boots": args.safe_mode_boots,
                  "grace_s": None if args.safe_mode_grace is None else args.safe_mode_grace / 1000}
        serve_simulator(port, files, boot_script, options, limits)
    except KeyboardInterrupt:
        return 130
    finally:
        port.close()
