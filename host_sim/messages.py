"""The bounded message queue between "C" (the host, an ISR, timers, the console) and Lua.

The limits are the contract's (docs/rtos-contract.md, *Messages*): a name of 1..15
bytes, at most 4 arguments, at most 32 string bytes in all. A post into a full queue
fails at once and is counted; nothing is dropped without a trace.
"""

from __future__ import annotations

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


def shown(value: object) -> str:
    """A value as Lua error messages show it (a C binding's luaL_typename style)."""
    if isinstance(value, bytes):
        return '"' + value.decode("utf-8", "replace") + '"'
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return type(value).__name__


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
            raise MessageError(f"{fname}: argument #{position} must be nil, a boolean, a number or "
                               f"a string (got {shown(value)})")
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
