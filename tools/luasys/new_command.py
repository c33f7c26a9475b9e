"""`luasys new DIR`: a project that works at once: main.lua, tests using the pytest
plugin's two fixtures, a README with the commands, a CI workflow on the simulator."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from . import __version__

# Template file -> where it goes in the new project.
FILES = {
    "main.lua": "main.lua",
    "tests/test_main.py": "tests/test_main.py",
    "pytest.ini": "pytest.ini",
    "README.md": "README.md",
    "github-workflow.yml": ".github/workflows/tests.yml",
    "gitignore": ".gitignore",
}


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("new", help="create a firmware project with tests",
                            description="Create DIR with main.lua, tests that run it on the simulator and on a "
                                        "device (pytest), a README and a CI workflow running the tests.")
    p.add_argument("dir", help="the project directory to create (it must not exist, or be empty)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    target = Path(args.dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        print(f"luasys new: {target} exists and is not an empty directory", file=sys.stderr)
        return 2
    template = resources.files("luasys") / "project_template"
    name = target.resolve().name
    try:
        for source, destination in FILES.items():
            text = (template / source).read_text(encoding="utf-8")
            path = target / destination
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.replace("{{name}}", name).replace("{{version}}", __version__), encoding="utf-8")
    except OSError as error:
        print(f"luasys new: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"created {target}: main.lua, tests/test_main.py, README.md, .github/workflows/tests.yml\n"
          f"next: cd {target} && pytest")
    return 0
