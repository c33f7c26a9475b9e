"""Runtime benchmarks: `python bench/runtime.py [--lua 5.5] [--raw DIR] [--profile FIGURE]`.

Runs bench/runtime.lua in the simulator and prints, for each figure, its cost per
operation and its ratio to the floor (a plain coroutine resume/yield pair on the same
Lua), the spread of that ratio, and the VM instructions per operation, with the targets
of the runtime issues. It prints numbers; it asserts nothing.

How the ratios are measured (bench/runtime.lua does the measuring, this file the
statistics): each figure is timed 15 times, each repetition between two floor
measurements, and the ratio printed is the median of the 15 ratios of a repetition to
the mean of the floors beside it ("spread": the lowest and highest of them). The speed
of a shared machine drifts: the development VM's floor moves between 0.09 and 0.19 us
within a second, and its slower moments slow the runtime more than the floor. A ratio
to one floor measured at the start, as this bench did before, moved by 2x from one run
to the next ((c): 28x to 64x); the median of neighbouring ratios moves by up to ±25%
(two sets of five runs; README's Performance section has the figures). The instruction counts (a count hook, `instr/op`) do not depend on the
machine at all: they are the figures to compare across commits, and the same in every
run. `--profile FIGURE` (wait, waituntil_round_trip, ...) also prints where that
figure's instructions go, function by function.
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict
from pathlib import Path

from host_sim import LUA_VERSIONS, Simulator

SCRIPT = Path(__file__).resolve().parent / "runtime.lua"

# (name in runtime.lua, label, target)
TIMED = [
    ("wait", "(a) sys.wait, 1,000 tasks x 20 random waits", "<= 20x"),
    ("wait_watchdog", "(a) the same, with sys.setWatchdog on", ""),
    ("burst_100k", "(b) publish+deliver, burst of 100,000", "same per message as 10k"),
    ("burst_10k", "(b) publish+deliver, burst of 10,000", ""),
    ("waituntil_round_trip", "(c) waitUntil round trip, with timeout", "<= 30x"),
    ("ringbuf_put_get", "(e) ringbuf put + get", ""),
    ("ringbuf_pull_put", "(e) ringbuf pull from the middle + put", ""),
    ("playlist_emission", "(e) playlist step emission", ""),
    ("playlist_register_remove", "(e) playlist register + remove, 3 steps", ""),
    ("gesture_double_tap_input", "(e) gesture input, double tap detector", ""),
    ("gesture_sequence_input", "(e) gesture input, sequence detector", ""),
]


class Run:
    """One run of runtime.lua: its floors, its timed pairs, its counts and bytes."""

    def __init__(self, lines: list[str]) -> None:
        self.floors: list[float] = []
        self.pairs: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
        self.instructions: dict[str, float] = {}
        self.by_function: dict[str, float] = {}
        self.bytes: dict[str, float] = {}
        for line in lines:
            kind, *fields = line.split("\t")
            if kind == "floor":
                self.floors.append(float(fields[0]))
            elif kind == "pair":
                before, seconds, after = map(float, fields[1:])
                self.pairs[fields[0]].append((before, seconds, after))
            elif kind == "instructions":
                self.instructions[fields[0]] = float(fields[1])
            elif kind == "function":
                self.by_function[fields[0]] = float(fields[1])
            elif kind == "bytes":
                self.bytes[fields[0]] = float(fields[1])

    def figure(self, name: str) -> tuple[float, float, float, float]:
        """Seconds per op (median), its ratio to the floors beside it (median), the
        lowest and the highest of those ratios."""
        pairs = self.pairs[name]
        ratios = [2 * seconds / (before + after) for before, seconds, after in pairs]
        return (statistics.median(seconds for _, seconds, _ in pairs), statistics.median(ratios),
                min(ratios), max(ratios))


def measure(lua_version: str, raw: Path | None = None, profile: str | None = None,
            repeats: int | None = None) -> Run:
    """Runs runtime.lua on `lua_version`, profiling the figure `profile`, timing each
    figure `repeats` times (runtime.lua's REPEATS by default); its output also goes to
    `raw` if given."""
    settings = {"PROFILE": profile, "REPEATS": repeats}
    result = Simulator(lua_version=lua_version, virtual_time=True, capture=True, output=lambda _: None,
                       globals={k: v for k, v in settings.items() if v is not None} or None).run_file(SCRIPT)
    if result.status == "error":
        raise SystemExit(result.error)
    if raw:
        raw.write_text("\n".join(result.output) + "\n")
    return Run(result.output)


def table(lua_version: str, run: Run) -> str:
    lines = [f"Lua {lua_version}",
             f"{'operation':48} {'per op':>10} {'x floor':>8} {'spread':>13} {'instr/op':>9}  target",
             f"{'floor: coroutine resume/yield pair (median)':48} {statistics.median(run.floors) * 1e6:8.3f}us"
             f" {1.0:8.1f} {min(run.floors) * 1e6:6.3f}-{max(run.floors) * 1e6:.3f}us"]
    ratio = {}
    for name, label, target in TIMED:
        seconds, ratio[name], lowest, highest = run.figure(name)
        count = run.instructions.get(name)
        count_text = f"{count:9.0f}" if count is not None else f"{'-':>9}"
        lines.append(f"{label:48} {seconds * 1e6:8.3f}us {ratio[name]:8.1f} {lowest:6.1f}-{highest:<6.1f}"
                     f" {count_text}  {target}")
    lines.append(f"{'(b) 100k / 10k cost per message':48} {'':>10} {ratio['burst_100k'] / ratio['burst_10k']:8.2f}"
                 f"  ~1 (linear)")
    bare, task = run.bytes["bare_coroutine"], run.bytes["parked_task"]
    lines.append(f"{'(d) heap bytes, bare parked coroutine':48} {bare:9.0f}B {1.0:8.2f}")
    lines.append(f"{'(d) heap bytes, parked sys task':48} {task:9.0f}B {task / bare:8.2f}  <= 1.15x")
    return "\n".join(lines)


def function_name(where: str) -> str:
    """`where` (source:line, as runtime.lua reports it) with the function's name, read
    from its first line."""
    source, _, line = where.rpartition(":")
    try:
        text = Path(source).read_text().splitlines()[int(line) - 1]
    except (OSError, IndexError, ValueError):
        return where
    name = text.split("function", 1)[1].split("(", 1)[0].strip() if "function" in text else ""
    return f"{name or '(anonymous)'}  {Path(source).name}:{line}"


def profile_table(name: str, run: Run) -> str:
    rows = sorted(run.by_function.items(), key=lambda item: -item[1])
    lines = [f"where {name}'s {run.instructions[name]:.0f} VM instructions per op go"]
    lines += [f"  {count:8.1f}  {function_name(where)}" for where, count in rows if abs(count) >= 0.05]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lua", choices=sorted(LUA_VERSIONS), action="append",
                        help="Lua version(s) to measure (default: all)")
    parser.add_argument("--raw", type=Path, metavar="DIR",
                        help="also write each version's measurements to DIR/runtime-<version>.tsv")
    counted = [name for name, _, _ in TIMED if name not in ("wait_watchdog", "burst_100k")]
    parser.add_argument("--profile", choices=counted, metavar="FIGURE",
                        help=f"also print the VM instructions per op of FIGURE by function ({', '.join(counted)})")
    parser.add_argument("--repeats", type=int, metavar="N",
                        help="time each figure N times (default 15; fewer is quicker and less steady)")
    args = parser.parse_args()
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats: {args.repeats} is not a positive number of repetitions")
    for version in args.lua or sorted(LUA_VERSIONS):
        raw = args.raw / f"runtime-{version}.tsv" if args.raw else None
        run = measure(version, raw, args.profile, args.repeats)
        print(table(version, run))
        if args.profile:
            print(profile_table(args.profile, run))
        print()


if __name__ == "__main__":
    main()
