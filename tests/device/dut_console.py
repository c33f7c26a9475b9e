"""The console protocol spoken through a pytest-embedded `dut`, so the device tests
run unchanged on a board (esp/idf services), ESP-IDF's linux target and the PC
devices. Framing comes from the one implementation, luasys.protocol."""

from __future__ import annotations

import re
from itertools import count

from luasys import protocol as p

TIMEOUT_S = 10


class DutConsole:
    def __init__(self, dut) -> None:
        self.dut = dut
        self._tags = (f"t{n:x}" for n in count(1))

    def wait_banner(self) -> str:
        return self.dut.expect(p.BANNER_RE, timeout=30).group(1).decode()

    def line(self, text: str) -> None:
        """A REPL line, as a person types it (dut.write adds the LF)."""
        self.dut.write(text)

    def request(self, verb: str, *args: object, payload: bytes | None = None) -> tuple[str, tuple[str, ...], bytes]:
        """Sends a request (and its payload, once the device is READY); returns the
        final reply's status, arguments and data."""
        tag = next(self._tags)
        self.dut.write(p.encode_request(tag, verb, *args))
        if payload is not None:
            status, reply_args, _ = self._reply(tag)
            if status != p.READY:
                return status, reply_args, b""
            self.dut.write(payload)
        return self._reply(tag)

    def send_raw(self, data: bytes) -> None:
        self.dut.write(data)

    def expect_reply(self, tag: str) -> tuple[str, tuple[str, ...], bytes]:
        return self._reply(tag)

    def _reply(self, tag: str) -> tuple[str, tuple[str, ...], bytes]:
        pattern = re.compile(re.escape(p.MARKER + tag.encode()) + rb" (READY|OK|DATA|ERR)([^\r\n]*)\r\n")
        match = self.dut.expect(pattern, timeout=TIMEOUT_S)
        status, args = match.group(1).decode(), tuple(match.group(2).decode().split())
        data = b""
        if status == p.DATA:
            size, crc = int(args[0]), int(args[1], 16)
            if size:
                data = self.dut.expect(re.compile(b".{%d}" % size, re.DOTALL), timeout=TIMEOUT_S).group(0)
            assert p.crc32(data) == crc, "the reply's data does not match its crc"
        return status, args, data

    # -- the requests the tests use ----------------------------------------------

    def put(self, path: str, data: bytes, crc: int | None = None) -> tuple[str, tuple[str, ...], bytes]:
        return self.request("put", path, len(data), f"{p.crc32(data) if crc is None else crc:08x}", payload=data)

    def push(self, path: str, content: str | bytes) -> None:
        status, args, _ = self.put(path, content.encode() if isinstance(content, str) else content)
        assert status == p.OK, f"push {path}: {status} {' '.join(args)}"

    def get(self, path: str) -> bytes:
        status, args, data = self.request("get", path)
        assert status == p.DATA, f"get {path}: {status} {' '.join(args)}"
        return data

    def describe(self) -> bytes:
        status, args, data = self.request("describe")
        assert status == p.DATA, f"describe: {status} {' '.join(args)}"
        return data

    def run(self, path: str) -> None:
        status, args, _ = self.request("run", path)
        assert status == p.OK, f"run {path}: {status} {' '.join(args)}"

    def eval(self, source: str) -> str:
        status, args, data = self.request("eval", len(source.encode()), f"{p.crc32(source.encode()):08x}",
                                          payload=source.encode())
        assert status == p.DATA, f"eval: {status} {' '.join(args)}"
        return data.decode()
