"""The interactive commands through a real pty (pexpect), waiting on output, on every
serial device (simulator, native build, linux target): the REPL
(prompt, values, `=expr`, multi-line chunks, history, Ctrl-C) and `luasys watch` (push
on save, restart, output streamed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pexpect
import pytest

from luasys import child_process
from luasys.cli import main
from luasys.repl_command import interrupts_deferred

from backends import SERIAL_DEVICES, serial_device_command

TIMEOUT_S = 20


@pytest.fixture(params=SERIAL_DEVICES)
def device(request, tmp_path: Path):
    """(its pty, its filesystem)."""
    fs = tmp_path / "fs"
    fs.mkdir()
    (fs / "main.lua").write_text("sys.timerLoopStart(function() end, 1000)\nsys.run()\n")
    server = child_process.spawn(serial_device_command(request.param, fs), stdout=subprocess.PIPE, text=True)
    yield server.stdout.readline().strip(), fs, request.param
    server.terminate()
    server.wait(timeout=10)


def spawn(tmp_path: Path, *argv: str) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, ["-m", "luasys", *argv], timeout=TIMEOUT_S, encoding="utf-8",
                         env={"LUASYS_HISTORY": str(tmp_path / "history"), "PATH": "/usr/bin:/bin",
                              "TERM": "dumb", "PYTHONPATH": ":".join(sys.path)})


def test_the_repl(device, tmp_path: Path):
    port, _fs, _kind = device
    repl = spawn(tmp_path, "repl", "--port", port)
    repl.expect_exact("> ")
    repl.sendline("1 + 1")
    repl.expect_exact("2\r\n")
    repl.expect_exact("> ")
    repl.sendline("=2 * 3")
    repl.expect_exact("6\r\n")
    repl.expect_exact("> ")
    repl.sendline("for i = 1, 2 do")  # incomplete: continues, as lua.c does on <eof>
    repl.expect_exact(">> ")
    repl.sendline("print('line', i)")
    repl.expect_exact(">> ")
    repl.sendline("end")
    repl.expect_exact("line\t1")
    repl.expect_exact("line\t2")
    repl.expect_exact("> ")
    repl.sendline("x = 41")
    repl.expect_exact("> ")
    repl.sendline("x + 1")
    repl.expect_exact("42\r\n")
    repl.expect_exact("> ")
    repl.send("\x1b[A\r")  # the up arrow: the last line again, from the history
    repl.expect_exact("42\r\n")
    repl.expect_exact("> ")
    repl.sendline("error('boom')")
    repl.expect("error: .*boom")
    repl.expect_exact("> ")
    # A chunk that never ends: Ctrl-C interrupts it.
    repl.sendline("y = 1 print('spin' .. 'ning') while true do end")
    repl.expect_exact("spinning")  # printed by the device (the typed line says 'spin' .. 'ning')
    repl.sendcontrol("c")
    repl.expect_exact("^C")
    repl.expect("error: .*interrupted")
    repl.expect_exact("> ")
    repl.sendline("y + 1")  # the same running program answers: no restart, y is still there
    repl.expect_exact("2\r\n")
    repl.expect_exact("> ")
    repl.sendeof()
    repl.expect(pexpect.EOF)
    repl.close()
    assert repl.exitstatus == 0
    assert "x + 1" in (tmp_path / "history").read_text()
    assert main(["eval", "6 * 7", "--port", port]) == 0


def test_ctrl_c_ends_a_chunk_that_waits(device, tmp_path: Path):
    """A chunk parked in sys.wait or sys.waitUntil runs no Lua the count hook could stop:
    the interrupt cancels it instead. The tasks it started and the rest go on."""
    port, _fs, _kind = device
    repl = spawn(tmp_path, "repl", "--port", port)
    repl.expect_exact("> ")
    repl.sendline("ticks = 0 sys.taskInit(function() while true do sys.wait(10) ticks = ticks + 1 end end)")
    repl.expect_exact("> ")
    repl.sendline("print('wait' .. 'ing') sys.wait(600000) print('never')")
    repl.expect_exact("waiting")
    repl.sendcontrol("c")
    repl.expect_exact("^C")
    repl.expect("error: .*interrupted")
    repl.expect_exact("> ")
    repl.sendline("print('until' .. ' parked') sys.waitUntil('WAKE') print('wo' .. 'ke')")
    repl.expect_exact("until parked")
    repl.sendcontrol("c")
    repl.expect("error: .*interrupted")
    repl.expect_exact("> ")
    # The cancelled chunk is gone: waking its topic prints nothing; the task started
    # before the interrupts still counts.
    repl.sendline("sys.publish('WAKE') local before = ticks sys.wait(100) print('after', ticks > before)")
    repl.expect_exact("after\ttrue")
    repl.expect_exact("> ")
    assert "woke" not in repl.before
    repl.sendeof()
    repl.expect(pexpect.EOF)
    repl.close()
    assert repl.exitstatus == 0


def test_watch_pushes_on_save_and_restarts(device, tmp_path: Path):
    port, fs, _kind = device
    folder = tmp_path / "app"
    folder.mkdir()
    script = folder / "main.lua"
    script.write_text("print('version 1')\nsys.run()\n")
    (folder / "old.lua").write_text("-- deleted below\n")
    (folder / ".main.lua.swp").write_text("an editor's swap file: never pushed")
    watch = spawn(tmp_path, "watch", str(folder), "--port", port)
    watch.expect_exact("pushed main.lua, old.lua; running main.lua")
    watch.expect_exact("version 1")
    script.write_text("print('version 2', require('lib.util'))\nsys.run()\n")
    (folder / "lib").mkdir()
    (folder / "lib" / "util.lua").write_text("return 'util'\n")
    (folder / "old.lua").unlink()
    watch.expect_exact("removed old.lua")
    watch.expect_exact("version 2\tutil")
    assert (fs / "main.lua").read_text() == "print('version 2', require('lib.util'))\nsys.run()\n"
    assert (fs / "lib" / "util.lua").is_file() and not (fs / "old.lua").exists()
    assert not (fs / ".main.lua.swp").exists()
    watch.kill(signal.SIGINT)
    watch.expect(pexpect.EOF)
    watch.close()
    assert watch.exitstatus == 130 or watch.signalstatus == signal.SIGINT


def test_a_ctrl_c_while_a_chunk_is_sent_waits_until_the_request_is_out():
    """A Ctrl-C while the REPL sends a chunk must not cut the request short (the device
    would read the rest as source). With another thread running, as the REPL's output
    pump is, blocking SIGINT in the main thread does not hold it back: the kernel hands
    it to the other thread and Python raises it in the main thread all the same."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    sent = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with interrupts_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0)  # a point where Python would raise it
                sent.append("the rest of the request")
        assert sent == ["the rest of the request"]
    finally:
        stop.set()
