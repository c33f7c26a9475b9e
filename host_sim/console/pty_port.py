"""A raw pseudo-terminal that behaves like a device's USB-serial port.

The pty is in packet mode (TIOCPKT) so the device side learns when a client opens the
port and flushes its input, as pyserial does on open: output written before that
flush would be lost, so `wait_open` returns only after it (or after a grace period,
for clients that never flush). A client closing the port is seen as PortClosed, and
so is a flush while connected: a client that closes and reopens at once may leave no
hang-up to see, but its open flushes; no LuaSys tool flushes in mid-session.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import termios
import time
import tty

TIOCPKT_FLUSHREAD = 0x01
OPEN_POLL_S = 0.02   # how often a closed port is checked for a client
FLUSH_GRACE_S = 0.5  # how long to wait for an opening client's flush


class PortClosed(Exception):
    """The client closed the port."""


class PtyPort:
    def __init__(self) -> None:
        self._master, slave = pty.openpty()
        tty.setraw(slave)  # no echo, no line editing, no CR/LF translation
        self.name = os.ttyname(slave)
        os.close(slave)  # so that the device sees when the last client closes it
        fcntl.ioctl(self._master, termios.TIOCPKT, struct.pack("i", 1))
        self._poll = select.poll()
        self._poll.register(self._master, select.POLLIN)
        self.connected = False
        self._reopened = False  # a reconnect was seen by its flush: no need to wait again
        self._pending = bytearray()  # what a client sent while its open was being seen

    def wait_open(self) -> None:
        """Blocks until a client has opened the port (seen by its flush, by the first
        bytes it sends, or after a grace period for clients that do neither). What the
        client sends from then on is kept: a client may send at once, since opening
        the port does not reset the device."""
        if self._reopened:
            self._reopened = False
            self.connected = True
            return
        while self._hung_up():
            self._drain_stale()
            time.sleep(OPEN_POLL_S)
        deadline = time.monotonic() + FLUSH_GRACE_S
        while time.monotonic() < deadline:
            events = self._poll.poll(int((deadline - time.monotonic()) * 1000) + 1)
            if not events or self._hung_up():
                continue
            packet = os.read(self._master, 4096)
            if packet[0] == 0 and len(packet) > 1:
                self._pending += packet[1:]
                break
            if packet[0] & TIOCPKT_FLUSHREAD:
                break
        self.connected = True

    def _drain_stale(self) -> None:
        """Bytes a client wrote just before it closed: no one is there to answer."""
        while self._poll.poll(0):
            try:
                os.read(self._master, 4096)
            except OSError:
                return
            if self._hung_up():
                return

    def read(self, timeout_s: float | None) -> bytes:
        """Bytes from the client; b"" when `timeout_s` passes first."""
        if self._pending:
            data, self._pending = bytes(self._pending), bytearray()
            return data
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            wait = -1 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
            if not self._poll.poll(wait):
                return b""
            if self._hung_up():
                self.connected = False
                raise PortClosed()
            try:
                packet = os.read(self._master, 4096)
            except OSError:
                self.connected = False
                raise PortClosed() from None
            if packet[0] == 0 and len(packet) > 1:
                return packet[1:]
            if packet[0] & TIOCPKT_FLUSHREAD:
                self.connected, self._reopened = False, True
                raise PortClosed()
            if deadline is not None and time.monotonic() >= deadline:
                return b""

    def write(self, data: bytes) -> None:
        """Sends to the client; dropped, as a UART's output is, when nobody listens."""
        if not self.connected:
            return
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._master, view):]
            except OSError:
                self.connected = False
                return

    def _hung_up(self) -> bool:
        return any(event & select.POLLHUP for _, event in self._poll.poll(0))

    def close(self) -> None:
        os.close(self._master)
