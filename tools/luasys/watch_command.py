"""`luasys watch DIR`: the edit-save-see loop. DIR's files mirror the device's
filesystem root; on every save the changed files are pushed, the script restarts, and
its output streams here, until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import connection

Snapshot = dict[str, tuple[int, int]]  # device path -> (mtime_ns, size)


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("watch", help="push a folder on every save, restart, show output",
                            description="Push DIR's files to the device's filesystem root, run the script, "
                                        "and from then on push each file you save, run the script again and "
                                        "show its output. Ctrl-C leaves; the device keeps running.")
    p.add_argument("dir", help="the folder mirrored to the device, e.g. lua/")
    p.add_argument("--script", default="main.lua", help="the script to (re)start (default main.lua)")
    p.add_argument("--interval", type=float, default=0.3, metavar="SECONDS",
                   help="how often to look for saved files (default 0.3)")
    connection.add_arguments(p)
    p.set_defaults(run=run)


def snapshot(folder: Path) -> Snapshot:
    """Every file under `folder` (editor swap and backup files left out)."""
    files = {}
    for path in folder.rglob("*"):
        name = path.name
        if path.is_file() and not (name.startswith(".") or name.endswith("~") or name.endswith(".swp")):
            stat = path.stat()
            files[path.relative_to(folder).as_posix()] = (stat.st_mtime_ns, stat.st_size)
    return files


def run(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    if not folder.is_dir():
        raise NotADirectoryError(20, "not a folder", str(folder))
    if args.interval <= 0:
        raise ValueError(f"--interval must be > 0 (got {args.interval})")

    def body(client) -> None:
        seen: Snapshot = {}
        while True:
            now = snapshot(folder)
            changed = sorted(name for name, stamp in now.items() if seen.get(name) != stamp)
            if changed:
                for name in changed:
                    client.put(name, (folder / name).read_bytes())
                print(f"luasys watch: pushed {', '.join(changed)}; running {args.script}", file=sys.stderr,
                      flush=True)
                client.run(args.script)
            seen = now
            client.pump(args.interval)
    return connection.run_command(args, body, show_output=True)
