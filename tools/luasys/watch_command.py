"""`luasys watch DIR`: the edit-save-see loop. DIR's files mirror the device's
filesystem root; on every save the changed files are pushed (a file deleted in DIR is
removed from the device), the script restarts, and its output streams here, until
Ctrl-C. The saves come from watchfiles (the operating system's file notifications,
grouped while an editor is still writing)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import watchfiles

from . import connection
from .console_client import ConsoleClient, ConsoleError
from .output_pump import OutputPump

# How often the watcher hands control back with no change (ms): it then lets the
# output pump pause and resume, which costs nothing; it is also how long the watcher
# takes to start.
IDLE_YIELD_MS = 500


class SavedFiles(watchfiles.DefaultFilter):
    """What a save leaves: watchfiles' default rules (editor swap and backup files,
    version-control and cache folders left out), and no hidden files."""

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return super().__call__(change, path) and not Path(path).name.startswith(".")


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("watch", help="push a folder on every save, restart, show output",
                            description="Push DIR's files to the device's filesystem root, run the script, "
                                        "and from then on push each file you save (and remove each you "
                                        "delete), run the script again and show its output. Ctrl-C leaves; "
                                        "the device keeps running.")
    p.add_argument("dir", help="the folder mirrored to the device, e.g. lua/")
    p.add_argument("--script", default="main.lua", help="the script to (re)start (default main.lua)")
    connection.add_arguments(p)
    p.set_defaults(run=run)


def files_under(folder: Path, saved: SavedFiles) -> set[tuple[watchfiles.Change, str]]:
    """Every file under `folder` that `saved` lets through, as added."""
    return {(watchfiles.Change.added, str(path)) for path in folder.rglob("*")
            if path.is_file() and saved(watchfiles.Change.added, str(path))}


def sync(client: ConsoleClient, folder: Path, changes: set[tuple[watchfiles.Change, str]], saved: SavedFiles) -> str:
    """Pushes the files saved, removes from the device those deleted; says what it did."""
    for _change, path in list(changes):
        if Path(path).is_dir():  # a new folder: files made in it before it was watched too
            changes |= files_under(Path(path), saved)
    pushed, deleted = set(), set()
    for change, path in changes:
        name = Path(path).relative_to(folder).as_posix()
        if Path(path).is_file():
            pushed.add(name)
        elif change == watchfiles.Change.deleted and not Path(path).exists():
            deleted.add(name)
    for name in sorted(pushed):
        client.put(name, (folder / name).read_bytes())
    for name in sorted(deleted):
        try:
            client.rm(name)
        except ConsoleError as error:
            if error.code != "not-found":  # gone already (a folder's files went with it)
                print(f"luasys watch: cannot remove {name} from the device: {error.message}", file=sys.stderr)
    return "; ".join(f"{verb} {', '.join(sorted(names))}" for verb, names in (("pushed", pushed), ("removed", deleted))
                     if names)


def run(args: argparse.Namespace) -> int:
    folder = Path(args.dir).resolve()
    if not folder.is_dir():
        raise NotADirectoryError(20, "not a folder", args.dir)
    saved = SavedFiles()

    def body(client: ConsoleClient) -> None:
        # The watcher starts (its first, empty, yield) before the first push: no save is missed.
        watcher = watchfiles.watch(folder, watch_filter=saved, rust_timeout=IDLE_YIELD_MS, yield_on_timeout=True)
        next(watcher)
        changes = files_under(folder, saved)
        pump = OutputPump(client)
        while True:
            done = sync(client, folder, changes, saved) if changes else ""
            if done:
                print(f"luasys watch: {done}; running {args.script}", file=sys.stderr, flush=True)
                client.run(args.script)
            with pump:
                changes = next(watcher)
    return connection.run_command(args, body, show_output=True)
