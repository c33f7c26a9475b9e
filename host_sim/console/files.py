"""The simulated device's script filesystem: a host directory standing in for the
LittleFS partition. Uploads go to `<path>.part` and are renamed over the target only
once complete and verified, so an interrupted or corrupted upload leaves the previous
file as it was."""

from __future__ import annotations

import os
from pathlib import Path

from luasys.protocol import ProtocolError, check_path

PART_SUFFIX = ".part"


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, device_path: str, tag: str) -> Path:
        return self.root / check_path(device_path, tag)

    def begin_upload(self, device_path: str, tag: str) -> "Upload":
        target = self.path(device_path, tag)
        if target.is_dir():
            raise ProtocolError("bad-path", f"{device_path} is a directory", tag)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            return Upload(target, open(target.with_name(target.name + PART_SUFFIX), "wb"))
        except OSError as error:
            raise ProtocolError("io", f"cannot create {device_path}: {error.strerror}", tag) from None

    def read(self, device_path: str, tag: str) -> bytes:
        target = self.path(device_path, tag)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise ProtocolError("not-found", f"no file {device_path}", tag) from None
        except OSError as error:
            raise ProtocolError("io", f"cannot read {device_path}: {error.strerror}", tag) from None

    def listing(self, device_path: str | None, tag: str) -> bytes:
        """`<size> <name>` lines, sorted; directories as `0 <name>/`."""
        directory = self.root if device_path is None else self.path(device_path, tag)
        if not directory.is_dir():
            raise ProtocolError("not-found", f"no directory {device_path}", tag)
        lines = []
        for entry in sorted(directory.iterdir()):
            if device_path is None and entry.name == ".safe_mode":
                continue  # the boot counter (safe_mode.py), not a user file
            if entry.is_dir():
                lines.append(f"0 {entry.name}/\n")
            else:
                lines.append(f"{entry.stat().st_size} {entry.name}\n")
        return "".join(lines).encode()

    def remove(self, device_path: str, tag: str) -> None:
        target = self.path(device_path, tag)
        try:
            if target.is_dir():
                target.rmdir()
            else:
                target.unlink()
        except FileNotFoundError:
            raise ProtocolError("not-found", f"no file {device_path}", tag) from None
        except OSError as error:
            raise ProtocolError("io", f"cannot remove {device_path}: {error.strerror}", tag) from None


class Upload:
    """A file being received: written to the `.part` file, committed by rename."""

    def __init__(self, target: Path, part) -> None:
        self.target, self._part = target, part

    def write(self, data: bytes) -> None:
        self._part.write(data)

    def commit(self) -> None:
        self._part.flush()
        os.fsync(self._part.fileno())
        self._part.close()
        os.replace(self._part.name, self.target)

    def abandon(self) -> None:
        self._part.close()
        Path(self._part.name).unlink(missing_ok=True)
