"""The device side of the console protocol (docs/console-protocol.md) for the
simulator: reads a port, runs file commands itself and hands REPL lines and Lua
requests to the runtime. The C console (components/lua_sys/src/lua_sys_console.c)
is the same state machine for the firmware and the native build."""

from __future__ import annotations

import threading
from typing import Protocol

from luasys import protocol as p
from .files import FileStore

# The device's uptime goes as text, as from the C console (lua_sys_console.c).
DESCRIBE_SOURCE = 'return require("console").describe("{uptime_ms}")'


class Port(Protocol):
    def read(self, timeout_s: float | None) -> bytes: ...
    def write(self, data: bytes) -> None: ...


class Runtime(Protocol):
    """What the console needs from the Lua runtime it serves."""

    version: str
    def submit(self, tag: str | None, source: bytes) -> None: ...   # raises ProtocolError
    def stop(self) -> None: ...                                     # raises ProtocolError
    def start(self, script: str | None, idle_tag: str | None = None) -> None: ...
    # script None: the boot script; idle_tag: a `run ... idle`'s, answered at its end
    def boot(self, reset_reason: str) -> None: ...                  # a reset: banner, boot script
    def interrupt(self) -> None: ...                                # Ctrl-C: the running console chunk
    def uptime_ms(self) -> int: ...                                 # since the last boot (reset)


class Output:
    """The device's one output stream. Each write is whole (a line, or a reply with its
    payload), so program output never lands inside a reply."""

    def __init__(self, port: Port) -> None:
        self._port = port
        self._lock = threading.Lock()

    def raw(self, data: bytes) -> None:
        with self._lock:
            self._port.write(data)

    def line(self, text: str) -> None:
        """Program output: one printed line, with CRLF line ends as on the device's UART."""
        self.raw(text.encode("utf-8", "replace").replace(b"\n", b"\r\n") + b"\r\n")


class _Reader:
    """Lines and payloads from the port, with the protocol's limits."""

    def __init__(self, port: Port) -> None:
        self._port = port
        self._buffer = bytearray()
        self.discard = 0  # bytes of an abandoned payload still to come: never read as commands

    def _drop_discarded(self) -> None:
        while self.discard:
            if not self._buffer:
                self._buffer += self._port.read(None)
            dropped = min(self.discard, len(self._buffer))
            del self._buffer[:dropped]
            self.discard -= dropped

    def line(self, limit: int) -> bytes | None:
        """The next line without its LF (and CR); None if it was longer than `limit`
        (the whole line is consumed and discarded)."""
        self._drop_discarded()
        overflowed = False
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end - 1 if end and self._buffer[end - 1] == 0x0D else end])
                del self._buffer[:end + 1]
                return None if overflowed or len(line) > limit else line
            if len(self._buffer) > limit + 1:
                overflowed = True
                self._buffer.clear()
            self._buffer += self._port.read(None)

    def payload(self, size: int):
        """Yields the next `size` bytes in pieces; raises ProtocolError("timeout") when
        the sender stalls for PAYLOAD_IDLE_TIMEOUT_S."""
        left = size
        while left:
            if not self._buffer:
                data = self._port.read(p.PAYLOAD_IDLE_TIMEOUT_S)
                if not data:
                    self.discard = left  # the sender may still send the rest: it is payload
                    raise p.ProtocolError("timeout", f"payload stalled with {left} of {size} bytes missing "
                                                     f"(the next {left} bytes received are discarded)")
                self._buffer += data
            piece = bytes(self._buffer[:left])
            del self._buffer[:len(piece)]
            left -= len(piece)
            yield piece


class ConsoleServer:
    def __init__(self, port: Port, output: Output, files: FileStore, runtime: Runtime) -> None:
        self._reader = _Reader(port)
        self._output = output
        self._files = files
        self._runtime = runtime

    def serve(self) -> None:
        """Serves requests until the port closes (PortClosed propagates)."""
        while True:
            line = self._reader.line(p.LINE_MAX)
            if line is None:
                self._output.line(f"console: error: line longer than {p.LINE_MAX} bytes discarded")
            elif line.startswith(p.MARKER):
                self._request(line)
            elif line.strip(b" \t"):
                self._repl(line)

    def _repl(self, line: bytes) -> None:
        try:
            self._runtime.submit(None, line)
        except p.ProtocolError as error:
            self._output.line(f"console: error: {error.message}")

    def _request(self, line: bytes) -> None:
        tag = p.NO_TAG
        try:
            if len(line) + 1 > p.HEADER_MAX:
                raise p.ProtocolError("bad-frame", f"header longer than {p.HEADER_MAX} bytes")
            if any(byte < 0x20 or byte > 0x7E for byte in line[1:]):
                raise p.ProtocolError("bad-frame", "a header must be printable ASCII")
            request = p.parse_request(line)
            tag = request.tag
            getattr(self, "_do_" + request.word.replace("-", "_"))(tag, *request.args)
        except p.ProtocolError as error:
            self._output.raw(p.encode_error(error.tag if error.tag != p.NO_TAG else tag,
                                            error.code, error.message))

    def _ok(self, tag: str, *args: object) -> None:
        self._output.raw(p.encode_reply(tag, p.OK, *args))

    def _receive(self, tag: str, size: int, crc: int, sink, written=None) -> None:
        """Asks for a payload (READY) and feeds it to `sink`; at its end calls `written(tag)`
        (which raises if the sink failed), then raises on a CRC mismatch."""
        self._output.raw(p.encode_reply(tag, p.READY))
        actual = 0
        try:
            for piece in self._reader.payload(size):
                actual = p.crc32(piece, actual)
                sink(piece)
        except p.ProtocolError as error:
            raise p.ProtocolError(error.code, error.message, tag) from None
        if written is not None:
            written(tag)
        if actual != crc:
            raise p.ProtocolError("crc", f"crc32 of the data is {actual:08x}, the header said {crc:08x}", tag)

    # -- commands ---------------------------------------------------------------------

    def _do_hello(self, tag: str) -> None:
        self._ok(tag, self._runtime.version, p.PROTOCOL_VERSION)

    def _do_put(self, tag: str, path: str, size: str, crc: str) -> None:
        size_n, crc_n = p.parse_size(size, p.FILE_MAX, tag), p.parse_crc(crc, tag)
        upload = self._files.begin_upload(path, tag)
        try:
            self._receive(tag, size_n, crc_n, upload.write, upload.check_written)
            upload.commit(tag)
        except BaseException:
            upload.abandon()
            raise
        safe_mode = getattr(self._runtime, "safe_mode", None)
        if safe_mode is not None and self._files.path(path, tag) == safe_mode.path.parent / "main.lua":
            safe_mode.clear()  # a new boot script gets a fresh series of starts
        self._ok(tag, size_n, f"{crc_n:08x}")

    def _do_get(self, tag: str, path: str) -> None:
        self._output.raw(p.encode_data(tag, self._files.read(path, tag)))

    def _do_ls(self, tag: str, path: str | None = None) -> None:
        self._output.raw(p.encode_data(tag, self._files.listing(path, tag)))

    def _do_rm(self, tag: str, path: str) -> None:
        self._files.remove(path, tag)
        self._ok(tag)

    def _do_interrupt(self, tag: str) -> None:
        self._runtime.interrupt()
        self._ok(tag)

    def _do_mkdir(self, tag: str, path: str) -> None:
        self._files.mkdir(path, tag)
        self._ok(tag)

    def _do_df(self, tag: str) -> None:
        self._ok(tag, *self._files.usage())

    def _do_reset(self, tag: str) -> None:
        """OK, then the board resets as esp_restart() does (a software reset)."""
        self._ok(tag)
        self._files.remove_leftover_parts()
        self._runtime.boot("sw")

    def _do_run(self, tag: str, path: str, mode: str | None = None) -> None:
        if mode is not None and mode != p.RUN_IDLE:
            raise p.ProtocolError("bad-frame", f"run takes a path and optionally '{p.RUN_IDLE}' (got '{mode}')", tag)
        script = self._files.path(path, tag)
        if not script.is_file():
            raise p.ProtocolError("not-found", f"no file {path}", tag)
        self._restart(tag, str(script), tag if mode else None)

    def _do_restart(self, tag: str) -> None:
        self._restart(tag, None)

    def _restart(self, tag: str, script: str | None, idle_tag: str | None = None) -> None:
        """OK comes between the old run's end and the new run's first output."""
        try:
            self._runtime.stop()
        except p.ProtocolError as error:
            raise p.ProtocolError(error.code, error.message, tag) from None
        self._ok(tag)
        self._runtime.start(script, idle_tag)

    def _do_eval(self, tag: str, size: str, crc: str) -> None:
        size_n, crc_n = p.parse_size(size, p.EVAL_MAX, tag), p.parse_crc(crc, tag)
        source = bytearray()
        self._receive(tag, size_n, crc_n, source.extend)
        self._runtime.submit(tag, bytes(source))

    def _safe_mode(self, tag: str):
        safe_mode = getattr(self._runtime, "safe_mode", None)
        if safe_mode is None:
            raise p.ProtocolError("unknown-command", "this firmware has no safe mode", tag)
        return safe_mode

    def _do_safe_status(self, tag: str) -> None:
        self._ok(tag, *self._safe_mode(tag).status())

    def _do_safe_clear(self, tag: str) -> None:
        self._safe_mode(tag).clear()
        self._ok(tag)

    def _do_describe(self, tag: str) -> None:
        self._runtime.submit(tag, DESCRIBE_SOURCE.format(uptime_ms=self._runtime.uptime_ms()).encode())
