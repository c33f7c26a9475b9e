"""The benchmarks still measure what they name: a runtime change that breaks their
harness (the count hook around sys.taskInit, the per-figure reports) fails here, not
in the next person's README figures. Nothing here asserts a speed or a size."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backends import native_binary  # noqa: E402

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


def test_footprint_bench_measures_in_place_on_native_lua32(tmp_path: Path) -> None:
    native_binary("native-lua32")  # skips (fails in CI) when the build is not there
    footprint = load_bench("footprint")
    table = footprint.native_require_table(None)
    row = next(line for line in table.splitlines() if line.strip().startswith('require "sys"'))
    assert float(row.split()[2]) > 1, table
    # A chunk that is not in the image, compiled by the build's luac and loaded in place
    # (luasys-footprint's load_fixed): what LuatOS's sys.lua is measured with.
    (tmp_path / "sys.lua").write_text("local kept = {}\nfor i = 1, 1000 do kept[i] = {} end\nreturn kept\n")
    kept_kb = float(footprint.luatos_on_native(footprint.ROOT / "build/native-lua32", tmp_path).split()[0])
    # 1,000 tables of 40 to 80 bytes each with their slot (64-bit host), not the
    # embedded runtime's sys (about 24 KB): the searcher found the compiled file.
    assert 1000 * 40 / 1024 < kept_kb < 1000 * 80 / 1024
