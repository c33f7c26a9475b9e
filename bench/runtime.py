"""Runtime benchmarks: `python bench/runtime.py [--lua 5.4]`.

Runs bench/runtime.lua in the simulator and prints each cost per operation (the best
of five repetitions) and as a ratio to the floor (a plain coroutine resume/yield pair on the same Lua), with the
targets of the runtime issue. It prints numbers; it asserts nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from host_sim import LUA_VERSIONS, Simulator

SCRIPT = Path(__file__).resolve().parent / "runtime.lua"


def measure(lua_version: str) -> dict[str, float]:
    result = Simulator(lua_version=lua_version, virtual_time=True, capture=True,
                       output=lambda _: None).run_file(SCRIPT)
    if result.status == "error":
        raise SystemExit(result.error)
    return {name: float(value) for name, value in (line.split("\t") for line in result.output)}


def table(lua_version: str, m: dict[str, float]) -> str:
    floor = m["floor_s_per_resume_yield"]
    rows = [
        ("floor: coroutine resume/yield pair", floor, 1.0, ""),
        ("(a) sys.wait, 1,000 tasks x 100 random waits", m["wait_s"], m["wait_s"] / floor, "<= 20x"),
        ("(a) the same, with sys.setWatchdog on", m["wait_watchdog_s"], m["wait_watchdog_s"] / floor, ""),
        ("(b) publish+deliver, burst of 100,000", m["burst_100k_s_per_message"],
         m["burst_100k_s_per_message"] / floor, "same per message as 10k"),
        ("(b) publish+deliver, burst of 10,000", m["burst_10k_s_per_message"],
         m["burst_10k_s_per_message"] / floor, ""),
        ("(c) waitUntil round trip, with timeout", m["waituntil_round_trip_s"],
         m["waituntil_round_trip_s"] / floor, "<= 30x"),
    ]
    lines = [f"Lua {lua_version}", f"{'operation':48} {'per op':>10} {'x floor':>8}  target"]
    for name, seconds, ratio, target in rows:
        lines.append(f"{name:48} {seconds * 1e6:8.3f}us {ratio:8.1f}  {target}")
    burst_ratio = m["burst_100k_s_per_message"] / m["burst_10k_s_per_message"]
    lines.append(f"{'(b) 100k / 10k cost per message':48} {'':>10} {burst_ratio:8.2f}  ~1 (linear)")
    bare, task = m["bare_coroutine_bytes"], m["parked_task_bytes"]
    lines.append(f"{'(d) heap bytes, bare parked coroutine':48} {bare:9.0f}B {1.0:8.2f}")
    lines.append(f"{'(d) heap bytes, parked sys task':48} {task:9.0f}B {task / bare:8.2f}  <= 1.15x")
    toolkit = [
        ("(e) ringbuf put + get", "ringbuf_put_get_s"),
        ("(e) ringbuf pull from the middle + put", "ringbuf_pull_put_s"),
        ("(e) playlist step emission", "playlist_emission_s"),
        ("(e) playlist register + remove, 3 steps", "playlist_register_remove_s"),
        ("(e) gesture input, double tap detector", "gesture_double_tap_input_s"),
        ("(e) gesture input, sequence detector", "gesture_sequence_input_s"),
    ]
    for name, key in toolkit:
        lines.append(f"{name:48} {m[key] * 1e6:8.3f}us {m[key] / floor:8.1f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lua", choices=sorted(LUA_VERSIONS), action="append",
                        help="Lua version(s) to measure (default: all)")
    args = parser.parse_args()
    for version in args.lua or sorted(LUA_VERSIONS):
        print(table(version, measure(version)))
        print()


if __name__ == "__main__":
    main()
