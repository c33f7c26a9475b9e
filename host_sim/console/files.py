"""The simulated device's script filesystem: a host directory standing in for the
LittleFS partition. Uploads go to `<path>.part` and are renamed over the target only
once complete and verified, so an interrupted or corrupted upload leaves the previous
file as it was."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from luasys.protocol import ProtocolError, check_path

from .safe_mode import FILE as SAFE_MODE_FILE

PART_SUFFIX = ".part"


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, device_path: str, tag: str) -> Path:
        relative = check_path(device_path, tag)
        # The console's own names: an upload in progress (so an upload never overwrites a
        # file of that name) and the boot counter.
        if relative == SAFE_MODE_FILE or any(part.endswith(PART_SUFFIX) for part in relative.split("/")):
            raise ProtocolError("bad-path", f"'{device_path}' is reserved (uploads in progress end in "
                                            f"{PART_SUFFIX}; {SAFE_MODE_FILE} is the boot counter: use "
                                            "safe-status and safe-clear)", tag)
        return self.root / relative

    def remove_leftover_parts(self) -> None:
        """Deletes the .part files of uploads a reset or a lost connection interrupted."""
        for part in self.root.rglob("*" + PART_SUFFIX):
            if part.is_file():
                part.unlink(missing_ok=True)

    def begin_upload(self, device_path: str, tag: str) -> "Upload":
        target = self.path(device_path, tag)
        if target.is_dir():
            raise ProtocolError("bad-path", f"{device_path} is a directory", tag)
        created = [parent for parent in target.relative_to(self.root).parents
                   if parent != Path(".") and not (self.root / parent).is_dir()]
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            return Upload(target, open(target.with_name(target.name + PART_SUFFIX), "wb"),
                          [self.root / parent for parent in created], device_path)
        except OSError as error:
            _remove_dirs([self.root / parent for parent in created])
            raise ProtocolError("io", f"cannot create {device_path}: {error.strerror}", tag) from None

    def read(self, device_path: str, tag: str) -> bytes:
        target = self.path(device_path, tag)
        if not target.is_file():
            raise ProtocolError("not-found", f"no file {device_path}", tag)
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

    def mkdir(self, device_path: str, tag: str) -> None:
        """mkdir -p; an existing directory is fine, an existing file is not."""
        target = self.path(device_path, tag)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise ProtocolError("bad-path", f"{device_path} is a file", tag) from None
        except OSError as error:
            in_the_way = self._file_in_the_way(target)
            if in_the_way is not None:
                raise ProtocolError("bad-path", f"{in_the_way} is a file", tag) from None
            raise ProtocolError("io", f"cannot create {device_path}: {error.strerror}", tag) from None

    def _file_in_the_way(self, target: Path) -> str | None:
        """The first leading part of `target` that is a file, relative to the root, or
        None: what stops a mkdir below it."""
        for parent in reversed(target.relative_to(self.root).parents[:-1]):
            if (self.root / parent).exists() and not (self.root / parent).is_dir():
                return parent.as_posix()
        return None

    def usage(self) -> tuple[int, int]:
        """(total, used) bytes of the filesystem the root is on."""
        usage = shutil.disk_usage(self.root)
        return usage.total, usage.used

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


def _remove_dirs(created: list[Path]) -> None:
    """Removes directories an upload created (deepest first), if they are still empty."""
    for directory in created:
        try:
            directory.rmdir()
        except OSError:
            return


class Upload:
    """A file being received: written to the `.part` file, committed by rename. A failed
    write is remembered and the payload still read to its end, to stay in step with the
    sender; `commit` then reports it."""

    def __init__(self, target: Path, part, created: list[Path], device_path: str) -> None:
        self.target, self._part, self._created, self._device_path = target, part, created, device_path
        self._write_error: OSError | None = None

    def write(self, data: bytes) -> None:
        if self._write_error is None:
            try:
                self._part.write(data)
            except OSError as error:
                self._write_error = error

    def check_written(self, tag: str) -> None:
        """Raises ProtocolError("io") if a write failed (before the CRC is checked, as in C)."""
        if self._write_error is not None:
            raise ProtocolError("io", f"cannot write {self._device_path}: {self._write_error.strerror}", tag)

    def commit(self, tag: str) -> None:
        """Syncs the verified upload and renames it into place."""
        try:
            self._part.flush()
            os.fsync(self._part.fileno())
        except OSError as error:
            raise ProtocolError("io", f"cannot write {self._device_path}: {error.strerror}", tag) from None
        self._part.close()
        try:
            os.replace(self._part.name, self.target)
        except OSError as error:
            raise ProtocolError("io", f"cannot rename the upload to {self._device_path}: {error.strerror}",
                                tag) from None

    def abandon(self) -> None:
        try:
            self._part.close()
        except OSError:
            pass  # the write error is what is reported
        Path(self._part.name).unlink(missing_ok=True)
        _remove_dirs(self._created)
