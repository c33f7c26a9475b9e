"""A run as a timeline: sys.setTrace events in the Chrome trace event format, which
Perfetto (ui.perfetto.dev) and chrome://tracing open.

Each task gets a lane (a "thread") named after it; timer callbacks share a lane, and
message dispatches are instant events in a lane of their own. Times come from the
simulator's clock: in virtual time every event of one virtual millisecond would sit at
the same instant, so events within a millisecond are laid end to end, each as long as
it really ran (measured with rtos.micros()).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

_TIMER_LANE = "timers"
_MESSAGE_LANE = "messages"


class ChromeTrace:
    """Collects events from sys.setTrace; `write` saves them as a trace file."""

    def __init__(self, clock_ms: Callable[[], int]) -> None:
        self._clock_ms = clock_ms
        self._events: list[dict] = []
        self._lanes: dict[str, int] = {}
        self._cursor_us = 0  # where the next event may start

    def _lane(self, name: str) -> int:
        if name not in self._lanes:
            self._lanes[name] = len(self._lanes) + 1
        return self._lanes[name]

    def event(self, kind: bytes, name: bytes, _start_us: int, duration_us: int) -> None:
        """The sys.setTrace callback: kind "run", "timer" or "message"."""
        kind_text, name_text = kind.decode(), name.decode("utf-8", "replace")
        ts = max(self._clock_ms() * 1000, self._cursor_us)
        if kind_text == "message":
            self._events.append({"name": name_text, "ph": "i", "s": "t", "ts": ts, "pid": 1,
                                 "tid": self._lane(_MESSAGE_LANE), "cat": "message"})
            return
        duration = max(int(duration_us), 1)
        lane = self._lane(name_text if kind_text == "run" else _TIMER_LANE)
        self._events.append({"name": name_text, "ph": "X", "ts": ts, "dur": duration, "pid": 1,
                             "tid": lane, "cat": kind_text})
        self._cursor_us = ts + duration

    def write(self, path: str | Path) -> None:
        names = [{"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": lane}}
                 for lane, tid in self._lanes.items()]
        process = {"name": "process_name", "ph": "M", "pid": 1, "args": {"name": "LuaSys"}}
        Path(path).write_text(json.dumps({"traceEvents": [process, *names, *self._events],
                                          "displayTimeUnit": "ms"}))
