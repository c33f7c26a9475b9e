"""`luasys repl`: a Lua prompt on the device's running loop, as lua.c's: an expression
(or `=expr`) prints its values, an incomplete chunk continues on the next line (`>>`),
lines have history (readline; in ~/.luasys_history, or LUASYS_HISTORY). Each chunk runs
as a task inside the event loop (the console's `eval`); what the device prints meanwhile
shows as it comes. Ctrl-C interrupts the chunk on the device, whether it runs or waits
(sys.wait, sys.waitUntil): the console's `interrupt` ends it with the error
"interrupted"; the tasks it started and the rest of the program go on. Then the prompt
comes back; Ctrl-D leaves."""

from __future__ import annotations

import argparse
import contextlib
import os
import readline
import signal
import sys
from pathlib import Path
from typing import Iterator

import lupa.lua54

from . import connection
from .console_client import ConsoleClient, ConsoleError
from .output_pump import OutputPump

PROMPT, MORE = "> ", ">> "
HISTORY_LINES = 1000

# lua.c's test: a chunk is incomplete when its syntax error is at the end of the input.
_COMPLETE = """
local source = ...
local chunk, err = load("return " .. source, "=stdin")
if chunk then return true end
chunk, err = load(source, "=stdin")
return chunk ~= nil or not err:find("<eof>", 1, true)
"""


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("repl", help="interactive Lua prompt on the device",
                            description=__doc__.split("\n\n")[0].split(": ", 1)[1])
    connection.add_arguments(p)
    p.set_defaults(run=run)


def read_chunk(complete) -> str:
    """One chunk from the user: lines until it is complete (EOFError on Ctrl-D)."""
    line = input(PROMPT)
    if line.startswith("="):
        line = line[1:]  # lua.c 5.1-5.3's "=expr": the expression's values
    chunk = line
    while chunk.strip() and not complete(chunk):
        chunk += "\n" + input(MORE)
    return chunk


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C inside the block raises KeyboardInterrupt when the block is done. (Blocking
    SIGINT would not do: the kernel hands it to another thread, the output pump's, and
    Python raises it in the main thread all the same.)"""
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


def show_result(client: ConsoleClient, tag: str) -> None:
    """The values of the chunk sent as `tag`, or its error."""
    try:
        values = client.eval_result(tag)
    except ConsoleError as error:
        print(f"error: {error.message}", flush=True)
        return
    if values:
        print(values, flush=True)


def interrupt(client: ConsoleClient, tag: str | None) -> None:
    """Ctrl-C while the chunk sent as `tag` runs: the device ends it, running or waiting
    (its reply: "error: interrupted"). A second Ctrl-C stops waiting for that reply."""
    try:
        client.interrupt()
    except ConsoleError as error:
        print(f"error: {error.message}", flush=True)
        return
    except TimeoutError:
        print("error: the device did not answer the interrupt (is its console starved by a busy task?)",
              flush=True)
        return
    if tag is None:
        return
    try:
        show_result(client, tag)
    except TimeoutError:
        print(f"error: the chunk did not end within {client.timeout_s:g} s of the interrupt (it runs on; "
              "luasys restart stops it)", flush=True)
    except KeyboardInterrupt:
        print("^C (no longer waiting for the chunk's reply)", file=sys.stderr, flush=True)


def _history() -> Path:
    return Path(os.environ.get("LUASYS_HISTORY", Path.home() / ".luasys_history"))


def run(args: argparse.Namespace) -> int:
    complete = lupa.lua54.LuaRuntime(encoding=None).execute("return function(...) " + _COMPLETE + " end")
    history = _history()
    try:
        readline.read_history_file(history)
    except OSError:
        pass
    readline.set_history_length(HISTORY_LINES)

    def body(client: ConsoleClient) -> None:
        print(f"{client.hello()} on {args.port}; Ctrl-C interrupts, Ctrl-D leaves", file=sys.stderr)
        pump = OutputPump(client)
        while True:
            try:
                with pump:
                    chunk = read_chunk(lambda source: complete(source.encode()))
            except EOFError:
                print(file=sys.stderr)
                return
            except KeyboardInterrupt:
                print("^C", file=sys.stderr)
                continue
            if not chunk.strip():
                continue
            tag = None
            try:
                # A Ctrl-C in the middle of the request would leave the device reading the
                # rest of it as source: it waits until the request is out.
                with interrupts_deferred():
                    tag = client.eval_send(chunk)
                show_result(client, tag)
            except ConsoleError as error:
                print(f"error: {error.message}", flush=True)
            except KeyboardInterrupt:
                print("^C", file=sys.stderr, flush=True)
                interrupt(client, tag)

    try:
        return connection.run_command(args, body, show_output=True)
    finally:
        try:
            readline.write_history_file(history)
        except OSError:
            pass
