"""`pip install .` gives a working luasys outside the checkout: the simulator finds the
Lua runtime and `luasys native` the native build as package data (setup.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from luasys import child_process

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("src") / "luasys"
    # A copy, so the build's own build/ folder does not land in the checkout.
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".venv", "build", ".git", "*.egg-info",
                                                                "__pycache__", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                    str(source)], check=True, capture_output=True)
    return target


def run_installed(installed: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(installed))
    env.pop("LUASYS_NATIVE", None)
    return subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_installed_simulator_runs_a_script_from_any_directory(installed: Path, tmp_path: Path):
    (tmp_path / "hello.lua").write_text('sys.timerStart(function() print("hello", rtos.version()) end, 10)\n'
                                        'sys.run()\n')
    done = run_installed(installed, tmp_path, "-m", "luasys", "sim", "hello.lua", "--virtual-time", "--until", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hello\tLuaSys-")
    where = run_installed(installed, tmp_path, "-c", "import host_sim; print(host_sim.RUNTIME_DIR)")
    assert Path(where.stdout.strip()) == installed / "host_sim" / "runtime"


def test_the_installed_package_carries_the_native_build(installed: Path, tmp_path: Path):
    where = run_installed(installed, tmp_path, "-c",
                          "from luasys.native_binary import native_binary; print(native_binary())")
    binary = Path(where.stdout.strip())
    if not binary.is_file() and os.environ.get("LUASYS_REQUIRE_NATIVE") != "1":
        pytest.skip("the native build could not be packaged here (no cmake or liblua5.4-dev)")
    assert binary == installed / "luasys" / "bin" / "luasys-native"
    (tmp_path / "hi.lua").write_text('print("native hi")\n')
    done = child_process.run([str(binary), "--exit-when-idle", "hi.lua"], 60, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert "native hi" in done.stdout


def test_a_new_project_passes_its_tests_with_the_installed_package_alone(installed: Path, tmp_path: Path):
    """`pip install luasys` is all a user needs: `luasys new`, then pytest finds the
    plugin (its pytest11 entry points) and the project's tests pass, the device test on
    the simulator's console included."""
    done = run_installed(installed, tmp_path, "-m", "luasys", "new", "doorbell")
    assert done.returncode == 0, done.stderr
    run = run_installed(installed, tmp_path / "doorbell", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout
    where = run_installed(installed, tmp_path / "doorbell", "-c", "import host_sim.pytest_plugin as p; print(p.__file__)")
    assert where.stdout.strip().startswith(str(installed))  # the installed plugin, not the checkout
