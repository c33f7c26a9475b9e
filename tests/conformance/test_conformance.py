"""The conformance suite: every case in tests/conformance/lua/*.lua, in a fresh
runtime, on every backend. A file whose first line says `sim-only` needs the virtual
clock and runs on the simulator's backends only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backends import ALL_BACKENDS, SANITIZER_REPORTS, SIM_BACKENDS, run_lua

CASE_DIR = Path(__file__).resolve().parent / "lua"
CASE_RE = re.compile(r'^\s*T\.case\("([^"]+)"', re.MULTILINE)


def collect() -> list:
    params = []
    for path in sorted(CASE_DIR.glob("*.lua")):
        if path.name == "harness.lua":
            continue
        text = path.read_text()
        backends = SIM_BACKENDS if "sim-only" in text.splitlines()[0] else ALL_BACKENDS
        for case in CASE_RE.findall(text):
            for backend in backends:
                params.append(pytest.param(backend, path, case, id=f"{backend}:{path.stem}:{case}"))
    return params


@pytest.mark.parametrize(("backend", "path", "case"), collect())
def test_case(backend: str, path: Path, case: str) -> None:
    output = run_lua(backend, path, case)
    if f"CASE ok {case}" not in output.splitlines() or any(r in output for r in SANITIZER_REPORTS):
        pytest.fail(f"{path.name}: {case!r} on {backend}:\n{output}", pytrace=False)
