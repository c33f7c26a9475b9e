"""Safe mode (docs/reliability.md): a main.lua whose start fails for real N times in a
row is not run at the next boot. Real failures only: the main chunk raised before the
start settled, or a crash (a panic: a native process killed by SIGSEGV) reset the
device while it was on trial. Connections, status queries, clean stops, restarts,
resets asked for and busy loops stopped by the host never count. The same scenarios
on the simulator (`luasys sim --serial`), the native build (`luasys native --serial`)
and the firmware built for ESP-IDF's linux target (`luasys native --serial
--idf-linux`), which keep running between connections, like a board.

Where the linux target differs, and why: ESP-IDF reports every boot there as a power-on
(esp_system/port/soc/linux/reset_reason.c), so a crash cannot be told from a power
cycle and never counts; its safe-mode limits are the Kconfig ones (3 starts, a 5 s
grace)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from backends import SERIAL_DEVICES, serial_device_command
from luasys import child_process
from luasys.cli import main
from luasys.console_client import ConsoleClient
from luasys.transport import open_transport

WAIT_S = 20
HEALTHY = 'print("healthy")\nsys.timerLoopStart(function() end, 1000)\nsys.run()\n'
BROKEN = 'error("broken at start")\n'


def start_device(kind: str, fs: Path, grace_ms: int) -> tuple[subprocess.Popen, str]:
    command = serial_device_command(kind, fs)
    if kind != "idf-linux":  # which has the Kconfig's grace
        command += ["--safe-mode-grace", str(grace_ms)]
    server = child_process.spawn(command, stdout=subprocess.PIPE, text=True)
    return server, server.stdout.readline().strip()


@pytest.fixture(params=SERIAL_DEVICES)
def kind(request) -> str:
    return request.param


@pytest.fixture
def device(kind, tmp_path: Path):
    """Starts a device whose filesystem holds `main_lua` as main.lua; a long grace keeps
    its start on trial for the whole test. Returns (port, fs, server)."""
    servers = []

    def start(main_lua: str = HEALTHY, grace_ms: int = 60000) -> tuple[str, Path, subprocess.Popen]:
        fs = tmp_path / "fs"
        fs.mkdir()
        (fs / "main.lua").write_text(main_lua)
        server, port = start_device(kind, fs, grace_ms)
        servers.append(server)
        return port, fs, server
    yield start
    for server in servers:
        server.terminate()
        server.wait(timeout=10)


class Session:
    """One connection; collects what the device prints."""

    def __init__(self, port: str) -> None:
        self.output = bytearray()
        self._transport = open_transport(port, 115200, "fs")
        self.client = ConsoleClient(self._transport, self.output.extend, 10.0)
        self.client.hello()

    def wait_for(self, text: bytes) -> None:
        """Passes output through until `text` has been printed (then forgets it)."""
        deadline = time.monotonic() + WAIT_S
        while text not in self.output:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{text!r} never came; got {bytes(self.output)!r}")
            self.client.pump(0.05)
        del self.output[:self.output.index(text) + len(text)]

    def wait_failed(self, count: int) -> None:
        """Waits until the device has counted `count` failed starts (the boot at power-on
        may fail before this client connected, its output unseen)."""
        deadline = time.monotonic() + WAIT_S
        while self.client.safe_status()[1] != count:
            assert time.monotonic() < deadline, f"the count never reached {count}"
            self.client.pump(0.05)

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self._transport.close()


def test_connections_queries_restarts_and_resets_never_count(device):
    port, _fs, _server = device()
    for _ in range(5):  # each a new connection, while the boot's start is still on trial
        with Session(port) as s:
            assert s.client.safe_status() == ("off", 0, 3)
    with Session(port) as s:
        for _ in range(4):
            s.client.restart()
            s.wait_for(b"healthy")
        for _ in range(4):
            s.client.reset()
            s.wait_for(b"healthy")
        assert s.client.safe_status() == ("off", 0, 3)
        assert "healthy" not in s.client.eval("'alive'") and s.client.eval("'alive'") == "alive"


def test_the_device_keeps_running_between_connections(device):
    port, _fs, _server = device()
    with Session(port) as s:
        first = int(s.client.eval("rtos.millis()"))
        s.client.eval("sys.timerStart(function() print('still here') end, 200)")
    with Session(port) as s:  # no reset: the timer set by the last connection fires
        s.wait_for(b"still here")
        assert int(s.client.eval("rtos.millis()")) > first
        assert "millis=" in s.client.describe()


def test_an_error_at_start_counts_and_three_mean_safe_mode(device):
    port, fs, _server = device(BROKEN)
    with Session(port) as s:
        s.wait_failed(1)  # the boot at power-on failed once
        seen = [s.client.safe_status()]
        for attempt in range(3):
            s.client.reset()
            if attempt < 2:
                s.wait_failed(attempt + 2)
            seen.append(s.client.safe_status())
        s.client.pump(0.1)
        assert b"SAFE MODE" in bytes(s.output)
        assert seen == [("off", 1, 3), ("off", 2, 3), ("off", 3, 3), ("on", 3, 3)]
        assert [name for _, name in s.client.ls()] == ["main.lua"]  # the record is not listed
        s.client.put("main.lua", HEALTHY.encode())  # a new main.lua clears the count
        assert s.client.safe_status() == ("off", 0, 3)
        s.client.reset()
        s.wait_for(b"healthy")
    assert main(["safe-mode", "--port", port]) == 0


def test_luasys_safe_mode_clear_leaves_zero(device, capsys):
    port, fs, _server = device(BROKEN)
    with Session(port) as s:
        s.wait_failed(1)
        for count in (2, 3):
            s.client.reset()
            s.wait_failed(count)
    assert main(["reset", "--port", port]) == 0  # the third failure's count puts the next boot in safe mode
    assert main(["safe-mode", "--port", port]) == 0
    assert "safe mode on: 3 failed start(s) in a row, limit 3" in capsys.readouterr().out
    assert main(["safe-mode", "--clear", "--port", port]) == 0
    assert main(["safe-mode", "--port", port]) == 0
    out = capsys.readouterr().out
    assert "safe mode off: 0 failed start(s)" in out and "1 failed" not in out
    assert not (fs / ".safe_mode").exists()


def test_a_busy_start_stopped_by_the_host_does_not_count(device, kind):
    port, _fs, _server = device('print("spinning")\nwhile true do end\n')
    with Session(port) as s:
        s.client.restart()  # the host stops the busy main chunk: not a failure of the script
        s.wait_for(b"spinning")
        s.client.reset()
        s.wait_for(b"spinning")
        assert s.client.safe_status() == ("off", 0, 3)


def native_child(server: subprocess.Popen) -> int:
    """The pid of the native process the server runs now."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def test_a_crash_before_the_start_settled_counts(device, kind):
    if kind == "sim":
        pytest.skip("the simulator has no panic")
    port, _fs, server = device(HEALTHY)
    # On the linux target every boot is a power-on to esp_reset_reason(): the crash is
    # not told from a power cycle, which never counts (a board's RTC memory forgets).
    # Its FreeRTOS port catches the SIGSEGV and exits with status 1.
    linux = kind == "idf-linux"
    counted = not linux
    with Session(port) as s:
        for crash in (1, 2, 3):  # hello() answered: the process runs, its start on trial
            os.kill(native_child(server), signal.SIGSEGV)  # a panic while the start is on trial
            s.wait_for(b"crashed (exit status 1)" if linux else b"crashed (SIGSEGV)")
            s.client.hello()
            assert s.client.safe_status()[1] == (crash if counted else 0)
        s.client.pump(0.2)
        assert s.client.safe_status() == (("on", 3, 3) if counted else ("off", 0, 3))
