"""`luasys sim SCRIPT`: run a script on the host simulator."""

from __future__ import annotations

import argparse
import sys

from host_sim import LUA_VERSIONS, Simulator


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("sim", help="run a Lua script on the simulator",
                            description="Run a LuaSys script on the PC with the same runtime as the device.")
    p.add_argument("script", help="the Lua script to run (modules next to it can be required)")
    p.add_argument("--virtual-time", action="store_true",
                   help="jump the clock to the next deadline instead of sleeping (deterministic)")
    p.add_argument("--until", type=float, metavar="SECONDS", help="stop when the clock reaches this time")
    p.add_argument("--lua", choices=sorted(LUA_VERSIONS), default="5.4", help="Lua version (default 5.4)")
    p.add_argument("--seed", type=int, default=1, help="math.random seed (default 1)")
    p.add_argument("--memory-limit", type=int, metavar="KB", help="cap the Lua heap, like the device's")
    p.add_argument("--timestamps", action="store_true", help="prefix each output line with the clock in seconds")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.until is not None and args.until < 0:
        print(f"luasys sim: --until must be >= 0 (got {args.until})", file=sys.stderr)
        return 2
    sim = Simulator(lua_version=args.lua, virtual_time=args.virtual_time, seed=args.seed,
                    memory_limit_kb=args.memory_limit, until_s=args.until, timestamps=args.timestamps)
    try:
        result = sim.run_file(args.script)
    except KeyboardInterrupt:
        return 130
    if result.status == "error":
        print(result.error, file=sys.stderr)
    elif result.status == "reboot":
        print("luasys sim: the script called rtos.reboot()", file=sys.stderr)
    return result.exit_code
