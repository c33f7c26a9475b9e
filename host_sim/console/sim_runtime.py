"""The simulated board behind a console: runs the boot script in a Simulator on its own
thread (the Lua task), restarts it on request, and is the `console` link the
Simulator's rtos.console_read/console_reply use (docs/rtos-contract.md, *Console*)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ..simulator import VERSION, MemoryLimitTooSmall, RunResult, Simulator
from luasys import protocol as p
from .safe_mode import SafeMode, banner_line
from .server import Output

STOP_TIMEOUT_S = 5  # how long a restart waits for the running script to stop
TOPIC = "SYS_CONSOLE"  # console.lua's console.TOPIC
TOPIC_INTERRUPT = "interrupt"  # TOPIC's argument for `interrupt`: console.lua's console.INTERRUPT


class SimulatedRuntime:
    """One Lua runtime at a time, like the firmware's Lua task, plus the one-slot
    inbox through which the console hands requests to it."""

    version = f"LuaSys-{VERSION}"

    def __init__(self, output: Output, boot_script: Path, simulator_options: dict | None = None,
                 safe_mode: SafeMode | None = None) -> None:
        self._output = output
        self.safe_mode = safe_mode
        self._boot_script = boot_script
        self._options = simulator_options or {}
        self._sim: Simulator | None = None
        self._thread: threading.Thread | None = None
        self._on_trial: Simulator | None = None  # the boot's run, while its start is on trial
        self._slot = threading.Condition()
        self._pending: tuple[str | None, bytes] | None = None
        self._booted_at = time.monotonic()

    # -- lifecycle ------------------------------------------------------------------

    def boot(self, reset_reason: str = "poweron") -> None:
        """A reset (`reset_reason` as esp_reset_reason() names it, without ESP_RST_):
        the banner, then the boot script in a fresh runtime."""
        self.stop(abandon=True)
        self._booted_at = time.monotonic()
        self._output.raw(p.banner(self.version))
        if self.safe_mode is not None and not self.safe_mode.enter_boot(self._boot_script, reset_reason):
            self._output.line(banner_line(self.safe_mode.failed()))
            return
        self.start(None, guarded=self.safe_mode is not None)

    def start(self, script: str | None, idle_tag: str | None = None, guarded: bool = False) -> None:
        """Starts `script` (None: the boot script); call stop() first. `idle_tag`: a
        `run <path> idle`'s, whose run ends when idle and is then answered with how it
        ended. `guarded`: the boot's run, whose start passes after safe_mode.grace_s or
        when it returns."""
        script = Path(script) if script else self._boot_script
        sim = Simulator(virtual_time=False, output=self._output.line, console=self,
                        exit_when_idle=idle_tag is not None, **self._options)
        self._sim = sim
        self._on_trial = sim if guarded and script.is_file() else None
        self._thread = threading.Thread(target=self._run_script, args=(sim, script, idle_tag), daemon=True,
                                        name="lua")
        self._thread.start()
        if self._on_trial is not None:
            timer = threading.Timer(self.safe_mode.grace_s, self._settle, args=(sim, True))
            timer.daemon = True
            timer.start()

    def _settle(self, sim: Simulator, good: bool) -> None:
        """Ends `sim`'s trial, if it is still on trial: a good start, or a failed one."""
        with self._slot:
            if self._on_trial is not sim:
                return
            self._on_trial = None
        if good:
            self.safe_mode.healthy()
        else:
            self.safe_mode.start_failed()

    def stop(self, abandon: bool = False) -> None:
        """Ends the current run, if any. A run that does not stop (a task that never
        yields) is an error, or with `abandon` (a reset) left behind: its Lua state is
        its own, so the next run is not disturbed by it."""
        if self._sim is None:
            return
        self._sim.stop()
        self._thread.join(STOP_TIMEOUT_S)
        if self._thread.is_alive() and not abandon:
            raise p.ProtocolError("busy", f"the running script did not stop within {STOP_TIMEOUT_S:g} s (a task that "
                                          "never yields?); it stops at its next yield, a reset stops it now")
        self._sim = None
        self._drop_pending()

    def _drop_pending(self) -> None:
        """Answers a request the ended run never took, rather than leaving it to time out."""
        with self._slot:
            pending, self._pending = self._pending, None
            self._slot.notify_all()
        if pending is None:
            return
        tag, _source = pending
        if tag:
            self._output.raw(p.encode_error(tag, "no-runtime", "the script ended before it took the request"))
        else:
            self._output.line("console: error: the script ended before it took the line")

    def _run_script(self, sim: Simulator, script: Path, idle_tag: str | None) -> None:
        if not script.is_file():
            self._output.line(f"luasys: no {script.name} to run; push one (luasys push {script.name})")
            return
        try:
            result = sim.run_file(script)
        except MemoryLimitTooSmall as error:
            result = RunResult("error", sim.now_ms(), f"luasys: {error} (--memory-limit)")
        ending = self._report_end(sim, script, result)
        if idle_tag is not None and ending is not None:
            self._output.raw(p.encode_reply(idle_tag, p.OK, ending))

    def _report_end(self, sim: Simulator, script: Path, result) -> str | None:
        """Says how the run ended, as the firmware's app does; returns the ending a
        `run ... idle` is answered with (None: a reboot, which answers nothing)."""
        if self._sim is sim:
            self._drop_pending()
        stopped = sim.stopping  # an error that the stop raised in a busy task is a stop
        self._settle(sim, stopped or result.status != "error")  # a clean end or stop settles the start
        if stopped:
            self._output.line(f"luasys: {script.name} stopped")
            return "stopped"
        if result.status == "error":
            self._output.line(result.error)
            self._output.line(f"luasys: {script.name} ended with an error (traceback above)")
            return "error"
        if result.status == "reboot":
            self._output.line("luasys: rtos.reboot()")
            threading.Thread(target=self.boot, args=("sw",), daemon=True).start()
            return None
        self._output.line(f"luasys: {script.name} finished")
        return "finished"

    def uptime_ms(self) -> int:
        """Milliseconds since the last boot (a reset), across runs: esp_timer_get_time()'s
        count on a chip. rtos.millis() starts with each run."""
        return int((time.monotonic() - self._booted_at) * 1000)

    # -- the console link ---------------------------------------------------------------

    def interrupt(self) -> None:
        """Ctrl-C: the console chunk running gets the error "interrupted"; console.lua
        cancels those that wait (sys.wait, sys.waitUntil)."""
        sim = self._sim
        if sim is None:
            return
        sim.interrupt()
        if self._thread.is_alive() and not sim.post(TOPIC, TOPIC_INTERRUPT):
            raise p.ProtocolError("busy", "the message queue is full")

    def submit(self, tag: str | None, source: bytes) -> None:
        """Hands a request to the Lua loop: waits for the slot, posts TOPIC."""
        sim = self._sim
        if sim is not None:
            sim.interrupting = False  # an interrupt is for the chunk running before this one
        if sim is None or not self._thread.is_alive():
            raise p.ProtocolError("no-runtime", "no script is running (use run or restart)", tag or p.NO_TAG)
        with self._slot:
            if not self._slot.wait_for(lambda: self._pending is None, p.READY_TIMEOUT_S):
                raise p.ProtocolError("busy", "the Lua loop has not taken the previous request", tag or p.NO_TAG)
            self._pending = (tag, source)
        if not sim.post(TOPIC):
            with self._slot:
                self._pending = None
                self._slot.notify_all()
            raise p.ProtocolError("busy", "the message queue is full", tag or p.NO_TAG)

    def read(self) -> tuple[bytes | None, bytes] | None:
        """rtos.console_read: the pending request (tag or nil, source), or nil."""
        with self._slot:
            pending, self._pending = self._pending, None
            self._slot.notify_all()
        if pending is None:
            return None
        tag, source = pending
        return (tag.encode() if tag else None, source)

    def reply(self, tag: bytes, ok: bool, text: bytes) -> bool:
        """rtos.console_reply: answers a tool's request; False (nothing sent) for a
        string that is no tag."""
        tag_text = tag.decode("latin-1")  # a byte per character: a non-ASCII byte is no tag character
        if not p.is_tag(tag_text):
            return False
        self._output.raw(p.encode_data(tag_text, text) if ok else p.encode_lua_error(tag_text, text))
        return True
