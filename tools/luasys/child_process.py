"""Device processes that die with whoever started them. Every device process on this
PC (a `luasys sim|native --serial` server, the native build, the firmware built for
ESP-IDF's linux target) is started here: a parent killed without a chance to clean up
(SIGKILL, a timeout, a closed terminal) would otherwise leave it running, and one busy
in a Lua loop never reads the end of its input to notice.

On Linux the child asks the kernel for SIGKILL when its parent dies
(prctl(PR_SET_PDEATHSIG)); it leads its own process group, which `stop` ends on a normal
teardown. PR_SET_PDEATHSIG fires when the *thread* that started the child ends: start
it from a thread that lives as long as the child should."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

STOP_TIMEOUT_S = 10
PR_SET_PDEATHSIG = 1  # <sys/prctl.h>


def _child_setup():
    """A preexec_fn for Popen: the child leads its own process group and, where the
    kernel has PR_SET_PDEATHSIG (Linux), dies with its parent. (Popen's process_group
    argument would do the first from Python 3.11 on; the project supports 3.10.)"""
    if not sys.platform.startswith("linux"):
        return _lead_own_group
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, not in the child
    parent = os.getpid()

    def in_child() -> None:
        _lead_own_group()
        if prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
        if os.getppid() != parent:  # the parent died before prctl() took effect
            os.kill(os.getpid(), signal.SIGKILL)
    return in_child


def _lead_own_group() -> None:
    os.setpgid(0, 0)


def spawn(argv: list[str], **popen_options) -> subprocess.Popen:
    """subprocess.Popen(argv, **popen_options) for a child that dies with this process
    and leads its own process group."""
    return subprocess.Popen(argv, preexec_fn=_child_setup(), **popen_options)


def stop(child: subprocess.Popen, timeout_s: float = STOP_TIMEOUT_S) -> int:
    """Ends `child`'s process group (SIGTERM, then SIGKILL after `timeout_s`); returns
    the child's exit status."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if child.returncode is not None:  # reaped: its pid (the group's id) may be reused
            return child.returncode
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            pass  # the group has ended already
        try:
            return child.wait(timeout_s)
        except subprocess.TimeoutExpired:
            continue
    return child.wait()


def run(argv: list[str], timeout_s: float, input: str | bytes | None = None,
        **popen_options) -> subprocess.CompletedProcess:
    """subprocess.run(argv, timeout=timeout_s, input=input, **popen_options) for a child
    started by `spawn`: on the timeout its process group is stopped and TimeoutExpired
    raised. With `input`, the child's stdin is a pipe that gets it and is then closed."""
    if input is not None:
        popen_options["stdin"] = subprocess.PIPE
    with spawn(argv, **popen_options) as child:
        try:
            out, err = child.communicate(input=input, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            stop(child)
            raise
    return subprocess.CompletedProcess(argv, child.returncode, out, err)
