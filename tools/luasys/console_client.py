"""The host side of the console protocol (docs/console-protocol.md): one request at a
time, replies matched by tag, program output passed through to `on_output`."""

from __future__ import annotations

import secrets
import time
from itertools import count
from typing import TYPE_CHECKING, Callable

from . import protocol as p

if TYPE_CHECKING:
    from .transport import Transport

CHUNK = 1024  # bytes written between progress updates
Progress = Callable[[int], None]


class ConsoleError(Exception):
    """The device answered ERR; `code` is the protocol's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} ({code})")
        self.code, self.message = code, message


class ConsoleClient:
    def __init__(self, transport: Transport, on_output: Callable[[bytes], None], timeout_s: float = 10.0) -> None:
        self._transport = transport
        self.on_output = on_output
        self.timeout_s = timeout_s
        self._buffer = bytearray()
        # Requests sent whose replies are still to be asked for (an eval's second half),
        # and those replies when they came while another reply was awaited (an eval's
        # "interrupted" may come before the interrupt's own OK).
        self._awaited: set[str] = set()
        self._early: dict[str, tuple[p.Frame, bytes]] = {}
        # A random prefix keeps this client's tags apart from an earlier client's.
        self._tags = (f"{secrets.randbelow(0x10000):04x}{n:x}"[-8:] for n in count())

    # -- connection ---------------------------------------------------------------------

    def hello(self, timeout_s: float | None = None, retry_s: float = 1.0) -> str:
        """Waits until the device answers (it may be booting); returns its version."""
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        self._transport.write(b"\n")  # ends whatever partial line an earlier client left
        while True:
            tag = next(self._tags)
            self._transport.write(p.encode_request(tag, "hello"))
            try:
                frame, _ = self._reply(tag, min(deadline, time.monotonic() + retry_s))
                return frame.args[0]
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise TimeoutError("the device did not answer (is the port right, the console running?)") from None

    def wait_banner(self, timeout_s: float | None = None) -> bytes:
        """Waits for the boot banner; returns it."""
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while True:
            line = self._line(deadline)
            match = p.BANNER_RE.search(line)
            if match:
                return match.group(0)
            self.on_output(line)

    def next_output(self, timeout_s: float) -> None:
        """Waits for the next line the device prints and passes it through;
        TimeoutError if none comes within `timeout_s`."""
        self.on_output(self._line(time.monotonic() + timeout_s))

    def pump(self, timeout_s: float) -> None:
        """Passes program output through for `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                self.on_output(self._line(deadline))
        except TimeoutError:
            pass

    # -- commands -----------------------------------------------------------------------

    def send_line(self, line: str) -> None:
        """A REPL line, as a person types it; its output arrives as program output."""
        data = line.encode()
        if len(data) > p.LINE_MAX or b"\n" in data or data.startswith(p.MARKER):
            raise ValueError(f"a REPL line is one line of at most {p.LINE_MAX} bytes")
        self._transport.write(data + b"\n")

    def put(self, path: str, data: bytes, progress: Progress | None = None) -> None:
        tag = next(self._tags)
        self._request(tag, "put", p.check_path(path), len(data), f"{p.crc32(data):08x}")
        self._expect(tag, p.READY)
        for start in range(0, len(data), CHUNK):
            piece = data[start:start + CHUNK]
            self._transport.write(piece)
            if progress:
                progress(len(piece))
        self._expect(tag, p.OK)

    def get(self, path: str, progress: Progress | None = None) -> bytes:
        tag = next(self._tags)
        self._request(tag, "get", p.check_path(path))
        return self._expect(tag, p.DATA, progress)[1]

    def ls(self, path: str | None = None) -> list[tuple[int, str]]:
        tag = next(self._tags)
        self._request(tag, "ls", *([p.check_path(path)] if path else []))
        listing = self._expect(tag, p.DATA)[1].decode()
        return [(int(size), name) for size, name in (line.split(" ", 1) for line in listing.splitlines())]

    def rm(self, path: str) -> None:
        self._simple("rm", p.check_path(path))

    def run(self, path: str) -> None:
        self._simple("run", p.check_path(path))

    def run_until_idle(self, path: str, timeout_s: float | None = None) -> tuple[str, list[str]]:
        """Runs `path` in a fresh runtime until nothing is left to happen (`run <path>
        idle`). Returns how its main chunk ended ("finished", "error": the traceback was
        printed, or "stopped": by another request) and the lines it printed, without
        their ends (they go to on_output too)."""
        tag = next(self._tags)
        self._request(tag, "run", p.check_path(path), p.RUN_IDLE)
        self._expect(tag, p.OK)
        printed: list[bytes] = []
        forward = self.on_output
        self.on_output = lambda line: (printed.append(line), forward(line))
        try:
            frame, _ = self._reply(tag, time.monotonic() + (timeout_s or self.timeout_s))
        finally:
            self.on_output = forward
        if frame.word != p.OK or len(frame.args) != 1 or frame.args[0] not in p.RUN_ENDINGS:
            raise ConsoleError("bad-frame", f"a run's end is OK {'|'.join(p.RUN_ENDINGS)}, "
                                            f"the device answered {' '.join((frame.word, *frame.args))}")
        return frame.args[0], [line.rstrip(b"\r\n").decode("utf-8", "replace") for line in printed]

    def restart(self) -> None:
        self._simple("restart")

    def reset(self, wait: bool = True) -> bytes | None:
        """Resets the device (esp_restart()); with `wait`, waits until it answers again
        and returns its banner (without, the banner is still to come)."""
        self._simple("reset")
        if not wait:
            return None
        banner = self.wait_banner()
        self.hello()
        return banner

    def interrupt(self) -> None:
        """Ctrl-C: the console chunk running on the device now gets the error "interrupted"."""
        self._simple("interrupt")

    def mkdir(self, path: str) -> None:
        self._simple("mkdir", p.check_path(path))

    def df(self) -> tuple[int, int]:
        """(total, used) bytes of the device's script filesystem."""
        tag = next(self._tags)
        self._request(tag, "df")
        total, used = self._expect(tag, p.OK)[0].args
        return int(total), int(used)

    def eval(self, source: str) -> str:
        """Runs Lua in the device's loop, as a task; returns its values as text."""
        return self.eval_result(self.eval_send(source))

    def eval_send(self, source: str) -> str:
        """The first half of eval: the request and its source; returns its tag."""
        tag, data = next(self._tags), source.encode()
        self._request(tag, "eval", len(data), f"{p.crc32(data):08x}")
        self._expect(tag, p.READY)
        self._awaited.add(tag)
        self._transport.write(data)
        return tag

    def eval_result(self, tag: str) -> str:
        """The second half of eval: the values of the chunk sent as `tag`."""
        return self._expect(tag, p.DATA)[1].decode("utf-8", "replace")

    def safe_status(self) -> tuple[str, int, int]:
        """Safe mode: ("on" | "off", failed starts in a row, the limit)."""
        tag = next(self._tags)
        self._request(tag, "safe-status")
        args = self._expect(tag, p.OK)[0].args
        return args[0], int(args[1]), int(args[2])

    def safe_clear(self) -> None:
        self._simple("safe-clear")

    def describe(self) -> str:
        tag = next(self._tags)
        self._request(tag, "describe")
        return self._expect(tag, p.DATA)[1].decode("utf-8", "replace")

    # -- the wire ---------------------------------------------------------------------

    def _simple(self, verb: str, *args: str) -> None:
        tag = next(self._tags)
        self._request(tag, verb, *args)
        self._expect(tag, p.OK)

    def _request(self, tag: str, verb: str, *args: object) -> None:
        self._transport.write(p.encode_request(tag, verb, *args))

    def _expect(self, tag: str, status: str, progress: Progress | None = None) -> tuple[p.Frame, bytes]:
        frame, payload = self._reply(tag, time.monotonic() + self.timeout_s, progress)
        if frame.word == p.ERR:
            code = frame.args[0] if frame.args else "?"
            raise ConsoleError(code, " ".join(frame.args[1:]))
        if frame.word != status:
            raise ConsoleError("bad-frame", f"expected {status}, the device answered {frame.word}")
        return frame, payload

    def _reply(self, tag: str, deadline: float, progress: Progress | None = None) -> tuple[p.Frame, bytes]:
        """The next reply to `tag` (and its payload); other lines are program output,
        replies to other awaited tags are kept for later, and replies to any other tags
        are stale (from an abandoned request) and skipped."""
        if tag in self._early:
            return self._early.pop(tag)
        while True:
            line = self._line(deadline)
            if not line.startswith(p.MARKER):
                self.on_output(line)
                continue
            try:
                frame = p.parse_reply(line)
            except p.ProtocolError:
                self.on_output(line)
                continue
            payload = self._payload(frame, deadline, progress) if frame.word == p.DATA else b""
            if frame.tag == tag:
                self._awaited.discard(tag)
                return frame, payload
            if frame.tag in self._awaited and frame.word != p.READY:
                self._awaited.discard(frame.tag)
                self._early[frame.tag] = (frame, payload)

    def _payload(self, frame: p.Frame, deadline: float, progress: Progress | None) -> bytes:
        size, crc = int(frame.args[0]), int(frame.args[1], 16)
        while len(self._buffer) < size:
            before = len(self._buffer)
            self._fill(deadline)
            if progress:
                progress(min(len(self._buffer), size) - before)
        payload = bytes(self._buffer[:size])
        del self._buffer[:size]
        if p.crc32(payload) != crc:
            raise ConsoleError("crc", f"the reply's data has crc32 {p.crc32(payload):08x}, its header said {crc:08x}")
        return payload

    def _line(self, deadline: float) -> bytes:
        """The next line, its line end included."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end + 1])
                del self._buffer[:end + 1]
                return line
            self._fill(deadline)

    def _fill(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no reply from the device in time")
        self._buffer += self._transport.read(min(left, 0.5))
