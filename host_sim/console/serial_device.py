"""A "device" on a pty: every time a client opens the port the device resets (as a
development board does when a monitor opens its port), prints its banner and serves
the console until the client closes the port.

Two devices: the simulator (in this process) and the native host build (a child
process whose console is its stdin/stdout, relayed to the pty)."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path
from typing import Callable

from .files import FileStore
from .pty_port import PortClosed, PtyPort
from .safe_mode import SafeMode
from .server import ConsoleServer, Output
from .sim_runtime import SimulatedRuntime


def serve_forever(port: PtyPort, session: Callable[[PtyPort], None]) -> None:
    """Runs one `session` per client connection, forever."""
    while True:
        port.wait_open()
        try:
            session(port)
        except PortClosed:
            pass


def simulator_session(files: FileStore, boot_script: Path, simulator_options: dict,
                      safe_mode: dict | None = None) -> Callable[[PtyPort], None]:
    def session(port: PtyPort) -> None:
        files.remove_leftover_parts()  # a reset, as at a board's start
        output = Output(port)
        runtime = SimulatedRuntime(output, boot_script, simulator_options,
                                   SafeMode(files.root, **(safe_mode or {})))
        runtime.boot()
        try:
            ConsoleServer(port, output, files, runtime).serve()
        finally:
            runtime.stop()
    return session


def native_session(command: list[str]) -> Callable[[PtyPort], None]:
    """Relays the pty to a fresh native process per connection (its stderr merged in,
    as ESP_LOG output shares the UART with print on a board)."""
    def session(port: PtyPort) -> None:
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, bufsize=0)
        try:
            _relay(port, child)
        finally:
            child.kill()
            child.wait()
    return session


def _relay(port: PtyPort, child: subprocess.Popen) -> None:
    def pump_output() -> None:
        for chunk in iter(lambda: os.read(child.stdout.fileno(), 4096), b""):
            port.write(chunk)
        port.write(f"luasys: the native process exited with status {child.wait()}\r\n".encode())

    threading.Thread(target=pump_output, daemon=True, name="native-output").start()
    while True:
        data = port.read(None)  # PortClosed ends the session
        try:
            child.stdin.write(data)
        except BrokenPipeError:
            pass  # the process has exited; the port stays open until the client closes it
