"""Shows what the device prints while the command waits for something else (the user's
next line, the next save), on a thread; the command takes the client back to talk to
the device."""

from __future__ import annotations

import threading

from .console_client import ConsoleClient

PUMP_S = 0.1  # how long the thread reads before it looks whether to pause


class OutputPump:
    """`with pump:` passes the device's output through for as long as the block runs;
    when it ends, the client is the caller's again."""

    def __init__(self, client: ConsoleClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._waiting = threading.Event()
        threading.Thread(target=self._run, daemon=True, name="device-output").start()

    def _run(self) -> None:
        while True:
            self._waiting.wait()
            with self._lock:
                if not self._waiting.is_set():  # paused while this thread waited for the lock
                    continue
                try:
                    self._client.pump(PUMP_S)
                except OSError:
                    return

    def __enter__(self) -> None:
        self._waiting.set()

    def __exit__(self, *exc) -> None:
        self._waiting.clear()
        self._lock.acquire()
        self._lock.release()
