"""`luasys new DIR` writes the project's files (tests/tools/test_packaging.py runs the
new project's tests against an installed luasys)."""

from __future__ import annotations

import subprocess

import yaml

from backends import run_luasys

from luasys import __version__

TIMEOUT_S = 300


def luasys(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return run_luasys(*args, timeout_s=TIMEOUT_S, cwd=cwd)


def test_a_new_project_has_its_files(tmp_path):
    project = tmp_path / "doorbell"
    done = luasys("new", str(project))
    assert done.returncode == 0, done.stderr
    files = sorted(str(path.relative_to(project)) for path in project.rglob("*") if path.is_file())
    assert files == [".github/workflows/tests.yml", ".gitignore", "README.md", "main.lua", "pytest.ini",
                     "tests/test_main.py"]
    readme = (project / "README.md").read_text()
    assert readme.startswith("# doorbell\n")
    assert "\npytest " in readme and "pytest --embedded-services esp --port /dev/ttyUSB0 --target esp32" in readme
    workflow = yaml.safe_load((project / ".github/workflows/tests.yml").read_text())
    steps = [step.get("run") for step in workflow["jobs"]["simulator"]["steps"]]
    assert steps[-2:] == [f'pip install "luasys~={__version__}"', "pytest"]
    tests = (project / "tests/test_main.py").read_text()
    assert "(sim)" in tests and "(device)" in tests  # both fixtures; tests/tools/test_packaging.py runs them


def test_new_refuses_a_directory_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    done = luasys("new", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == f"luasys new: {tmp_path} exists and is not an empty directory"
    assert [path.name for path in tmp_path.iterdir()] == ["keep.txt"]
