"""How `luasys` reaches a console: a serial port or any pyserial URL (a board, a PC
device's pty, `socket://host:port`, `rfc2217://host:port`), or a child process's
stdin/stdout (the native build). Commands see only `Transport`."""

from __future__ import annotations

import os
import queue
import shlex
import subprocess
import threading
from typing import Protocol

import serial

from . import child_process
from .errors import CommandError
from .native_binary import native_binary


class Transport(Protocol):
    def read(self, timeout_s: float) -> bytes:
        """Some bytes, or b"" when `timeout_s` passes first."""
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class SerialTransport:
    """Opening attaches without resetting: DTR and RTS stay released, as esp-idf-monitor
    opens a port with --no-reset, so neither the classic auto-reset circuit of a UART
    bridge nor the USB-Serial-JTAG peripheral sees a reset."""

    def __init__(self, port: str, baud: int) -> None:
        try:
            self._serial = serial.serial_for_url(port, baud, timeout=0, do_not_open=True)
            self._serial.dtr = False
            self._serial.rts = False
            self._serial.open()
        except (serial.SerialException, ValueError) as error:  # ValueError: a bad URL or setting
            raise CommandError(f"{port}: cannot open as a serial port: {' '.join(str(error).split())}") from None

    @property
    def serial(self) -> serial.Serial:
        return self._serial

    def read(self, timeout_s: float) -> bytes:
        self._serial.timeout = timeout_s
        return self._serial.read(max(1, self._serial.in_waiting))

    def write(self, data: bytes) -> None:
        self._serial.write(data)
        self._serial.flush()

    def close(self) -> None:
        self._serial.close()


class ProcessTransport:
    """A child process whose console is its stdin/stdout (stderr merged, like a UART)."""

    def __init__(self, argv: list[str]) -> None:
        self._child = child_process.spawn(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, bufsize=0)
        self._chunks: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True, name="console-reader").start()

    def _pump(self) -> None:
        for chunk in iter(lambda: os.read(self._child.stdout.fileno(), 4096), b""):
            self._chunks.put(chunk)

    def read(self, timeout_s: float) -> bytes:
        try:
            return self._chunks.get(timeout=timeout_s)
        except queue.Empty:
            return b""

    def write(self, data: bytes) -> None:
        self._child.stdin.write(data)

    def close(self) -> None:
        self._child.stdin.close()
        try:
            self._child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child_process.stop(self._child)

    def terminate(self, timeout_s: float = 10) -> None:
        """Ends a child that does not end with its input (QEMU) with SIGTERM, and waits
        for it (QEMU writes the flash image back on the way out)."""
        self._child.terminate()
        try:
            self._child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()


def open_transport(port: str, baud: int = 115200, fs: str = "fs") -> Transport:
    """`native` runs the native build with its console on stdio and `fs` as its
    filesystem; `exec:COMMAND` runs any command that speaks the console on stdio;
    anything else is a serial port or a pyserial URL (a pty from `luasys sim --serial`
    included)."""
    if port == "native":
        return ProcessTransport([str(native_binary()), "--console", "--fs", fs])
    if port.startswith("exec:"):
        argv = shlex.split(port[len("exec:"):])
        if not argv:
            raise CommandError("--port exec: needs a command after it (exec:COMMAND ARGS...)")
        return ProcessTransport(argv)
    return SerialTransport(port, baud)
