"""The `rtos` contract (docs/rtos-contract.md) implemented in Python for the simulator.

`RtosBackend` owns the clock, the message queue, the `rtos` timers and the messages
the host scheduled for later (`inject`). Lua reaches it through the thin shim in
`lua/host.lua`. Only the Lua thread calls `receive`; any thread may `post` or
`stop`, as an ISR or the console would on a device.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

from .messages import (ARGS_MAX, DEFAULT_CAPACITY, NAME_MAX, NO_VALUE, STRING_BYTES_MAX, Message,
                       MessageError, MessageQueue, shown, validate)

MSG_TIMER = 1
INF_TIMEOUT = -1
# rtos.millis() and rtos.micros() count modulo 2^31, as on the device, whose Lua has
# 32-bit integers.
CLOCK_MASK = 0x7FFFFFFF
DEFAULT_TIMER_MAX = 64
TIMER_ID_MAX = 2**31 - 1
INJECT_AHEAD_MAX_MS = 2**29  # sys's longest duration (sys.heap.MAX_MS): deadlines compare modulo 2^31
# The PC builds (simulator, native, ESP-IDF linux target) call themselves "PC", as
# LuatOS's PC simulator does.
BSP = b"PC"
MEMINFO_KINDS = (b"lua", b"sys", b"psram")
PATH_NEED = "must be a path template with exactly one %s and no ';' or '?'"
STANDY_ERROR = ("rtos.standy: not supported: LuaSys does not put the chip to sleep from Lua "
                "(LuatOS deprecates rtos.standy too); use ESP-IDF's sleep functions from C")


class RtosError(ValueError):
    """Bad use of an rtos function; the text is the Lua error text."""


def checked_console_reply(reply: Callable[[bytes, bool, bytes], bool]) -> Callable[..., bool]:
    """rtos.console_reply(tag, ok, text) over the console's `reply`: the strings checked
    as the C binding checks them, `ok` taken as Lua takes a condition."""
    def console_reply(tag: object = NO_VALUE, ok: object = None, text: object = NO_VALUE, *_ignored: object) -> bool:
        for index, name, value in ((1, "tag", tag), (3, "text", text)):
            if not isinstance(value, bytes):
                raise RtosError(f"rtos.console_reply: argument #{index} '{name}' must be a string (got {shown(value)})")
        return reply(tag, ok is not None and ok is not False, text)
    return console_reply


def _integer(fname: str, position: int, name: str, value: object, low: int, high: int,
             requirement: str) -> int:
    """An integer argument (an integral float is accepted, as luaL_checkinteger does)."""
    number = int(value) if isinstance(value, float) and value.is_integer() else value
    if not isinstance(number, int) or isinstance(number, bool) or not low <= number <= high:
        raise RtosError(f"{fname}: argument #{position} '{name}' must be {requirement} (got {shown(value)})")
    return number


def _host_memory() -> tuple[int, int]:
    """The host's (total, available) memory in bytes, as the native build reads it."""
    page = os.sysconf("SC_PAGESIZE")
    return os.sysconf("SC_PHYS_PAGES") * page, os.sysconf("SC_AVPHYS_PAGES") * page


def _template_entry(template: object) -> str | None:
    """LuatOS's search-path template ("/sd/%s.lua", "%%" a literal %) as a package.path
    entry ("/sd/?.lua;"), or None if it is not a valid template."""
    if not isinstance(template, bytes):
        return None
    text = template.decode("latin-1")
    entry, holes, i = [], 0, 0
    while i < len(text):
        c = text[i]
        if c in ";?\0":
            return None
        if c == "%":
            i += 1
            c = text[i] if i < len(text) else ""
            if c == "s":
                holes, c = holes + 1, "?"
            elif c != "%":
                return None
        entry.append(c)
        i += 1
    return "".join(entry) + ";" if holes == 1 else None


class Clock:
    """Milliseconds since start (never wrapping; rtos.millis() wraps it). Virtual time
    moves only when `advance_to` is called."""

    def __init__(self, virtual: bool) -> None:
        self.virtual = virtual
        self._virtual_now = 0
        self._start = time.monotonic()

    def now(self) -> int:
        if self.virtual:
            return self._virtual_now
        return int((time.monotonic() - self._start) * 1000)

    def advance_to(self, t: int) -> None:
        if t > self._virtual_now:
            self._virtual_now = t


class StepGate(Protocol):
    """A host that steps a virtual-time run (host_sim/session.py): the loop may run up
    to `horizon` ms; at that point, or at every turn while `watch_turns` is set, it
    hands control to the host with `pause` and goes on when `pause` returns."""

    horizon: int
    watch_turns: bool

    def pause(self, reason: str) -> None: ...


@dataclass
class _Timer:
    period: int
    remaining: int  # firings left; -1 forever
    generation: int
    due: int


class RtosBackend:
    """State behind one simulated runtime's `rtos` table."""

    def __init__(self, *, virtual_time: bool = True, queue_capacity: int = DEFAULT_CAPACITY,
                 timer_max: int = DEFAULT_TIMER_MAX, until_ms: int | None = None,
                 clock_start_ms: int = 0,
                 memory: Callable[[], tuple[int, int]] | None = None,
                 build_date: bytes = b"", fixed_search_path: bytes = b"") -> None:
        if not 0 <= clock_start_ms <= CLOCK_MASK:
            raise ValueError(f"clock_start_ms must be 0..{CLOCK_MASK} (got {clock_start_ms})")
        self.clock = Clock(virtual_time)
        self.clock_start_ms = clock_start_ms
        self.queue = MessageQueue(queue_capacity)
        self.timer_max = timer_max
        self.until_ms = until_ms
        self._memory = memory or (lambda: (0, 0))
        self.memory_peak = 0
        self.sys_memory_peak = 0
        self.build_date_text = build_date
        # Where setPaths' entries go: after the runtime's own entries, which the device
        # finds first through its embedded searcher.
        self.fixed_search_path = fixed_search_path
        self._search_base: bytes | None = None
        self._order = itertools.count()
        self._injections: list[tuple[int, int, Message]] = []
        self._timers: dict[int, _Timer] = {}
        self._timer_due: list[tuple[int, int, int, int]] = []  # (due, order, id, generation)
        self._live_generation: dict[int, int] = {}  # id -> generation whose expiries count
        self._generations = itertools.count(1)
        self._sources = 0
        self._stop_requested = False
        self.reboot_requested = False
        self.end_reason: str | None = None
        self.gate: StepGate | None = None  # set before the run, in virtual time only

    # -- host side (any thread) -------------------------------------------------------

    def post(self, name: str | bytes, *args) -> bool:
        """Posts a message now, as C code or an ISR would. False if the queue is full."""
        name, args = validate("post", name, args)
        return self.queue.put(Message(name, args))

    def inject(self, at_ms: int, name: str | bytes, *args) -> None:
        """Schedules a post at (virtual) time `at_ms`: an integer from 0 (a time already
        past posts at once) to the clock now plus INJECT_AHEAD_MAX_MS; call before or
        during the run."""
        latest = self.clock.now() + INJECT_AHEAD_MAX_MS
        if not isinstance(at_ms, int) or isinstance(at_ms, bool) or not 0 <= at_ms <= latest:
            raise ValueError(f"inject: at_ms must be an integer 0..{latest} (the clock now plus at most "
                             f"2^29 ms, the longest duration LuaSys takes) (got {at_ms!r})")
        name, args = validate("inject", name, args)
        heapq.heappush(self._injections, (at_ms, next(self._order), Message(name, args)))

    def attach_source(self) -> None:
        """Something outside (a console) may post at any time: never report idle."""
        with self.queue.lock:
            self._sources += 1

    def detach_source(self) -> None:
        with self.queue.lock:
            self._sources -= 1
            self.queue.arrived.notify()

    def stop(self) -> None:
        """Makes the next `receive` return "stop" (thread-safe)."""
        with self.queue.lock:
            self._stop_requested = True
            self.queue.arrived.notify()

    # -- rtos functions (the Lua thread) ---------------------------------------------

    def millis(self, *_ignored: object) -> int:
        return self._lua_time(self.clock.now())

    @staticmethod
    def micros(*_ignored: object) -> int:
        return (time.monotonic_ns() // 1000) & CLOCK_MASK

    def receive(self, *given: object) -> tuple:
        """rtos.receive; returns (now, values...) for the shim, which keeps `now`."""
        timeout = _integer("rtos.receive", 1, "timeout", given[0] if given else NO_VALUE, INF_TIMEOUT,
                           TIMER_ID_MAX, "an integer >= 0 or rtos.INF_TIMEOUT")
        self._sample_memory()
        gate = self.gate
        if gate is not None and gate.watch_turns:
            gate.pause("turn")
        deadline = None if timeout == INF_TIMEOUT else self.clock.now() + timeout
        while True:
            now = self.clock.now()
            self._release_due(now)
            message = self._next_message()
            if message is not None:
                return (self._lua_time(now), *message)
            if self._stop_requested or self.reboot_requested:
                return self._end("reboot" if self.reboot_requested else "stop")
            # What is due exactly at `until` still runs; the run stops before anything later.
            if self.until_ms is not None and now >= self.until_ms and (deadline is None or deadline > now):
                return self._end("stop")
            if deadline is not None and now >= deadline:
                return (self._lua_time(now),)
            wake = min((t for t in (deadline, self._next_event_time(), self.until_ms) if t is not None),
                       default=None)
            if gate is not None and (wake is None or wake > gate.horizon):
                # Nothing more can happen before the horizon: time passes up to it, and
                # the host takes over (it may post, look, and move the horizon on).
                self.clock.advance_to(gate.horizon)
                gate.pause("horizon")
                continue
            if deadline is None and self._next_event_time() is None and self._sources == 0:
                return self._end("idle")  # nothing can happen any more, whether or not --until was given
            if self.clock.virtual and wake is not None:
                self.clock.advance_to(wake)
                continue
            with self.queue.lock:
                if len(self.queue) == 0 and not self._stop_requested:
                    self.queue.arrived.wait(None if wake is None else max(0.0, (wake - now) / 1000))

    def timer_start(self, timer_id: object = NO_VALUE, ms: object = NO_VALUE, repeat: object = None,
                    *_ignored: object) -> int:
        """1 when the timer runs, 0 when it cannot (ms outside 1..2^31-1, no free slot),
        as in LuatOS; arguments of the wrong type raise."""
        fname = "rtos.timer_start"
        timer_id = _integer(fname, 1, "id", timer_id, 1, TIMER_ID_MAX, f"an integer 1..{TIMER_ID_MAX}")
        ms = _integer(fname, 2, "ms", ms, -math.inf, math.inf, "an integer")
        repeat = 0 if repeat is None else _integer(fname, 3, "repeat", repeat, -1, 2**31 - 1,
                                                   "an integer >= -1")
        if not 1 <= ms <= 2**31 - 1:
            return 0
        if timer_id not in self._timers and len(self._timers) >= self.timer_max:
            return 0
        generation = next(self._generations)
        due = self.clock.now() + ms
        self._timers[timer_id] = _Timer(ms, 1 if repeat == 0 else repeat, generation, due)
        self._live_generation[timer_id] = generation
        heapq.heappush(self._timer_due, (due, next(self._order), timer_id, generation))
        return 1

    def timer_stop(self, timer_id: object = NO_VALUE, *_ignored: object) -> bool:
        timer_id = _integer("rtos.timer_stop", 1, "id", timer_id, 1, TIMER_ID_MAX,
                            f"an integer 1..{TIMER_ID_MAX}")
        self._live_generation.pop(timer_id, None)
        return self._timers.pop(timer_id, None) is not None

    def rtos_post(self, name: object = NO_VALUE, *args) -> tuple:
        try:
            name, args = validate("rtos.post", name, args)
        except MessageError as error:
            raise RtosError(str(error)) from None
        if self.queue.put(Message(name, args)):
            return (True,)
        return (False, b"queue full")

    def queue_stats_tuple(self, *_ignored: object) -> tuple[int, ...]:
        s = self.queue.stats()
        return (s["capacity"], s["depth"], s["high_water"], s["posted"], s["received"], s["dropped"])

    def meminfo(self, kind: object = b"lua", *_ignored: object) -> tuple[int, int, int]:
        if kind is None:
            kind = b"lua"
        if kind not in MEMINFO_KINDS:
            raise RtosError(f'rtos.meminfo: argument #1 \'kind\' must be "lua", "sys" or "psram" (got {shown(kind)})')
        if kind == b"psram":
            return 0, 0, 0
        host_total, available = _host_memory()
        if kind == b"sys":
            used = max(0, host_total - available)
            self.sys_memory_peak = max(self.sys_memory_peak, used)
            return host_total, used, self.sys_memory_peak
        cap, used = self._memory()
        self.memory_peak = max(self.memory_peak, used)
        # Uncapped, the Lua heap may grow by whatever the host has free.
        return cap or used + available, used, self.memory_peak

    @staticmethod
    def bsp(*_ignored: object) -> bytes:
        return BSP

    def build_date(self, *_ignored: object) -> bytes:
        return self.build_date_text

    @staticmethod
    def auto_collect_mem(period: object = None, warning: object = None, force: object = None) -> None:
        """LuatOS's idle-time collection thresholds, checked and accepted; Lua collects
        by itself (docs/rtos-contract.md)."""
        fname = "rtos.autoCollectMem"
        if period is not None:
            _integer(fname, 1, "period", period, 0, 60000, "an integer 0..60000")
        warning = 80 if warning is None else _integer(fname, 2, "warning_level", warning, 50, 95,
                                                      "an integer 50..95")
        force = 90 if force is None else _integer(fname, 3, "force_level", force, 50, 95, "an integer 50..95")
        if force <= warning:
            raise RtosError(f"{fname}: argument #3 'force_level' must be above warning_level (got {shown(force)})")

    def set_paths(self, current: bytes, *templates: object) -> bytes:
        """rtos.setPaths: returns the new package.path (the templates, nil ones skipped,
        before the search path in effect at the first call; the runtime stays first)."""
        if self._search_base is None:
            self._search_base = current
        entries = []
        for position, template in enumerate(templates, 1):
            if template is None:
                continue
            entry = _template_entry(template)
            if entry is None:
                raise RtosError(f"rtos.setPaths: argument #{position} 'path' {PATH_NEED} (got {shown(template)})")
            entries.append(entry)
        fixed, base = self.fixed_search_path, self._search_base
        rest = base[len(fixed):] if base.startswith(fixed) else base
        return (fixed.decode("latin-1") + "".join(entries)).encode("latin-1") + rest

    @staticmethod
    def standy(*_args: object) -> None:
        raise RtosError(STANDY_ERROR)

    def reboot(self, *_ignored: object) -> None:
        self.reboot_requested = True

    @staticmethod
    def constants(queue_capacity: int, timer_max: int) -> dict[str, int]:
        return {"MSG_TIMER": MSG_TIMER, "INF_TIMEOUT": INF_TIMEOUT, "TIMER_MAX": timer_max,
                "QUEUE_CAPACITY": queue_capacity, "NAME_MAX": NAME_MAX, "ARGS_MAX": ARGS_MAX,
                "STRING_BYTES_MAX": STRING_BYTES_MAX}

    # -- internals ---------------------------------------------------------------------

    def _lua_time(self, elapsed_ms: int) -> int:
        return (self.clock_start_ms + elapsed_ms) & CLOCK_MASK

    def _end(self, reason: str) -> tuple:
        self.end_reason = reason
        return (self.millis(), None, reason.encode() if reason != "reboot" else b"stop")

    def _sample_memory(self) -> None:
        self.memory_peak = max(self.memory_peak, self._memory()[1])

    def _next_event_time(self) -> int | None:
        times = []
        if self._injections:
            times.append(self._injections[0][0])
        if self._timer_due:
            times.append(self._timer_due[0][0])
        return min(times) if times else None

    def _release_due(self, now: int) -> None:
        """Moves injections and timer expiries due by `now` into the queue, in time order."""
        while True:
            inject_at = self._injections[0][0] if self._injections else math.inf
            timer_at = self._timer_due[0][0] if self._timer_due else math.inf
            if min(inject_at, timer_at) > now:
                return
            if inject_at <= timer_at:
                _, _, message = heapq.heappop(self._injections)
                self.queue.put(message)
            else:
                self._fire_timer(*heapq.heappop(self._timer_due))

    def _fire_timer(self, due: int, _order: int, timer_id: int, generation: int) -> None:
        timer = self._timers.get(timer_id)
        if timer is None or timer.generation != generation:
            return  # stopped or restarted after this expiry was scheduled
        if timer.remaining > 0:
            timer.remaining -= 1
        remaining = timer.remaining
        if remaining == 0:
            del self._timers[timer_id]
        else:
            timer.due = due + timer.period
            heapq.heappush(self._timer_due, (timer.due, next(self._order), timer_id, generation))
        self.queue.put(Message(b"", (timer_id, remaining), timer=(timer_id, generation)))

    def _next_message(self) -> tuple | None:
        while True:
            message = self.queue.get()
            if message is None:
                return None
            if message.timer is None:
                return (message.name, *message.args)
            timer_id, generation = message.timer
            if self._live_generation.get(timer_id) == generation:
                return (MSG_TIMER, *message.args)
