"""The LuaSys pytest plugin (docs/testing.md), registered as a `pytest11` entry point:
installing luasys is all a project needs.

- `sim`: the project's script on the simulator, stepped in virtual time
  (host_sim.SimSession); `sim_factory` makes more, with other scripts or options.
- `sim_factory(replay=PATH)` (or the marker's `replay=`) posts a recording's messages
  (`luasys record`) at their times.
- A failing test that used a simulator shows its last output lines with their
  virtual timestamps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from luasys.recording import load

from .session import TAIL_LINES, SimSession

SESSIONS = pytest.StashKey[list]()
SIM_MARKER = "luasys_sim"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("luasys", "LuaSys firmware tests (docs/testing.md)")
    group.addoption("--luasys-script", metavar="PATH",
                    help="the Lua script the sim fixture runs (default: the luasys_script ini "
                         "option, else main.lua in the rootdir)")
    group.addoption("--luasys-seed", type=int, metavar="N", help="math.random seed for the sim fixture (default 1)")
    group.addoption("--luasys-lua", choices=["5.3", "5.4", "5.5"], help="Lua version of the simulator (default 5.4)")
    parser.addini("luasys_script", "the Lua script the sim fixture runs, relative to the rootdir", default="main.lua")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{SIM_MARKER}(script=None, **options): the sim fixture's script and SimSession options "
                   "(seed, lua_version, memory_limit_kb, queue_capacity, globals, replay, ...)")


def _in_rootdir(config: pytest.Config, path: str | Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else Path(config.rootpath) / path


def default_script(config: pytest.Config) -> Path:
    """The script the `sim` fixture runs: --luasys-script, else the ini option."""
    return _in_rootdir(config, config.getoption("luasys_script") or config.getini("luasys_script"))


@pytest.fixture
def sim_factory(request: pytest.FixtureRequest) -> Callable[..., SimSession]:
    """Makes started simulator sessions: `sim_factory(script=None, replay=None,
    **options)`; each is closed after the test. Options are SimSession's; the command
    line's --luasys-seed and --luasys-lua are the defaults. `replay`: a recording whose
    messages are posted at their times."""
    sessions: list[SimSession] = request.node.stash.setdefault(SESSIONS, [])
    config = request.config

    def make(script: str | Path | None = None, replay: str | Path | None = None, **options) -> SimSession:
        if config.getoption("luasys_seed") is not None:
            options.setdefault("seed", config.getoption("luasys_seed"))
        if config.getoption("luasys_lua"):
            options.setdefault("lua_version", config.getoption("luasys_lua"))
        path = _in_rootdir(config, script) if script is not None else default_script(config)
        if not path.is_file():
            pytest.fail(f"the sim fixture runs {path}, which is not there: name the script with the luasys_script "
                        "ini option, --luasys-script, @pytest.mark.luasys_sim(script=...) or sim_factory(script)",
                        pytrace=False)
        session = SimSession(path, **options)
        if replay is not None:
            load(_in_rootdir(config, replay)).inject_into(session)
        sessions.append(session)
        return session.start()

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def sim(request: pytest.FixtureRequest, sim_factory: Callable[..., SimSession]) -> SimSession:
    """The project's script running on the simulator in virtual time, started: its top
    level and everything due at 0 ms have run. `@pytest.mark.luasys_sim(script=...,
    seed=..., ...)` chooses the script and the options."""
    marker = request.node.get_closest_marker(SIM_MARKER)
    options = dict(marker.kwargs) if marker else {}
    return sim_factory(options.pop("script", None), **options)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.failed:
        for number, session in enumerate(item.stash.get(SESSIONS, []), start=1):
            title = f"luasys sim {session.script.name}" + (f" #{number}" if number > 1 else "")
            report.sections.append((f"{title}: last {TAIL_LINES} lines (virtual time, s)", session.tail()))
    return report
