"""Runs LuaSys scripts on the PC: the same Lua runtime as the firmware, over the Python
`rtos` backend, in Lua 5.3, 5.4 or 5.5, in virtual or real time."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import lupa.lua53
import lupa.lua54
import lupa.lua55

import luasys

from .messages import DEFAULT_CAPACITY
from .rtos import DEFAULT_TIMER_MAX, INJECT_AHEAD_MAX_MS, RtosBackend, checked_console_reply
from .trace import ChromeTrace

VERSION = luasys.__version__
HERE = Path(__file__).resolve().parent
# The Lua runtime: components/lua_sys/lua, copied into an installed package as
# host_sim/runtime (setup.py), found in the checkout otherwise.
RUNTIME_DIR = next(path for path in (HERE / "runtime", HERE.parent / "components" / "lua_sys" / "lua")
                   if path.is_dir())
HOST_LUA = HERE / "lua" / "host.lua"
# VM instructions between two checks of a console's stop request.
STOP_CHECK_EVERY = 10000
# The error an interrupted console chunk ends with: the C runtime's stop hook's
# (luat_runtime.c) and console.lua's INTERRUPTED (tests/tools/test_config_sources_agree.py).
INTERRUPTED = "interrupted"
# lupa counts allocations only under a cap; an unreachable one keeps meminfo exact.
_UNCAPPED = 1 << 40
LUA_VERSIONS = {"5.3": lupa.lua53, "5.4": lupa.lua54, "5.5": lupa.lua55}

# Loads the runtime (boot.lua sets the globals `log` and `sys`), tells the host it is
# loaded, lets the host set it up (trace, watchdog) and runs the script; returns true,
# or false and a traceback.
_RUN_SCRIPT = """
local path, setup, loaded = ...
local ok, err = xpcall(require, debug.traceback, "boot")
if not ok then return false, err end
loaded()
setup(sys)
local chunk, load_error = loadfile(path)
if not chunk then return false, load_error end
local ran, run_error = xpcall(chunk, debug.traceback)
return ran, run_error
"""


# The longest watchdog_ms: sys.setWatchdog counts its abort limit, 4 x watchdog_ms, in
# µs up to sys.heap.MAX_MS.
WATCHDOG_MAX_MS = INJECT_AHEAD_MAX_MS // 1000 // 4

# The host's options that sys provides for: a trace hook (a Python callable, wrapped in
# a Lua function as sys.setTrace requires) and the watchdog (abort at 4x the budget);
# with a console, a stop check (_STOP_CHECK).
_SETUP = """
return function(trace, watchdog_ms)
    return function(sys)
        if trace then sys.setTrace(function(...) trace(...) end) end
        if watchdog_ms then sys.setWatchdog(watchdog_ms, 4 * watchdog_ms) end
    end
end
"""

# With a console, stop() must end even a task that never yields, as a board's reset
# would: a count hook on the main thread and on every coroutine (a new coroutine
# inherits only the C side of a hook, so coroutine.create is wrapped before sys, which
# keeps it, is loaded). sys.setWatchdog replaces a task's hook with its own, which
# aborts busy tasks by itself.
_STOP_CHECK = """
local host_request, every, interrupted = ...
local create, sethook, running = coroutine.create, debug.sethook, coroutine.running
local registry = debug.getregistry()
local function check()
    local console_tasks = registry["luasys.console_tasks"]
    -- "stop", "interrupt" (taken only by a console chunk) or nil
    local request = host_request(console_tasks ~= nil and console_tasks[running()] ~= nil)
    if request == "stop" then error("stopped by the host", 2) end
    if request == "interrupt" then error(interrupted, 0) end -- no position, as from the C hook
end
sethook(check, "", every)
registry["luasys.stop_hook"] = function(co) sethook(co, check, "", every) end  -- for sys.setWatchdog(nil)
coroutine.create = function(fn)
    local co = create(fn)
    sethook(co, check, "", every)
    return co
end
"""


def runtime_build_date() -> bytes:
    """rtos.buildDate() of the simulator, whose "firmware" is the runtime's Lua files:
    the day the newest of them was written, in C's __DATE__ form ("Nov  9 2026")."""
    newest = max(path.stat().st_mtime for path in RUNTIME_DIR.rglob("*.lua"))
    day = time.gmtime(newest)
    month = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()[day.tm_mon - 1]
    return f"{month} {day.tm_mday:2d} {day.tm_year}".encode()


class ConsoleLink(Protocol):
    """The console's side of rtos.console_read/console_reply (docs/rtos-contract.md)."""

    def read(self) -> tuple[bytes | None, bytes] | None: ...
    def reply(self, tag: bytes, ok: bool, text: bytes) -> bool: ...


def _no_console_read() -> None:
    return None


def _no_console_reply(_tag: bytes, _ok: bool, _text: bytes) -> bool:
    return False


@dataclass
class RunResult:
    """How a run ended.

    status: "idle" (nothing left to do), "stop" (--until or stop()), "reboot"
    (rtos.reboot()), "returned" (the script ended without the loop ending it), or
    "error" (the script raised; `error` holds the traceback).
    """

    status: str
    time_ms: int
    error: str | None = None
    output: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return {"error": 1, "reboot": 3}.get(self.status, 0)


class MemoryLimitTooSmall(Exception):
    """The Lua heap's cap (memory_limit_kb) leaves no room to load the runtime."""

    def __init__(self, limit_kb: int) -> None:
        super().__init__(f"a Lua heap of {limit_kb} KB is too small to load the runtime")
        self.limit_kb = limit_kb


class Simulator:
    """One simulated device: a Lua state, its `rtos` backend and its console output.

    `output` receives each printed line (default: stdout); `capture=True` also keeps
    them in the RunResult. `globals` are set in Lua before the script runs.
    """

    def __init__(self, *, lua_version: str = "5.4", virtual_time: bool = True, seed: int = 1,
                 memory_limit_kb: int | None = None, queue_capacity: int = DEFAULT_CAPACITY,
                 timer_max: int = DEFAULT_TIMER_MAX, until_s: float | None = None,
                 clock_start_ms: int = 0,
                 timestamps: bool = False, output: Callable[[str], None] | None = None,
                 capture: bool = False, globals: dict[str, object] | None = None,
                 console: ConsoleLink | None = None, exit_when_idle: bool | None = None,
                 trace: bool = False, watchdog_ms: int | None = None) -> None:
        if lua_version not in LUA_VERSIONS:
            raise ValueError(f"lua_version must be one of {', '.join(LUA_VERSIONS)} (got {lua_version!r})")
        self.memory_limit = memory_limit_kb * 1024 if memory_limit_kb else 0
        self._lupa = LUA_VERSIONS[lua_version]
        self.lua = self._lupa.LuaRuntime(
            encoding=None, unpack_returned_tuples=True, register_eval=False,
            max_memory=self.memory_limit or _UNCAPPED)
        self.backend = RtosBackend(
            virtual_time=virtual_time, queue_capacity=queue_capacity, timer_max=timer_max,
            until_ms=None if until_s is None else round(until_s * 1000), clock_start_ms=clock_start_ms,
            memory=lambda: (self.memory_limit, self.lua.get_memory_used()),
            build_date=runtime_build_date())
        self.timestamps = timestamps
        self._output = output or self._to_stdout
        self.captured: list[str] | None = [] if capture else None
        self._seed = seed
        self._globals = globals or {}
        self._console = console
        # With trace=True, sys.setTrace events collect here; trace.write(path) saves them.
        self.trace = ChromeTrace(self.now_ms) if trace else None
        self._watchdog_ms = watchdog_ms
        self.stopping = False
        self.interrupting = False
        # rtos.receive(INF_TIMEOUT) ends the run as "idle" when nothing is pending; by
        # default not with a console, which may post at any time (`run ... idle` asks).
        if not (console is None if exit_when_idle is None else exit_when_idle):
            self.backend.attach_source()

    # -- the host's side of the device --------------------------------------------------

    def post(self, name: str | bytes, *args) -> bool:
        """Posts a message now (thread-safe), as an ISR would; False if the queue is full."""
        return self.backend.post(name, *args)

    def inject(self, at_ms: int, name: str | bytes, *args) -> None:
        """Posts a message when the (virtual) clock reaches `at_ms`."""
        self.backend.inject(at_ms, name, *args)

    def stop(self) -> None:
        """Ends the run at the loop's next turn (thread-safe); with a console, also a
        task that never yields."""
        self.stopping = True
        self.backend.stop()

    def interrupt(self) -> None:
        """The console's Ctrl-C (thread-safe): the console chunk running, if any, gets
        the error "interrupted" (as from the C runtime's stop hook); the next console
        request forgets an interrupt that found none."""
        self.interrupting = True

    def _host_request(self, in_console_chunk: bool) -> bytes | None:
        if self.stopping:
            return b"stop"
        if self.interrupting and in_console_chunk:
            self.interrupting = False
            return b"interrupt"
        return None

    def tasks_live(self) -> int:
        """Tasks that have not ended (after a run: those it left behind)."""
        return self.lua.eval("package.loaded.sys and package.loaded.sys.stats().tasks_live or 0")

    def now_ms(self) -> int:
        """Milliseconds since the run started (rtos.millis() is this plus clock_start_ms,
        modulo 2^31)."""
        return self.backend.clock.now()

    # -- running ------------------------------------------------------------------------

    def run_file(self, path: str | Path) -> RunResult:
        """Runs the script at `path` on the runtime; raises MemoryLimitTooSmall when the
        runtime does not fit in the memory limit."""
        script = Path(path).resolve()
        loaded = []
        try:
            run_script, setup = self._load_host(script)
            ok, err = run_script(str(script).encode(), setup, lambda: loaded.append(True))
        except self._lupa.LuaMemoryError:
            if not loaded:
                raise MemoryLimitTooSmall(self.memory_limit // 1024) from None
            ok, err = False, b"not enough memory: the memory limit was reached outside any task"
        if not ok and not loaded and self.memory_limit and b"not enough memory" in err:
            raise MemoryLimitTooSmall(self.memory_limit // 1024)
        if not ok:
            text = err.decode("utf-8", "replace") if isinstance(err, bytes) else str(err)
            return self._result("error", text)
        return self._result(self.backend.end_reason or "returned")

    def _load_host(self, script: Path):
        """Installs `rtos` and the host's globals; returns the run function (_RUN_SCRIPT)
        and the runtime's setup."""
        g = self.lua.globals()
        g.python = None
        here, runtime = script.parent, RUNTIME_DIR
        # The runtime's modules come first, as on the device, where they are embedded in
        # the firmware and found before the filesystem: a script cannot shadow `sys`.
        runtime_path = f"{runtime}/?.lua;{runtime}/?/init.lua;".encode()
        g.package.path = runtime_path + f"{here}/?.lua;{here}/?/init.lua".encode()
        self.backend.fixed_search_path = runtime_path
        g.package.cpath = b""
        constants = self.lua.table_from(
            {k.encode(): v for k, v in RtosBackend.constants(self.backend.queue.capacity,
                                                             self.backend.timer_max).items()})
        install_host = self.lua.eval("function(source, ...) return assert(load(source, '@host.lua'))(...) end")
        install_host(HOST_LUA.read_bytes(), self.backend, constants, f"LuaSys-{VERSION}".encode(),
                     self.backend.clock.virtual, self._write,
                     self._console.read if self._console else _no_console_read,
                     checked_console_reply(self._console.reply if self._console else _no_console_reply))
        g.math.randomseed(self._seed)
        for name, value in self._globals.items():
            g[name.encode()] = value.encode() if isinstance(value, str) else value
        run_script = self.lua.eval("function(...) " + _RUN_SCRIPT + " end")
        setup = self.lua.execute(_SETUP)(self.trace.event if self.trace else None, self._watchdog_ms)
        if self._console:
            self.lua.execute(_STOP_CHECK, self._host_request, STOP_CHECK_EVERY, INTERRUPTED.encode())
        return run_script, setup

    def _result(self, status: str, error: str | None = None) -> RunResult:
        return RunResult(status, self.backend.clock.now(), error, self.captured or [])

    def _write(self, line: bytes) -> None:
        text = line.decode("utf-8", "replace")
        if self.timestamps:
            stamp = f"[{self.backend.clock.now() / 1000:8.3f}] "
            text = "\n".join(stamp + part for part in text.split("\n"))
        if self.captured is not None:
            self.captured.append(text)
        self._output(text)

    @staticmethod
    def _to_stdout(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
