"""A simulated device that a test steps through virtual time: load a script, advance
the clock, post messages as an ISR would, look at the output and the runtime, step
again (docs/testing.md).

The script runs in the Simulator's one loop (`run_file`, `sys.run`, `rtos.receive`),
on a thread of its own. The test and that thread take turns, never running at the
same time: the loop runs until nothing more can happen before the horizon the test
set, then hands control back from inside `rtos.receive`. So a session is as
deterministic as a whole run: the same script, seed and steps give the same output.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .simulator import RunResult, Simulator

# How long (real time) the test waits for the loop to hand control back: only a task
# that never yields takes this long.
HANG_TIMEOUT_S = 60.0
TAIL_LINES = 20

# Runs Lua source between two turns of the loop: an expression's values, or a statement.
_EVAL = """
return function(source)
    local chunk = load("return " .. source, "=eval", "t")
    if not chunk then chunk = assert(load(source, "=eval", "t")) end
    return chunk()
end
"""


@dataclass(frozen=True)
class Line:
    """One line the device printed, and the virtual time (ms since start) it did."""

    t_ms: int
    text: str

    def __str__(self) -> str:
        return f"[{self.t_ms / 1000:9.3f}] {self.text}"


class SessionEnded(RuntimeError):
    """The script is no longer running (it returned, raised, or called rtos.reboot)."""


class Timeout(AssertionError):
    """run_until's condition did not hold within its virtual-time budget."""


Condition = str | re.Pattern | Callable[["SimSession"], object]


class SimSession:
    """One simulated device running `script` in virtual time, stepped by the caller.

    Options are the Simulator's (lua_version, seed, memory_limit_kb, queue_capacity,
    timer_max, clock_start_ms, globals, watchdog_ms, trace). The script starts with
    `start()`: its top level runs and so does everything due at time 0.
    """

    def __init__(self, script: str | Path, **options) -> None:
        self.script = Path(script)
        if not self.script.is_file():
            raise FileNotFoundError(f"no Lua script {self.script}")
        self.output: list[Line] = []
        self._cursor = 0  # output lines before this were matched by run_until already
        self._sim = Simulator(virtual_time=True, output=self._print, **options)
        self._sim.backend.gate = self
        self.horizon = 0
        self.watch_turns = False
        self._turn = threading.Condition()
        self._lua_running = False
        self._job: Callable[[], object] | None = None
        self._job_result: tuple[bool, object] = (True, None)
        self._paused_for = ""
        self._thread: threading.Thread | None = None
        self.result: RunResult | None = None  # set when the script has ended
        self._eval: Callable | None = None

    # -- the rtos backend's gate (the Lua thread) -------------------------------------------

    def pause(self, reason: str) -> None:
        """Hands control to the test; runs what it asks on this thread; returns when it
        lets the loop go on."""
        with self._turn:
            self._paused_for = reason
            while True:
                self._lua_running = False
                self._turn.notify_all()
                self._turn.wait_for(lambda: self._lua_running)
                if self._job is None:
                    return
                job, self._job = self._job, None
                try:
                    self._job_result = (True, job())
                except BaseException as error:  # handed to the test's thread, raised there
                    self._job_result = (False, error)

    def _print(self, text: str) -> None:
        self.output.append(Line(self._sim.now_ms(), text))

    def _run(self) -> None:
        try:
            self.result = self._sim.run_file(self.script)
        except BaseException as error:
            self.result = RunResult("error", self._sim.now_ms(), f"{type(error).__name__}: {error}")
        finally:
            with self._turn:
                self._lua_running = False
                self._turn.notify_all()

    # -- the test's side -----------------------------------------------------------------

    def start(self) -> SimSession:
        """Runs the script's top level and everything due at time 0."""
        if self._thread is not None:
            raise RuntimeError("the session has started already")
        self._lua_running = True
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"lua:{self.script.name}")
        self._thread.start()
        self._wait_for_pause()
        return self

    @property
    def now_ms(self) -> int:
        """Virtual milliseconds since the start."""
        return self._sim.now_ms()

    @property
    def running(self) -> bool:
        return self._thread is not None and self.result is None

    def advance(self, ms: int) -> None:
        """Lets `ms` milliseconds of virtual time pass: everything due until then runs
        (what is due exactly at the end too)."""
        if not isinstance(ms, int) or ms < 0:
            raise ValueError(f"advance: ms must be an integer >= 0 (got {ms!r})")
        self._require_running("advance")
        self.watch_turns = False
        self.horizon = self.now_ms + ms
        self._resume()

    def run_until(self, condition: Condition, timeout_ms: int) -> object:
        """Runs until `condition` holds, at most `timeout_ms` ms of virtual time; raises
        Timeout (an AssertionError showing the last lines) if it does not.

        `condition` is a text (a line containing it), a compiled regex (a line matching
        it) or a callable taking this session (true when it returns a true value). A
        line is matched once: the search starts after the previous match. Returns the
        Line (text, regex) or the callable's value. It is checked after every turn of
        the loop, so the clock stops at the first moment it holds."""
        if not isinstance(timeout_ms, int) or timeout_ms < 0:
            raise ValueError(f"run_until: timeout_ms must be an integer >= 0 (got {timeout_ms!r})")
        check = self._checker(condition)
        self._require_running("run_until")
        deadline = self.now_ms + timeout_ms
        self.horizon = deadline
        self.watch_turns = True
        self._paused_for = ""  # the loop has not run towards this deadline yet
        try:
            while True:
                found = check()
                if found:
                    return found
                if self.result is not None:
                    raise SessionEnded(f"the script ended ({self.result.status}) before "
                                       f"{_described(condition)} held\n{self._ending()}")
                if self._paused_for == "horizon" and self.now_ms >= deadline:
                    raise Timeout(f"{_described(condition)} did not hold within {timeout_ms} ms "
                                  f"(virtual time now {self.now_ms} ms)\n{self.tail()}")
                self._resume()
        finally:
            self.watch_turns = False

    def post(self, topic: str | bytes, *args) -> bool:
        """Posts a message into the device's queue, as an ISR would: False (and counted
        in the queue's `dropped`) when it is full. The loop takes it at the next step
        (advance(0) runs it now)."""
        return self._sim.post(topic, *args)

    def inject(self, at_ms: int, topic: str | bytes, *args) -> None:
        """Posts a message when the virtual clock reaches `at_ms`."""
        self._sim.inject(at_ms, topic, *args)

    def eval(self, source: str):
        """Runs Lua between two turns of the loop (not as a task: it cannot wait);
        returns an expression's value(s), tables as dicts, strings as str."""
        def run():
            if self._eval is None:
                self._eval = self._sim.lua.execute(_EVAL)
            return to_python(self._sim._lupa, self._eval(source.encode()))
        return self._on_lua_thread(run)

    def stats(self) -> dict:
        """sys.stats(), queue counters included."""
        return self.eval("sys.stats()")

    def lines(self) -> list[str]:
        """The text of every line printed so far."""
        return [line.text for line in self.output]

    def tail(self, n: int = TAIL_LINES) -> str:
        """The last `n` lines with their virtual timestamps, for a failure report."""
        shown = self.output[-n:]
        head = f"... {len(self.output) - len(shown)} earlier lines\n" if len(self.output) > len(shown) else ""
        return head + ("\n".join(map(str, shown)) if shown else "(no output)")

    def close(self) -> RunResult | None:
        """Stops the loop (sys.run returns "stop") and lets the script end."""
        if self.running:
            self._sim.stop()
            self.watch_turns = False
            self._resume()
        if self._thread is not None:
            self._thread.join(HANG_TIMEOUT_S)
        return self.result

    def __enter__(self) -> SimSession:
        return self if self._thread is not None else self.start()

    def __exit__(self, *_exc) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------

    def _require_running(self, what: str) -> None:
        if self._thread is None:
            raise SessionEnded(f"{what}: the session has not started (call start())")
        if self.result is not None:
            raise SessionEnded(f"{what}: the script ended ({self.result.status})\n{self._ending()}")

    def _ending(self) -> str:
        error = f"\n{self.result.error}" if self.result and self.result.error else ""
        return self.tail() + error

    def _resume(self) -> None:
        with self._turn:
            self._lua_running = True
            self._turn.notify_all()
        self._wait_for_pause()

    def _wait_for_pause(self) -> None:
        with self._turn:
            if not self._turn.wait_for(lambda: not self._lua_running, HANG_TIMEOUT_S):
                raise RuntimeError(f"the Lua loop has not handed control back for {HANG_TIMEOUT_S:.0f} s "
                                   f"(a task that never yields?)\n{self.tail()}")

    def _on_lua_thread(self, job: Callable[[], object]) -> object:
        """Runs `job` (which calls into Lua) on the thread that owns the Lua state, while
        the loop is paused; directly when the script is not running."""
        if not self.running:
            return job()
        self._job = job
        self._resume()
        ok, value = self._job_result
        self._job_result = (True, None)
        if not ok:
            raise value
        return value

    def _checker(self, condition: Condition) -> Callable[[], object]:
        if callable(condition):
            return lambda: condition(self)
        if isinstance(condition, str):
            matches = lambda text: condition in text  # noqa: E731
        elif isinstance(condition, re.Pattern):
            matches = condition.search
        else:
            raise TypeError(f"run_until: condition must be a str, a compiled regex or a callable "
                            f"(got {type(condition).__name__})")

        def scan() -> Line | None:
            for index in range(self._cursor, len(self.output)):
                if matches(self.output[index].text):
                    self._cursor = index + 1
                    return self.output[index]
            return None
        return scan


def _described(condition: Condition) -> str:
    if isinstance(condition, str):
        return f"a line containing {condition!r}"
    if isinstance(condition, re.Pattern):
        return f"a line matching {condition.pattern!r}"
    return f"{getattr(condition, '__name__', 'the condition')}()"


def to_python(lua_module, value):
    """A value from Lua (encoding=None) as Python: strings as str, tables as dicts,
    several values as a tuple. Call it on the Lua thread: reading a table is a Lua call."""
    if isinstance(value, tuple):
        return tuple(to_python(lua_module, v) for v in value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if lua_module.lua_type(value) == "table":
        return {to_python(lua_module, k): to_python(lua_module, v) for k, v in value.items()}
    return value
