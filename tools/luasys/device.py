"""A device under test, whatever it is (a board, ESP-IDF's linux target, the native
build, the simulator's console): push files, start a script, expect lines, evaluate
Lua, all over the console protocol's client (docs/testing.md#the-device-fixture)."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

import pexpect

from .console_client import ConsoleClient
from .transport import Transport

EXPECT_TIMEOUT_S = 10.0
TAIL_LINES = 20


class DutTransport:
    """A pytest-embedded `dut` as a console transport: a board (esp, idf services) or
    ESP-IDF's linux target. pytest-embedded owns the port; bytes come from its log
    stream, so they are in its logs too."""

    def __init__(self, dut) -> None:
        self._dut = dut

    def read(self, timeout_s: float) -> bytes:
        process = self._dut.pexpect_proc
        if process.buffer:  # read by an expect of pytest-embedded's own (at its start)
            data, process.buffer = process.buffer, b""
            return data
        try:
            return process.read_nonblocking(4096, timeout_s)
        except pexpect.TIMEOUT:
            return b""

    def write(self, data: bytes) -> None:
        self._dut.write(data)

    def close(self) -> None:
        """pytest-embedded closes the port after the test."""


@dataclass
class Expected:
    """What `Device.expect` found: the line, the match in it, and the lines before it
    (since the previous expect)."""

    line: str
    match: re.Match
    before: list[str] = field(default_factory=list)


class Device:
    """One interface to every device. `kind` names it ("sim", "native", "dut")."""

    def __init__(self, transport: Transport, kind: str, timeout_s: float = EXPECT_TIMEOUT_S) -> None:
        self.kind = kind
        self.transport = transport
        self.timeout_s = timeout_s
        self.output: list[str] = []  # every line the device printed, in order
        self._unread: deque[str] = deque()
        self._partial = b""
        self.client = ConsoleClient(transport, self._received, timeout_s)

    def _received(self, data: bytes) -> None:
        data = self._partial + data
        *lines, self._partial = data.split(b"\n")
        for raw in lines:
            text = raw.rstrip(b"\r").decode("utf-8", "replace")
            self.output.append(text)
            self._unread.append(text)

    # -- starting ----------------------------------------------------------------------

    def wait_banner(self, timeout_s: float = 30.0) -> str:
        """Waits for the boot banner (after a reset); returns it."""
        return self.client.wait_banner(timeout_s).decode().strip()

    def push(self, path: str, source: str | bytes) -> None:
        """Writes a file on the device (atomic, CRC-checked)."""
        self.client.put(path, source.encode() if isinstance(source, str) else source)

    def get(self, path: str) -> bytes:
        """Reads a file from the device (CRC-checked)."""
        return self.client.get(path)

    def run(self, path: str) -> None:
        """Restarts the Lua runtime with the script at `path` on the device."""
        self.client.run(path)

    def run_until_idle(self, path: str, timeout_s: float | None = None) -> tuple[str, list[str]]:
        """Runs the script at `path` in a fresh runtime until nothing is left to happen
        (no task waiting for a message or a timer); returns how its main chunk ended
        ("finished", "error", "stopped") and the lines it printed."""
        return self.client.run_until_idle(path, timeout_s)

    def start(self, path: str, source: str | bytes) -> None:
        """Pushes a script and runs it."""
        self.push(path, source)
        self.run(path)

    def restart(self) -> None:
        """Restarts the Lua runtime with its boot script (main.lua)."""
        self.client.restart()

    # -- looking -----------------------------------------------------------------------

    def expect(self, pattern: str | bytes | re.Pattern, timeout_s: float | None = None) -> Expected:
        """Waits for a line the device prints: containing `pattern` (a text), or matching
        it (a compiled regex). Each line is matched once: the search starts after the
        previous match. Raises TimeoutError showing the last lines."""
        if isinstance(pattern, re.Pattern):
            wanted = f"matching {pattern.pattern!r}"
            regex = pattern if isinstance(pattern.pattern, str) else re.compile(pattern.pattern.decode())
        else:
            text = pattern.decode() if isinstance(pattern, bytes) else pattern
            wanted, regex = f"containing {text!r}", re.compile(re.escape(text))
        before: list[str] = []
        wait = self.timeout_s if timeout_s is None else timeout_s
        while True:
            while self._unread:
                line = self._unread.popleft()
                match = regex.search(line)
                if match:
                    return Expected(line, match, before)
                before.append(line)
            try:
                self.client.next_output(wait)
            except TimeoutError:
                raise TimeoutError(f"no line {wanted} in {wait:g} s\n{self.tail()}") from None

    def line(self, text: str) -> None:
        """Types a REPL line: its values or error come back as printed lines."""
        self.client.send_line(text)

    def eval(self, source: str) -> str:
        """Runs Lua inside the device's loop, as a task; returns its values as text.
        Raises luasys.console_client.ConsoleError with the Lua error."""
        return self.client.eval(source)

    def write(self, data: bytes) -> None:
        """Raw bytes to the console (for testing the console itself)."""
        self.transport.write(data)

    def tail(self, n: int = TAIL_LINES) -> str:
        shown = self.output[-n:]
        return "\n".join(shown) if shown else "(no output)"
