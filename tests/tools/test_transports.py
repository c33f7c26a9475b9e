"""The transports pyserial's serial_for_url gives `--port`, live: a device served over
TCP, raw (`socket://`) and as RFC 2217 (`rfc2217://`, the telnet serial-port protocol
of esptool's esp_rfc2217_server and ser2net), answering the same commands as on its pty.

The TCP side is pyserial's own: its RFC 2217 server half (serial.rfc2217.PortManager)
in front of the pty of a `luasys sim --serial`, as pyserial's rfc2217_server example
runs it in front of a board's port.

The DTR/RTS lines: no board is attached here, and a pty has no modem lines (its ioctls
fail), so the bridge's port records the line changes that reach it instead of driving
them. Over RFC 2217 they are the real thing a remote board's port receives (the client
sends each change as a SET-CONTROL command). What the recording shows is their order:
attaching releases DTR and RTS and never asserts them; a reset with `--board` is
esptool's HardReset (EN pulled low through RTS, then released, DTR re-applied after each
RTS change). esptool's UART-bridge and USB-Serial-JTAG resets differ only in how long EN
is held (0.1 s or 0.2 s, then 0.2 s for re-enumeration): timings that the arrival of
commands over TCP does not preserve, so they are not asserted."""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path
from typing import Iterator

import pytest
import serial
import serial.rfc2217

from backends import serial_device_command
from luasys import child_process
from luasys.cli import main

# pyserial's RFC 2217 client names its thread with setName()/setDaemon().
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:serial.rfc2217")


class RecordingPty(serial.Serial):
    """The pty of a PC device, whose DTR/RTS changes are recorded, not driven; its modem
    status lines (which RFC 2217 reports to the client) read as not asserted."""

    cts = dsr = ri = cd = False

    def __init__(self, *args, **kwargs) -> None:
        self.lines: list[tuple[str, bool]] = []
        super().__init__(*args, **kwargs)

    def _update_dtr_state(self) -> None:
        self.lines.append(("dtr", self._dtr_state))

    def _update_rts_state(self) -> None:
        self.lines.append(("rts", self._rts_state))


class Connection:
    """A client's socket as PortManager writes to it (its `write`)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def write(self, data: bytes) -> None:
        self._sock.sendall(data)


class TcpBridge:
    """Serves `pty` on a local TCP port, one client at a time: raw bytes, or RFC 2217."""

    def __init__(self, pty: str, rfc2217: bool) -> None:
        self.port = RecordingPty(pty, 115200, timeout=0.05)
        self.port.lines.clear()  # what opening it did is this side's, not a client's
        self._rfc2217 = rfc2217
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"{'rfc2217' if rfc2217 else 'socket'}://127.0.0.1:{self._listener.getsockname()[1]}"
        self._server = threading.Thread(target=self._serve, daemon=True, name="tcp-bridge")
        self._server.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            with connection:
                self._relay(connection)

    def _relay(self, connection: socket.socket) -> None:
        manager = serial.rfc2217.PortManager(self.port, Connection(connection)) if self._rfc2217 else None
        done = threading.Event()

        def device_to_client() -> None:
            while not done.is_set():
                data = self.port.read(4096)
                if data:
                    connection.sendall(b"".join(manager.escape(data)) if manager else data)

        reader = threading.Thread(target=device_to_client, daemon=True)
        reader.start()
        try:
            while data := connection.recv(4096):
                self.port.write(b"".join(manager.filter(data)) if manager else data)
        except ConnectionError:
            pass  # the client went away
        finally:
            done.set()
            reader.join()

    def close(self) -> None:
        """After the last client has gone."""
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept(), which close() alone does not
        self._listener.close()
        self._server.join(timeout=10)
        self.port.close()


@pytest.fixture
def pty(tmp_path: Path) -> Iterator[str]:
    fs = tmp_path / "fs"
    fs.mkdir()
    (fs / "main.lua").write_text("print('booted')\nsys.timerLoopStart(function() end, 1000)\nsys.run()\n")
    server = child_process.spawn(serial_device_command("sim", fs), stdout=subprocess.PIPE, text=True)
    yield server.stdout.readline().strip()
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(params=["socket", "rfc2217"])
def bridge(request, pty: str) -> Iterator[TcpBridge]:
    bridge = TcpBridge(pty, rfc2217=request.param == "rfc2217")
    yield bridge
    bridge.close()


def test_commands_over_tcp(bridge: TcpBridge, capsys):
    assert main(["eval", "6 * 7", "--port", bridge.url]) == 0
    assert capsys.readouterr().out == "42\n"
    assert main(["push", __file__, "t/over_tcp.py", "--port", bridge.url]) == 0
    assert main(["ls", "t", "--port", bridge.url]) == 0
    assert "over_tcp.py" in capsys.readouterr().out
    assert main(["get", "t/over_tcp.py", "-", "--port", bridge.url]) == 0
    assert capsys.readouterr().out == Path(__file__).read_text()
    assert main(["push", __file__, "t/a.py", "+", "eval", "'chained'", "--port", bridge.url]) == 0
    assert "chained" in capsys.readouterr().out


def test_attaching_over_rfc2217_releases_dtr_and_rts_and_asserts_neither(pty: str, capsys):
    bridge = TcpBridge(pty, rfc2217=True)
    try:
        for _ in range(2):
            assert main(["eval", "'attached'", "--port", bridge.url]) == 0
        assert capsys.readouterr().out == "attached\nattached\n"
        assert bridge.port.lines and set(bridge.port.lines) <= {("dtr", False), ("rts", False)}
    finally:
        bridge.close()


@pytest.mark.parametrize("kind", ["usb-serial-jtag", "CP210x"])
def test_a_board_reset_over_rfc2217_pulses_en_through_rts(pty: str, kind: str, capsys):
    bridge = TcpBridge(pty, rfc2217=True)
    try:
        assert main(["reset", "--board", kind, "--port", bridge.url]) == 0
        assert f"({kind}) through its DTR/RTS lines" in capsys.readouterr().err
        lines = bridge.port.lines
        first_asserted = lines.index(("rts", True))
        assert set(lines[:first_asserted]) <= {("dtr", False), ("rts", False)}  # attached, released
        # EN low (RTS asserted), DTR re-applied; EN high again, DTR re-applied: esptool's HardReset.
        assert lines[first_asserted:] == [("rts", True), ("dtr", False), ("rts", False), ("dtr", False)]
    finally:
        bridge.close()
