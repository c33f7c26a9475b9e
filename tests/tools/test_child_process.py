"""Device processes die with whoever started them (luasys.child_process): a parent
killed with no chance to clean up (SIGKILL, a timeout, a closed terminal) leaves no
device process behind, even one that never reads to the end of its input (a device
whose console is wedged). And a `luasys native --serial`
server asked to end (SIGTERM, SIGHUP) ends its device process first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backends import serial_device_command
from luasys import child_process

WAIT_S = 20
SPINNING = 'print("spinning")\nwhile true do end\n'


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def the_child(pid: int) -> int:
    """The one child process `pid` has, once it has started it."""
    deadline = time.monotonic() + WAIT_S
    while not (started := children(pid)):
        assert time.monotonic() < deadline, f"process {pid} started no child within {WAIT_S} s"
        time.sleep(0.05)
    assert len(started) == 1, started
    return started[0]


def is_gone(pid: int) -> bool:
    """The process ended: reaped, or a zombie waiting for its new parent to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + WAIT_S
    while not is_gone(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)  # the leak found: leave nothing running
            return False
        time.sleep(0.05)
    return True


def deaf_device(tmp_path: Path) -> Path:
    """A stand-in for a device whose console never gets to read its input (wedged, or a
    firmware whose console a busy task starves): a program that only a signal ends."""
    program = tmp_path / "deaf-device"
    program.write_text("#!/bin/sh\nexec sleep 600\n")
    program.chmod(0o755)
    return program


def killed_parent_leaves_no_child(parent_argv: list[str]) -> None:
    """Starts `parent_argv`, which prints a line once it has started its one child,
    SIGKILLs it and asserts its child ends too."""
    parent = subprocess.Popen(parent_argv, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline(), "the parent printed nothing"
        child = the_child(parent.pid)
    finally:
        parent.kill()
        parent.wait()
    assert wait_gone(child), f"process {child} outlived its killed parent"


def test_a_killed_native_server_takes_its_device_process_with_it(tmp_path: Path):
    killed_parent_leaves_no_child([sys.executable, "-m", "luasys", "native", "--serial", "--idf-linux",
                                   "--binary", str(deaf_device(tmp_path)), "--fs", str(tmp_path / "fs")])


def test_a_killed_console_client_takes_its_device_process_with_it(tmp_path: Path):
    # `--port exec:COMMAND` (and `--port native`) run the device as the client's child.
    client = ("from luasys.transport import open_transport\n"
              f"transport = open_transport('exec:{deaf_device(tmp_path)}')\n"
              "print('started', flush=True)\n"
              "import time; time.sleep(600)\n")
    killed_parent_leaves_no_child([sys.executable, "-c", client])


@pytest.fixture(params=["native", "idf-linux"])
def spinning_server(request, tmp_path: Path):
    """A `luasys native --serial` whose device spins in its main.lua; yields (server,
    device pid)."""
    fs = tmp_path / "fs"
    fs.mkdir()
    (fs / "main.lua").write_text(SPINNING)
    server = subprocess.Popen(serial_device_command(request.param, fs), stdout=subprocess.PIPE, text=True)
    device = None
    try:
        assert server.stdout.readline().strip(), "the server printed no pty"
        device = the_child(server.pid)
        yield server, device
    finally:
        server.kill()
        server.wait()
        if device is not None:
            wait_gone(device)  # which kills it if it is still running


@pytest.mark.parametrize("ending", [signal.SIGTERM, signal.SIGHUP])
def test_a_server_asked_to_end_ends_its_device_process(spinning_server, ending):
    server, device = spinning_server
    server.send_signal(ending)
    assert server.wait(WAIT_S) == 128 + ending
    # A signal that lands while the device is still being started (forked, not yet
    # exec'd) ends the server before it knows its child: the kernel ends that one.
    assert wait_gone(device), f"device process {device} outlived its server's end"


def test_stop_ends_the_childs_process_group():
    # A shell that starts a grandchild in its (the child's own) process group.
    child = child_process.spawn(["sh", "-c", "sleep 600 & echo $!; wait"], stdout=subprocess.PIPE, text=True)
    grandchild = int(child.stdout.readline())
    child.stdout.close()
    assert child_process.stop(child) == -signal.SIGTERM
    assert wait_gone(grandchild), f"process {grandchild} outlived its process group's stop"


def test_a_killed_test_run_takes_its_pytest_embedded_qemu_with_it(tmp_path: Path):
    # pytest-embedded starts QEMU (the `qemu` device kind) with a plain Popen, and a QEMU
    # never ends by itself: luasys.qemu_device hands it a program that execs QEMU with
    # the kernel's SIGKILL on its parent's death.
    from esp32c3_qemu import firmware

    options = firmware().pytest_embedded_options()
    # A test run (pytest-embedded's factory works under pytest only) that holds a dut.
    (tmp_path / "test_hold.py").write_text(
        "from pytest_embedded.dut_factory import DutFactory\n\n\n"
        "def test_hold():\n"
        f"    dut = DutFactory.create(**{options!r})\n"
        "    print(dut.qemu.pid, flush=True)\n"
        "    import time; time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                               "test_hold.py"], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    others: list[int] = []
    try:
        qemu = int(next(line for line in parent.stdout if line.strip().isdigit()))
        others = [pid for pid in children(parent.pid) if pid != qemu]
        deadline = time.monotonic() + WAIT_S
        while not Path(f"/proc/{qemu}/exe").resolve().name.startswith("qemu-system"):
            assert time.monotonic() < deadline, f"process {qemu} did not become QEMU"  # setpriv execs it
            time.sleep(0.05)
    finally:
        parent.kill()
        parent.wait()
        for pid in others:  # pytest-embedded's own helper processes, which outlive it: not ours
            os.kill(pid, signal.SIGKILL)
    assert wait_gone(qemu), f"QEMU {qemu} outlived the killed test run"
