"""Recordings of what a device's loop received (docs/testing.md#the-recording-format):
written by `luasys record`, replayed by `luasys sim --replay` and the pytest plugin.

One JSON object per line. The first is the header, written by the device's recorder
(components/lua_sys/lua/recorder.lua); then, in time order, messages
{"t", "topic", "args"}, printed lines {"t", "line"} and losses {"t", "lost"}. Times
are ms since the device's runtime started; strings are byte strings, one character
per byte (U+0000..U+00FF).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .errors import CommandError

FORMAT = "luasys-recording"
FORMAT_VERSION = 1  # the recorder's recorder.FORMAT_VERSION; a test keeps them equal

Value = None | bool | int | float | bytes


class RecordingError(CommandError):
    """A file that is not a recording this version of luasys can read."""


@dataclass(frozen=True)
class Message:
    t_ms: int
    topic: bytes
    args: tuple[Value, ...]


@dataclass
class Recording:
    header: dict
    messages: list[Message] = field(default_factory=list)
    lines: list[tuple[int, str]] = field(default_factory=list)
    lost: int = 0  # records the device could not keep

    def inject_into(self, target: Injectable) -> None:
        """Schedules every message at its time on a Simulator or SimSession."""
        for message in self.messages:
            target.inject(message.t_ms, message.topic, *message.args)


class Injectable(Protocol):
    def inject(self, at_ms: int, name: bytes, *args: Value) -> None: ...


def as_bytes(text: str) -> bytes:
    return text.encode("latin-1")


def _value(item: object, where: str) -> Value:
    if isinstance(item, str):
        return as_bytes(item)
    if item is None or isinstance(item, (bool, int, float)):
        return item
    raise RecordingError(f"{where}: an argument must be null, a boolean, a number or a string (got {item!r})")


def _time(record: dict, where: str) -> int:
    t = record.get("t")
    if not isinstance(t, int) or isinstance(t, bool) or t < 0:
        raise RecordingError(f"{where}: \"t\" must be an integer >= 0 (got {t!r})")
    return t


def parse_header(text: str, where: str = "line 1") -> dict:
    try:
        header = json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordingError(f"{where}: not JSON ({error.msg})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise RecordingError(f"{where}: not a LuaSys recording (the first line must be its header)")
    version = header.get("version")
    if version != FORMAT_VERSION:
        raise RecordingError(f"{where}: recording format version {version!r}; this luasys reads version "
                             f"{FORMAT_VERSION}")
    return header


def parse(text: str, name: str = "recording") -> Recording:
    lines = text.splitlines()
    if not lines:
        raise RecordingError(f"{name}: empty (a recording starts with its header)")
    recording = Recording(parse_header(lines[0], f"{name} line 1"))
    for number, line in enumerate(lines[1:], start=2):
        where = f"{name} line {number}"
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise RecordingError(f"{where}: not JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise RecordingError(f"{where}: a record must be a JSON object")
        t = _time(record, where)
        if "topic" in record:
            topic, args = record["topic"], record.get("args", [])
            if not isinstance(topic, str) or not isinstance(args, list):
                raise RecordingError(f"{where}: a message needs a \"topic\" string and an \"args\" list")
            recording.messages.append(Message(t, as_bytes(topic), tuple(_value(a, where) for a in args)))
        elif "line" in record:
            recording.lines.append((t, as_bytes(str(record["line"])).decode("utf-8", "replace")))
        elif "lost" in record:
            recording.lost += int(record["lost"])
        else:
            raise RecordingError(f"{where}: a record has \"topic\", \"line\" or \"lost\"")
    return recording


def load(path: str | Path) -> Recording:
    """Reads a recording file; RecordingError names the file and line that is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RecordingError(f"cannot read the recording {path}: {error.strerror}") from None
    return parse(text, str(path))
