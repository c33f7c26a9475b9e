"""The PC devices on a pty: like a board on its USB-serial port, a device boots once
and keeps running whether or not a client has the port open. Opening the port never
resets it; the console's `reset` verb (luasys reset) or rtos.reboot() do.

Two devices: the simulator (in this process) and a program (the native host build, or
the firmware built for ESP-IDF's linux target) in a child process whose console is its
stdin/stdout, relayed to the pty; when it ends with esp_restart()'s status or a crash,
it is started again, as a board resets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from luasys import child_process
from luasys.native_binary import RESTART_EXIT_STATUS

from .files import FileStore
from .pty_port import PortClosed, PtyPort
from .safe_mode import SafeMode
from .server import ConsoleServer, Output
from .sim_runtime import SimulatedRuntime

# Signals that end a native process the way a panic ends a board's run.
CRASH_SIGNALS = frozenset({signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL})


def serve_simulator(port: PtyPort, files: FileStore, boot_script: Path, simulator_options: dict,
                    safe_mode: dict | None = None) -> None:
    """Boots the simulated board, then serves one client connection after another."""
    output = Output(port)
    runtime = SimulatedRuntime(output, boot_script, simulator_options,
                               SafeMode(files.root, **(safe_mode or {})))
    files.remove_leftover_parts()  # a power-on, as at a board's start
    runtime.boot()
    while True:
        port.wait_open()
        try:
            ConsoleServer(port, output, files, runtime).serve()  # a fresh reader per connection
        except PortClosed:
            pass


class NativeDevice:
    """A program on a pty for as long as it keeps "resetting": its output goes to the
    client while one is connected (stderr merged in, as ESP_LOG output shares the UART
    with print on a board), the client's input to whichever process runs now.
    `restart_status` is the status the program ends with on esp_restart(), `panic_status`
    the one its own panic handler ends it with (None: a crash is a signal); `env` is added
    to its environment."""

    def __init__(self, port: PtyPort, command: list[str], restart_status: int = RESTART_EXIT_STATUS,
                 panic_status: int | None = None, env: dict[str, str] | None = None) -> None:
        self._port = port
        self._command = command
        self._restart_status = restart_status
        self._panic_status = panic_status
        self._env = env or {}
        self._child: subprocess.Popen | None = None

    def serve(self) -> int:
        """Returns the status the process ended with, when it was not a reset. The
        process ends with this one, however it ends (SystemExit, KeyboardInterrupt)."""
        try:
            return self._run_through_resets()
        finally:
            if self._child is not None:
                child_process.stop(self._child)

    def _run_through_resets(self) -> int:
        reason = "poweron"
        while True:
            child = child_process.spawn(self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, bufsize=0,
                                        env=dict(os.environ, **self._env, LUASYS_RESET_REASON=reason))
            first, self._child = self._child is None, child
            if first:
                threading.Thread(target=self._relay_input, daemon=True, name="native-input").start()
            for chunk in iter(lambda: os.read(child.stdout.fileno(), 4096), b""):
                self._port.write(chunk)
            status = child.wait()
            if status == self._restart_status:
                reason = "sw"
            elif -status in CRASH_SIGNALS or status == self._panic_status:
                reason = "panic"
                how = signal.Signals(-status).name if status < 0 else f"exit status {status}"
                self._port.write(f"luasys: the device's process crashed ({how}); "
                                 "restarting it, as a panic resets a board\r\n".encode())
            else:
                print(f"luasys native: the native process exited with status {status}", file=sys.stderr)
                return status if status > 0 else 1

    def _relay_input(self) -> None:
        while True:
            self._port.wait_open()
            try:
                while True:
                    data = self._port.read(None)
                    try:
                        self._child.stdin.write(data)
                    except (BrokenPipeError, ValueError):
                        pass  # between a process's end and the next one's start, as a UART during reset
            except PortClosed:
                continue
