"""Every subcommand, given bad input, fails in one line naming what was wrong, with a
non-zero status and no traceback (issue 13 item 7). Device-side failures come from a
simulated device; a busy loop on it never takes its server down."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from backends import run_luasys

from luasys import child_process
from luasys.cli import main, run_step
from luasys.console_client import ConsoleClient, ConsoleError
from luasys.device import Device
from luasys.transport import open_transport

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "native"))
from native_build import build_dir  # noqa: E402

NO_PORT = "/dev/luasys-no-such-port"


@pytest.fixture(scope="module")
def sim_port(tmp_path_factory):
    fs = tmp_path_factory.mktemp("fs")
    (fs / "main.lua").write_text("sys.timerLoopStart(function() end, 100)\nsys.run()\n")
    server = child_process.spawn([sys.executable, "-m", "luasys", "sim", "--serial", "--fs", str(fs)],
                                 stdout=subprocess.PIPE, text=True)
    yield server.stdout.readline().strip()
    assert server.poll() is None, "the device server died"
    server.terminate()
    server.wait(timeout=10)


def cases(here: Path) -> list[tuple[list[str], str]]:
    """(argv, what the one line must name); DEVICE stands for the simulated device's port."""
    (here / "ok.lua").write_text("print(1)\n" * 2000)  # more than an 8 KiB image holds
    (here / "folder").mkdir(exist_ok=True)
    return [
        (["sim", str(here / "nope.lua")], "nope.lua"),
        (["sim", str(here / "ok.lua"), "--fs", str(here)], "--fs"),
        (["sim", str(here / "folder")], "folder: is a directory"),
        (["sim", "--serial", "--virtual-time"], "--serial"),
        (["sim", "--serial", "--watchdog", "100"], "--watchdog"),
        (["sim", "--serial", "--until", "0"], "--until"),
        (["sim", "--serial", "--trace", str(here / "trace.json")], "--trace"),
        (["sim", str(here / "ok.lua"), "--safe-mode-boots", "2"], "--safe-mode-boots"),
        (["sim", str(here / "ok.lua"), "--safe-mode-grace", "200"], "--safe-mode-grace"),
        (["sim", "--serial", "--fs", str(here / "ok.lua")], "ok.lua: not a directory"),
        (["sim", str(here / "ok.lua"), "--memory-limit", "16"],
         "--memory-limit 16 KB is too small to load the runtime"),
        (["native", "--serial", "--binary", str(here / "ok.lua"), "--fs", str(here / "ok.lua")],
         "ok.lua: not a directory"),
        (["native", "--serial", "--binary", str(here / "no-binary")], "no-binary"),
        (["native", "--serial", "--idf-linux", "--binary", str(here / "ok.lua"), "--safe-mode-grace", "5000"],
         "--idf-linux"),
        (["push", str(here / "nope.lua"), "--port", NO_PORT], "nope.lua"),
        (["push", str(here / "ok.lua"), "bad name!.lua", "--port", NO_PORT], "bad name!.lua"),
        (["push", str(here / "ok.lua"), "../x.lua", "--port", NO_PORT], "../x.lua"),
        (["push", str(here / "ok.lua"), "--port", NO_PORT], NO_PORT),
        (["get", "../x", "--port", NO_PORT], "../x"),
        (["cat", "main.lua", "--port", NO_PORT], NO_PORT),
        (["ls", "a//b", "--port", NO_PORT], "a//b"),
        (["rm", "-r", "..", "--port", NO_PORT], ".."),
        (["mkdir", "a b", "--port", NO_PORT], "a b"),
        (["df", "--port", NO_PORT], NO_PORT),
        (["eval", "1", "--port", "exec:"], "exec: needs a command"),
        (["eval", "1", "--port", "exec:  "], "exec: needs a command"),
        (["eval", "1", "--port", "/dev/null"], "/dev/null: cannot open as a serial port"),
        (["eval", "1", "--port", str(here / "ok.lua")], "ok.lua: cannot open as a serial port"),
        (["eval", "1", "--port", "nosuch://x"], "nosuch://x: cannot open as a serial port"),
        (["run", "main.lua", "--port", NO_PORT], NO_PORT),
        (["restart", "--port", NO_PORT], NO_PORT),
        (["reset", "--port", NO_PORT], NO_PORT),
        (["reset", "--board", "CP210x", "--port", NO_PORT], NO_PORT),
        (["reset", "--soft", "--board", "CP210x", "--port", NO_PORT], "--soft and --board"),
        (["describe", "--port", NO_PORT], NO_PORT),
        (["eval", "1", "--port", NO_PORT], NO_PORT),
        (["safe-mode", "--port", NO_PORT], NO_PORT),
        (["repl", "--port", NO_PORT], NO_PORT),
        (["watch", str(here / "nope"), "--port", NO_PORT], "nope"),
        (["watch", str(here / "folder"), "--port", NO_PORT], NO_PORT),
        (["monitor", "--port", NO_PORT], NO_PORT),
        (["fs", "build", str(here / "nope"), "-o", str(here / "x.bin")], "nope"),
        (["fs", "build", str(here), "-o", str(here / "x.bin"), "--size", "8K"], "8192"),
        (["flash", "--port", NO_PORT, "--build-dir", str(here / "nope")], "flasher_args.json"),
        (["get", "nope.lua", "--port", "DEVICE"], "no file nope.lua"),
        (["run", "nope.lua", "--port", "DEVICE"], "no file nope.lua"),
        (["rm", "nope.lua", "--port", "DEVICE"], "no file nope.lua"),
        (["eval", "this is not lua", "--port", "DEVICE"], "syntax error"),
        (["eval", "error('boom')", "--port", "DEVICE"], "boom"),
        (["push", str(here / "ok.lua"), "main.lua/x.lua", "--port", "DEVICE"], "main.lua"),
        (["mkdir", "main.lua", "--port", "DEVICE"], "main.lua is a file"),
    ]


def test_every_subcommand_fails_in_one_line(tmp_path: Path, sim_port: str, capsys):
    failures = []
    for argv, named in cases(tmp_path):
        argv = [sim_port if word == "DEVICE" else word for word in argv]
        status = main(argv)
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.strip()]
        if status == 0 or len(lines) != 1 or "Traceback" in err or named not in lines[0] \
                or not lines[0].startswith(f"luasys {argv[0]}") or "unexpected" in lines[0]:
            failures.append((argv, status, err))
    assert failures == []


@pytest.mark.parametrize("argv, option, value", [
    (["sim", "ok.lua", "--until", "-1"], "--until", "-1"),
    (["sim", "ok.lua", "--until", "nan"], "--until", "nan"),
    (["sim", "ok.lua", "--until", "inf"], "--until", "inf"),
    (["sim", "ok.lua", "--memory-limit", "0"], "--memory-limit", "0"),
    (["sim", "ok.lua", "--memory-limit", "-64"], "--memory-limit", "-64"),
    (["sim", "ok.lua", "--watchdog", "0"], "--watchdog", "0"),
    (["sim", "ok.lua", "--watchdog", "1000000"], "--watchdog", "1000000"),
    (["sim", "--serial", "--safe-mode-boots", "0"], "--safe-mode-boots", "0"),
    (["sim", "--serial", "--safe-mode-boots", "101"], "--safe-mode-boots", "101"),
    (["sim", "--serial", "--safe-mode-grace", "0"], "--safe-mode-grace", "0"),
    (["sim", "--serial", "--safe-mode-grace", "-5000"], "--safe-mode-grace", "-5000"),
    (["native", "--serial", "--safe-mode-boots", "0"], "--safe-mode-boots", "0"),
    (["native", "--serial", "--safe-mode-grace", "600001"], "--safe-mode-grace", "600001"),
    (["eval", "1", "--timeout", "-1"], "--timeout", "-1"),
    (["eval", "1", "--timeout", "nan"], "--timeout", "nan"),
    (["eval", "1", "--baud", "0"], "--baud", "0"),
    (["run", "main.lua", "--for", "inf"], "--for", "inf"),
    (["record", "out.json", "--limit", "0"], "--limit", "0"),
    (["record", "out.json", "--for", "nan"], "--for", "nan"),
    (["record", "out.json", "--messages", "-1"], "--messages", "-1"),
    (["fs", "build", ".", "-o", "x.bin", "--size", "abc"], "--size", "abc"),
    (["fs", "build", ".", "-o", "x.bin", "--size", "0"], "--size", "0"),
])
def test_a_number_out_of_range_is_refused_naming_the_option(argv, option, value, capsys):
    """Such numbers were taken as they came: 0 for a default, nan as a crash, -1 as a
    timeout that never waits."""
    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2 and "Traceback" not in err
    assert f"error: argument {option}" in err and f"(got '{value}')" in err, err


def test_a_value_error_from_a_bug_is_reported_as_a_bug(capsys):
    """ValueError was an expected error: a bug's was printed as if the user were at fault."""
    def buggy(_args):
        raise ValueError("a bug's message")

    assert run_step(argparse.Namespace(run=buggy, command="x")) == 1
    err = capsys.readouterr().err
    assert err.startswith("luasys x: unexpected ValueError: a bug's message (a bug;"), err


def test_a_serial_device_whose_memory_limit_is_too_small_says_so(tmp_path: Path):
    """It printed "unexpected LuaMemoryError" or a traceback of the host's own frames."""
    (tmp_path / "main.lua").write_text("print('booted')\nsys.run()\n")
    server = child_process.spawn([sys.executable, "-m", "luasys", "sim", "--serial", "--fs", str(tmp_path),
                                  "--memory-limit", "16"], stdout=subprocess.PIPE, text=True)
    try:
        device = Device(open_transport(server.stdout.readline().strip()), "sim")
        try:
            device.client.hello()
            device.run("main.lua")
            found = device.expect("too small")
            assert found.line == "luasys: a Lua heap of 16 KB is too small to load the runtime (--memory-limit)"
            assert not any("Traceback" in line or "<python>" in line for line in device.output)
        finally:
            device.transport.close()
    finally:
        child_process.stop(server)


def test_no_traceback_reaches_the_terminal(tmp_path: Path):
    """The same through the installed command, for the issue's own examples."""
    (tmp_path / "x").write_text("print(1)\n" * 2000)  # more than an 8 KiB image holds
    for argv in (["push", "nope.lua", "--port", NO_PORT], ["push", "x", "bad name!.lua", "--port", NO_PORT],
                 ["push", "x", "../x.lua", "--port", NO_PORT], ["fs", "build", ".", "-o", "y", "--size", "8K"]):
        done = run_luasys(*argv, cwd=tmp_path)
        assert done.returncode != 0 and "Traceback" not in done.stderr, (argv, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, (argv, done.stderr)


def test_a_busy_loop_never_kills_the_device_server(sim_port: str, capsys):
    assert main(["eval", "while true do end", "--port", sim_port, "--timeout", "1"]) == 1
    assert "no reply" in capsys.readouterr().err
    assert main(["restart", "--port", sim_port]) == 0  # stops the busy task
    assert main(["eval", "1 + 1", "--port", sim_port]) == 0
    assert capsys.readouterr().out == "2\n"


@pytest.mark.parametrize("kind", ["sim", "native"])
def test_a_request_the_ended_run_never_took_is_answered(tmp_path: Path, kind: str):
    """`describe` sent while a main chunk busy-waits and then fails was answered by
    nothing: the request sat in the slot the ended run never emptied."""
    fs = tmp_path / "fs"
    fs.mkdir()
    (fs / "main.lua").write_text("local t = rtos.millis() while rtos.millis() - t < 1500 do end error('late')\n")
    command = [sys.executable, "-m", "luasys", kind, "--serial", "--fs", str(fs)]
    if kind == "native":
        command += ["--binary", str(build_dir() / "luasys-native")]
    server = child_process.spawn(command, stdout=subprocess.PIPE, text=True)
    try:
        port = server.stdout.readline().strip()
        transport = open_transport(port)
        try:
            client = ConsoleClient(transport, lambda _data: None, 20.0)
            client.hello()
            client.reset()  # the main chunk is busy now, for 1.5 s, then fails
            with pytest.raises(ConsoleError) as error:
                client.describe()
            assert error.value.code == "no-runtime"
        finally:
            transport.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
