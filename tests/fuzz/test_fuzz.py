"""A short fuzz run of every target (docs/fuzzing.md), as CI does it:

- fuzz_console, fuzz_rtos: libFuzzer (clang) under ASan/UBSan, from
  host_sim/native/fuzz, built into build/fuzz (or found in $LUASYS_FUZZ_BUILD);
- fuzz_protocol: the Python protocol parsers and client, with atheris.

Each starts from its corpus in tests/fuzz/corpus/<target>/ (seeds and the inputs of
bugs found so far: every one runs here) and fuzzes for a bounded time. Without clang
and libFuzzer (or atheris) the fuzzing is skipped, with the reason, unless
LUASYS_REQUIRE_FUZZ=1, where it fails. The corpus of fuzz_protocol always runs, with
or without atheris.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "fuzz" / "corpus"
SECONDS = int(os.environ.get("LUASYS_FUZZ_SECONDS", "20"))  # per target
REQUIRED = os.environ.get("LUASYS_REQUIRE_FUZZ") == "1"
C_TARGETS = {
    "console": ["-max_len=8192", f"-dict={REPO / 'tests/fuzz/console.dict'}"],
    "rtos": [],
}

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (LUASYS_REQUIRE_FUZZ=1)")
    pytest.skip(reason)


def _build_dir() -> Path:
    """The directory holding fuzz_console and fuzz_rtos, building them if needed."""
    given = os.environ.get("LUASYS_FUZZ_BUILD")
    if given:
        for candidate in (Path(given), Path(given) / "fuzz"):
            if (candidate / "fuzz_console").is_file() and (candidate / "fuzz_rtos").is_file():
                return candidate
        _unavailable(f"LUASYS_FUZZ_BUILD={given} holds no fuzz_console and fuzz_rtos")
    clang = shutil.which("clang")
    if clang is None:
        _unavailable("clang is not installed (Debian: clang libclang-rt-14-dev)")
    build = REPO / "build" / "fuzz"
    steps = [
        ["cmake", "-S", str(REPO / "host_sim/native"), "-B", str(build), "-DLUASYS_FUZZ=ON",
         f"-DCMAKE_C_COMPILER={clang}"],
        ["cmake", "--build", str(build), "-j2", "--target", "fuzz_console", "fuzz_rtos"],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True)
        if result.returncode != 0:
            output = result.stdout[-3000:] + result.stderr[-3000:]
            if "fuzzer" in output and ("cannot find" in output or "No such file" in output):
                _unavailable(f"libFuzzer is not installed (Debian: libclang-rt-14-dev):\n{output}")
            pytest.fail(f"{' '.join(step)} failed:\n{output}")
    return build / "fuzz"


@pytest.fixture(scope="module")
def fuzz_build() -> Path:
    return _build_dir()


@pytest.mark.parametrize("target", sorted(C_TARGETS))
def test_libfuzzer_target(target: str, fuzz_build: Path, tmp_path: Path) -> None:
    new_inputs = tmp_path / "corpus"
    new_inputs.mkdir()
    command = [str(fuzz_build / f"fuzz_{target}"), *C_TARGETS[target], f"-max_total_time={SECONDS}",
               "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
               f"-artifact_prefix={tmp_path}/", str(new_inputs), str(CORPUS / target)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 60,
                            env={**os.environ, "LUASYS_FUZZ_TMP": str(tmp_path)})
    stats = [line for line in result.stderr.splitlines() if line.startswith(("stat::", "Done "))]
    print("\n".join(stats))
    if result.returncode != 0:
        crashes = sorted(tmp_path.glob("crash-*")) + sorted(tmp_path.glob("leak-*")) + \
            sorted(tmp_path.glob("timeout-*"))
        pytest.fail(f"fuzz_{target} failed (exit {result.returncode}); reproduce with "
                    f"{command[0]} {' '.join(map(str, crashes)) or '<input>'}\n{result.stderr[-6000:]}")


def test_protocol_corpus() -> None:
    """Every fuzz_protocol corpus input (seeds and past bugs), without atheris."""
    from fuzz_protocol import one_input

    inputs = sorted((CORPUS / "protocol").iterdir())
    assert inputs
    for path in inputs:
        one_input(path.read_bytes())


def test_protocol_fuzz(tmp_path: Path) -> None:
    if importlib.util.find_spec("atheris") is None:
        _unavailable("atheris is not installed (pip install atheris)")
    new_inputs = tmp_path / "corpus"
    new_inputs.mkdir()
    command = [sys.executable, str(REPO / "tests/fuzz/fuzz_protocol.py"), f"-max_total_time={SECONDS}",
               "-timeout=10", "-print_final_stats=1", f"-artifact_prefix={tmp_path}/", str(new_inputs),
               str(CORPUS / "protocol")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 60)
    print("\n".join(line for line in result.stderr.splitlines() if line.startswith(("stat::", "Done "))))
    if result.returncode != 0:
        pytest.fail(f"fuzz_protocol failed (exit {result.returncode}):\n{result.stderr[-6000:]}")
