"""The console protocol's framing (docs/console-protocol.md), shared by every client (the
luasys commands, tests/device) and the simulated device (host_sim.console.server).

A frame header is one line that starts with MARKER; everything else on the wire is
ordinary text: REPL lines from the host, program output from the device. Payloads
follow a header as exactly `size` raw bytes, checked by CRC-32 (IEEE, as zlib's).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

PROTOCOL_VERSION = 1
MARKER = b"\x01"
HEADER_MAX = 256          # bytes of a header line, marker and newline included
LINE_MAX = 1024           # bytes of a REPL line, newline excluded
PATH_MAX = 64             # bytes of a device path
FILE_MAX = 1024 * 1024    # largest file `put` accepts
EVAL_MAX = 16 * 1024      # largest `eval` source
PAYLOAD_IDLE_TIMEOUT_S = 2.0  # a payload that stalls this long is abandoned
READY_TIMEOUT_S = 2.0     # how long a request may wait for the Lua loop to take it
LUA_ERROR_MAX = 200       # bytes of an `ERR lua` reply's message: the error's first line, cut

# Verbs, and the arguments each takes.
VERBS = {"hello": 0, "put": 3, "get": 1, "ls": (0, 1), "rm": 1, "run": (1, 2), "restart": 0,
         "eval": 2, "describe": 0, "safe-status": 0, "safe-clear": 0, "reset": 0, "mkdir": 1, "df": 0,
         "interrupt": 0}
# `run <path> idle`: the run ends when idle (nothing pending: no message, no timer) and
# then gets a second reply, `OK <ending>`: how its main chunk ended.
RUN_IDLE = "idle"
RUN_ENDINGS = ("finished", "error", "stopped")
# Reply statuses. DATA is followed by a payload; READY asks for the request's payload.
READY, OK, DATA, ERR = "READY", "OK", "DATA", "ERR"
NO_TAG = "-"  # the tag of a reply to a header whose own tag could not be read

_TAG_RE = re.compile(r"[0-9a-z]{1,8}")
_PATH_RE = re.compile(r"[A-Za-z0-9._/-]+")
BANNER_RE = re.compile(rb"(LuaSys-\d+\.\d+\.\d+) console ready \(protocol (\d+)\)")


def banner(version: str) -> bytes:
    """The line a device prints when it starts, so a client can see the start."""
    return f"{version} console ready (protocol {PROTOCOL_VERSION})\r\n".encode()


def crc32(data: bytes, running: int = 0) -> int:
    """CRC-32 of `data`; pass the previous result as `running` to continue it."""
    return zlib.crc32(data, running) & 0xFFFFFFFF


class ProtocolError(Exception):
    """A request or reply that breaks the protocol. `code` is the ERR reply's code."""

    def __init__(self, code: str, message: str, tag: str = NO_TAG) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.tag = code, message, tag


@dataclass(frozen=True)
class Frame:
    """A parsed header line: a request (`word` is the verb) or a reply (the status)."""

    tag: str
    word: str
    args: tuple[str, ...] = ()


def _header(tag: str, word: str, args: tuple, end: bytes) -> bytes:
    return MARKER + " ".join([tag, word, *map(str, args)]).encode() + end


def encode_request(tag: str, verb: str, *args: object) -> bytes:
    """A request header; the host ends its lines in LF."""
    return _header(tag, verb, args, b"\n")


def encode_reply(tag: str, status: str, *args: object) -> bytes:
    """A reply header; the device ends its lines in CRLF, like all its output."""
    return _header(tag, status, args, b"\r\n")


def encode_error(tag: str, code: str, message: str) -> bytes:
    return encode_reply(tag, ERR, code, message.replace("\r", " ").replace("\n", " "))


def encode_lua_error(tag: str, error: bytes) -> bytes:
    """The `ERR lua` reply to a Lua error: its first line (up to CR, LF or NUL), cut at
    LUA_ERROR_MAX bytes, as they are (the C console sends them so)."""
    first_line = re.split(rb"[\r\n\0]", error, maxsplit=1)[0]
    return MARKER + f"{tag} {ERR} lua ".encode() + first_line[:LUA_ERROR_MAX] + b"\r\n"


def is_tag(text: str) -> bool:
    """A request's tag: 1 to 8 characters 0-9 a-z."""
    return _TAG_RE.fullmatch(text) is not None


def encode_data(tag: str, payload: bytes) -> bytes:
    """A DATA reply with its payload, to be written in one piece."""
    return encode_reply(tag, DATA, len(payload), f"{crc32(payload):08x}") + payload


def _split(line: bytes, request: bool = True) -> tuple[str, list[str]]:
    if not line.startswith(MARKER):
        raise ProtocolError("bad-frame", "a header must start with the marker byte 0x01")
    if request:
        try:
            text = line[1:].rstrip(b"\r\n").decode("ascii")
        except UnicodeDecodeError:
            raise ProtocolError("bad-frame", "a header must be ASCII") from None
    else:  # an `ERR lua <message>` reply carries the Lua error text, which may be UTF-8
        text = line[1:].rstrip(b"\r\n").decode("utf-8", "replace")
    words = text.split(" ")
    tag = words[0] if is_tag(words[0]) else NO_TAG
    if tag == NO_TAG and words[0] != NO_TAG:
        raise ProtocolError("bad-frame", "the tag must be 1 to 8 characters 0-9 a-z")
    return tag, words[1:]


def parse_request(line: bytes) -> Frame:
    """Parses a request header; raises ProtocolError (with the tag, when readable)."""
    tag, words = _split(line)
    if tag == NO_TAG:
        raise ProtocolError("bad-frame", "the tag must be 1 to 8 characters 0-9 a-z")
    if not words or not words[0]:
        raise ProtocolError("bad-frame", "no command", tag)
    verb, args = words[0], tuple(words[1:])
    arity = VERBS.get(verb)
    if arity is None:
        raise ProtocolError("unknown-command", f"unknown command {verb!r}", tag)
    low, high = arity if isinstance(arity, tuple) else (arity, arity)
    if not low <= len(args) <= high:
        raise ProtocolError("bad-frame", f"{verb} takes {low if low == high else f'{low} to {high}'} "
                                         f"arguments (got {len(args)})", tag)
    return Frame(tag, verb, args)


_SIZE_RE = re.compile(r"[0-9]{1,10}")
_CRC_RE = re.compile(r"[0-9a-f]{8}")


def parse_reply(line: bytes) -> Frame:
    """Parses a reply header; raises ProtocolError unless it is one. A DATA reply has
    exactly `<size> <crc32>` (so a client can trust both to read its payload)."""
    tag, words = _split(line, request=False)
    if not words or words[0] not in (READY, OK, DATA, ERR):
        raise ProtocolError("bad-frame", f"not a reply: {line!r}")
    args = tuple(words[1:])
    if words[0] == DATA and (len(args) != 2 or not _SIZE_RE.fullmatch(args[0])
                             or not _CRC_RE.fullmatch(args[1])):
        raise ProtocolError("bad-frame", f"a DATA reply needs <size> <crc32>: {line!r}", tag)
    return Frame(tag, words[0], args)


def parse_size(text: str, limit: int, tag: str) -> int:
    if not text.isdigit() or len(text) > 10:
        raise ProtocolError("bad-frame", f"size must be a decimal number (got {text!r})", tag)
    size = int(text)
    if size > limit:
        raise ProtocolError("too-large", f"{size} bytes is more than the limit of {limit}", tag)
    return size


def parse_crc(text: str, tag: str) -> int:
    if not _CRC_RE.fullmatch(text):
        raise ProtocolError("bad-frame", f"crc must be 8 lowercase hex digits (got {text!r})", tag)
    return int(text, 16)


def check_path(path: str, tag: str = NO_TAG) -> str:
    """A device path relative to the filesystem root (a leading '/' is allowed and
    ignored); no empty, '.' or '..' parts. Returns it without the leading '/'."""
    relative = path.lstrip("/")
    parts = relative.split("/")
    if (len(path) > PATH_MAX or not _PATH_RE.fullmatch(relative)
            or any(part in ("", ".", "..") for part in parts)):
        raise ProtocolError("bad-path", f"{path!r} is not a valid path (1..{PATH_MAX} bytes of "
                                        "A-Z a-z 0-9 . _ - /, no empty, '.' or '..' parts)", tag)
    return relative
