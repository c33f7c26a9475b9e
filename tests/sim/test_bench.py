"""The benchmarks still measure what they name: a runtime change that breaks their
harness (the count hook around sys.taskInit, the per-figure reports) fails here, not
in the next person's README figures. Nothing here asserts a speed or a size."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"


def load_bench(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_runtime_bench_reports_every_figure() -> None:
    runtime = load_bench("runtime")
    run = runtime.measure("5.5", repeats=1)
    counted = {name for name, _, _ in runtime.TIMED} - {"wait_watchdog", "burst_100k"}
    for name, _, _ in runtime.TIMED:
        seconds, ratio, _, _ = run.figure(name)
        assert seconds > 0 and ratio > 0, name
    # Each counted figure does real work per operation: a broken count hook reads 0.
    assert {name for name, count in run.instructions.items() if count > 10} == counted
    assert run.bytes["parked_task"] > run.bytes["bare_coroutine"] > 0
    table = runtime.table("5.5", run)
    assert "(a) sys.wait" in table and "(d) heap bytes, parked sys task" in table


def test_runtime_bench_refuses_no_repetitions() -> None:
    done = subprocess.run([sys.executable, str(BENCH_DIR / "runtime.py"), "--repeats", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--repeats: 0 is not a positive number of repetitions" in done.stderr
    assert "Traceback" not in done.stderr


def test_footprint_bench_measures_require_sys() -> None:
    done = subprocess.run([sys.executable, str(BENCH_DIR / "footprint.py"), "--lua", "5.5", "--no-native"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.strip().startswith('require "sys"'))
    source_kb = float(row.split()[2])
    assert source_kb > 1, row
