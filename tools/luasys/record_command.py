"""`luasys record OUT`: records what a running device's loop receives, and what it
prints, into a file that `luasys sim --replay` and the pytest plugin replay
(docs/testing.md#record-and-replay)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import PurePosixPath

from . import connection
from .arguments import integer, seconds
from .errors import CommandError
from .recording import parse_header

POLL_S = 0.2          # how often the recorder's buffer is fetched
DRAIN_RECORDS = 64    # records fetched per request, keeping replies small
# --run: a script next to the user's that starts the recorder, then runs the user's
# script as a module (its folder comes first in package.path on every backend).
BOOT_NAME = "luasys-record.lua"
BOOT_SOURCE = """-- Written by `luasys record --run`: the recorder starts before the script does.
require("recorder").start({limit})
require("{module}")
"""


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("record", help="record the messages a running device receives",
                            description="Record every message the running script's loop receives (topic, "
                                        "arguments, time) and every line it prints, until Ctrl-C, --for or "
                                        "--messages. The device keeps at most --limit records between two "
                                        "fetches; what does not fit is counted in the file, never waited for.")
    p.add_argument("out", help="the recording file to write (JSON lines)")
    p.add_argument("--for", dest="duration", type=seconds(zero=False), metavar="SECONDS",
                   help="stop after this long")
    p.add_argument("--messages", type=integer(1), metavar="N", help="stop after N messages")
    p.add_argument("--limit", type=integer(1), metavar="N",
                   help="records the device keeps between two fetches (default: the recorder's "
                        "recorder.DEFAULT_LIMIT)")
    p.add_argument("--run", dest="script", metavar="SCRIPT",
                   help="restart SCRIPT (a path on the device, e.g. main.lua) with the recorder started "
                        "before it, so that a replay starts from the same state; without it the "
                        "running script is recorded from now on")
    connection.add_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.script and "." in PurePosixPath(args.script).stem:
        print(f"luasys record: --run takes a script whose name has no other dot than .lua's (got {args.script})",
              file=sys.stderr)
        return 2
    return connection.run_command(args, lambda client: _record(client, args))


def _record(client, args: argparse.Namespace) -> int:
    with open(args.out, "w", encoding="utf-8") as out:  # once the device answers
        return _record_into(client, args, out)


def _record_into(client, args: argparse.Namespace, out) -> int:
    boot = None
    if args.script:
        script = PurePosixPath(args.script)
        boot = str(script.with_name(BOOT_NAME))
        client.put(boot, BOOT_SOURCE.format(limit=args.limit or "", module=script.stem).encode())
        client.run(boot)
        header = client.eval('require("recorder").header()')
    else:
        header = client.eval(f'require("recorder").start({args.limit or ""})')
    parse_header(header, "the device's recorder")
    out.write(header + "\n")
    tally = {"messages": 0, "lost": 0}
    deadline = None if args.duration is None else time.monotonic() + args.duration
    try:
        while not _done(args, tally, deadline):
            client.pump(POLL_S)
            _write(out, client.eval(f'require("recorder").drain({DRAIN_RECORDS})'), tally)
    except KeyboardInterrupt:
        pass
    finally:
        _write(out, client.eval('require("recorder").stop()'), tally)
        if boot:
            client.rm(boot)  # the next reset boots the script itself again
    lost = f", {tally['lost']} lost on the device (its buffer was full)" if tally["lost"] else ""
    print(f"luasys record: {tally['messages']} messages in {args.out}{lost}", file=sys.stderr)
    return 0


def _done(args: argparse.Namespace, tally: dict, deadline: float | None) -> bool:
    return ((args.messages is not None and tally["messages"] >= args.messages)
            or (deadline is not None and time.monotonic() >= deadline))


def _write(out, text: str, tally: dict) -> None:
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise CommandError(f"the device's recorder sent a line that is not a record: {line[:80]!r}") from None
        tally["messages"] += "topic" in record
        tally["lost"] += record.get("lost", 0)
        out.write(line + "\n")
    out.flush()
