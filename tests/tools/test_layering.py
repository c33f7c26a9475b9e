"""The layering (ARCHITECTURE): the tools package owns the console protocol client and
the transports; the simulator builds on it, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

LUASYS = Path(__file__).resolve().parents[2] / "tools" / "luasys"


def imported_modules(source: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.add(node.module)
    return modules


def test_the_tools_package_never_imports_the_simulator():
    offenders = {path.name: sorted(m for m in imported_modules(path) if m.split(".")[0] == "host_sim")
                 for path in LUASYS.glob("*.py")}
    assert {name: mods for name, mods in offenders.items() if mods} == {}
