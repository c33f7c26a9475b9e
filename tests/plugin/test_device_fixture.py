"""The pytest plugin's device fixture, run the way a user's project runs it: one test
file, on the simulator's console device by default, and unchanged through
pytest-embedded's `dut` (here its serial service on the simulator's pty, the path a
board or ESP-IDF's linux target takes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from luasys.pc_devices import serve

DEVICE_TESTS = """
import re

def test_push_run_expect_eval(device):
    device.start("blink.lua", "sys.timerLoopStart(function() print('LED', rtos.millis() > 0) end, 20)\\nsys.run()")
    assert device.expect(re.compile(r"LED\\t(true|false)")).line.startswith("LED")
    assert device.eval("return 6 * 7") == "42"
    device.line("print('typed', 1 + 1)")
    assert device.expect("typed\\t2").before != None

def test_failure_shows_the_device_output(device):
    device.start("hello.lua", "print('hello from ' .. rtos.version())\\nsys.run()")
    device.expect("hello from")
    device.expect("never printed", timeout_s=0.5)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_on_device=DEVICE_TESTS)
    return pytester


def check(result) -> None:
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*no line containing 'never printed' in 0.5 s*",
                                 "*luasys device (*): last 20 lines*", "hello from LuaSys-*"])


def test_by_default_the_device_is_the_simulators_console(project):
    result = project.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    check(result)
    result.stdout.fnmatch_lines(["*test_on_device.py::test_failure_shows_the_device_output[[]sim[]]*"])


def test_the_same_file_runs_through_pytest_embedded(project, tmp_path: Path):
    with serve("sim", tmp_path) as pty:
        result = project.runpytest_subprocess("-q", "--embedded-services", "serial", "--port", pty)
    check(result)
    result.stdout.fnmatch_lines(["*test_failure_shows_the_device_output[[]dut[]]*"])


def test_an_unknown_device_kind_is_a_usage_error(project):
    result = project.runpytest_subprocess("--luasys-device", "sim,toaster")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--luasys-device: toaster is not a device kind (one or more of sim, native, qemu, dut*"])


def test_the_timeout_comes_from_the_command_line_or_the_ini_file(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\nluasys_timeout = 7.5\n")
    pytester.makepyfile(test_timeouts="""
        def test_timeout(device, pytestconfig):
            expected = pytestconfig.getoption("luasys_timeout") or 7.5
            assert device.timeout_s == device.client.timeout_s == expected
    """)
    pytester.runpytest_subprocess("-q").assert_outcomes(passed=1)
    pytester.runpytest_subprocess("-q", "--luasys-timeout", "30").assert_outcomes(passed=1)
