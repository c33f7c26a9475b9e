"""The bounded message queue between "C" (the host, an ISR, timers, the console) and Lua.

The limits are the contract's (docs/rtos-contract.md, *Messages*): a name of 1..15
bytes, at most 4 arguments, at most 32 string bytes in all. A post into a full queue
fails at once and is counted; nothing is dropped without a trace.
"""

from __future__ import annotations

import math
import sys
import threading
from collections import deque
from dataclasses import dataclass

NAME_MAX = 15
ARGS_MAX = 4
STRING_BYTES_MAX = 32
DEFAULT_CAPACITY = 256

Value = None | bool | int | float | bytes


class MessageError(ValueError):
    """A message that breaks the contract's limits; the text is the Lua error text."""


class _NoValue:
    """An argument that was not given at all (C: LUA_TNONE), not even nil."""


NO_VALUE = _NoValue()
SHOWN_STRING_MAX = 24  # bytes of a string argument an error shows (the C binding's cut)


def _lua_number(value: float) -> str:
    """A float as Lua's tostring writes it ("%.14g", and ".0" when that looks integral)."""
    if math.isnan(value):
        return "-nan" if math.copysign(1.0, value) < 0 else "nan"
    text = "%.14g" % value
    return text + ".0" if text.lstrip("-").isdigit() else text


def shown(value: object) -> str:
    """A value as the C binding's errors show it in "(got ...)": nil, booleans and
    numbers as tostring writes them, strings quoted and cut at 24 bytes, other values
    by their Lua type."""
    if value is NO_VALUE:
        return "no value"
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        cut = value.split(b"\0", 1)[0]  # C formats it with %s
        more = "..." if len(value) > SHOWN_STRING_MAX else ""
        return '"' + cut[:SHOWN_STRING_MAX].decode("utf-8", "replace") + more + '"'
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _lua_number(value)
    if type(value).__name__ == "_LuaCoroutineFunction":
        return "thread"  # lupa's view of a coroutine that has not started yet
    lupa_module = sys.modules.get(type(value).__module__)  # each Lua version is its own lupa module
    return getattr(lupa_module, "lua_type", lambda _: None)(value) or type(value).__name__


def validate(fname: str, name: str | bytes, args: tuple) -> tuple[bytes, tuple[Value, ...]]:
    """Checks a message against the limits; returns it with strings as bytes."""
    if isinstance(name, str):
        name = name.encode()
    if not isinstance(name, bytes) or not 1 <= len(name) <= NAME_MAX or b"\0" in name:
        raise MessageError(
            f"{fname}: argument #1 'name' must be a string of 1..{NAME_MAX} bytes, no NUL (got {shown(name)})")
    if len(args) > ARGS_MAX:
        raise MessageError(f"{fname}: too many arguments ({len(args)} > {ARGS_MAX})")
    converted: list[Value] = []
    string_bytes = 0
    for position, value in enumerate(args, start=2):
        if isinstance(value, str):
            value = value.encode()
        if isinstance(value, bytes):
            string_bytes += len(value)
        elif value is not None and not isinstance(value, (bool, int, float)):
            raise MessageError(f"{fname}: argument #{position} 'arg' must be nil, boolean, number or string "
                               f"(got {shown(value)})")
        elif isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**63:
            raise MessageError(f"{fname}: argument #{position} does not fit in 64 bits (got {value})")
        converted.append(value)
    if string_bytes > STRING_BYTES_MAX:
        raise MessageError(f"{fname}: string arguments total {string_bytes} bytes (> {STRING_BYTES_MAX})")
    return name, tuple(converted)


@dataclass(frozen=True)
class Message:
    """One queue item: a posted message, or an rtos timer expiry (`timer` set)."""

    name: bytes
    args: tuple[Value, ...] = ()
    timer: tuple[int, int] | None = None  # (timer id, generation) for MSG_TIMER items


class MessageQueue:
    """A bounded FIFO, safe to post into from any thread, with the contract's counters."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"queue capacity must be >= 1 (got {capacity})")
        self.capacity = capacity
        self._items: deque[Message] = deque()
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.high_water = 0
        self.posted = 0
        self.received = 0
        self.dropped = 0

    def put(self, message: Message) -> bool:
        """Adds a message; False (and counted in `dropped`) when the queue is full."""
        with self.lock:
            if len(self._items) >= self.capacity:
                self.dropped += 1
                return False
            self._items.append(message)
            self.posted += 1
            self.high_water = max(self.high_water, len(self._items))
            self.arrived.notify()
            return True

    def get(self) -> Message | None:
        with self.lock:
            if not self._items:
                return None
            self.received += 1
            return self._items.popleft()

    def __len__(self) -> int:
        return len(self._items)

    def stats(self) -> dict[str, int]:
        with self.lock:
            return {"capacity": self.capacity, "depth": len(self._items), "high_water": self.high_water,
                    "posted": self.posted, "received": self.received, "dropped": self.dropped}
