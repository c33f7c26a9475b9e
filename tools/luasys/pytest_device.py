"""The LuaSys pytest plugin's `device` fixture (docs/testing.md#the-device-fixture),
registered as a `pytest11` entry point: the same test file runs on the simulator in
CI and on a board at the desk, chosen on the command line.

Device kinds:
- "sim", "native": a device on this PC (`luasys sim --serial`, `luasys native
  --serial`) that this plugin starts once per session, with a temporary filesystem;
- "qemu": the firmware built for the ESP32-C3 (build-qemu-esp32c3/), booted in QEMU by
  pytest-embedded's qemu service for each test (luasys.qemu_device);
- "dut": pytest-embedded's `dut`, as its own options describe it: a board
  (`--embedded-services esp,idf --port /dev/ttyUSB0 --target esp32 --app-path .`) or
  ESP-IDF's linux target (`--embedded-services idf --target linux --app-path .`);
- "dut:NAME": a `dut` whose options a conftest.py provides for NAME, by overriding
  pytest-embedded's option fixtures (embedded_services, app_path, target, ...) after
  the `luasys_device_port` fixture's kind; this repository's tests/device/conftest.py
  does for its ESP-IDF builds (dut:idf-linux).
Every test starts at the boot banner: a board is reset when pytest-embedded's esp
service opens its port (the linux target is started afresh); the PC devices keep
running across connections, like a board opened without a reset, so the fixture resets
them with the console's `reset` verb, as it does a dut whose banner does not come.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from . import pc_devices, qemu_device
from .device import EXPECT_TIMEOUT_S, TAIL_LINES, Device, DutTransport
from .native_binary import BUILD_HINT, native_binary
from .transport import SerialTransport

KINDS = (*pc_devices.KINDS, "qemu", "dut")
DEVICES = pytest.StashKey[list]()
DUT_BANNER_S = 5.0  # how long a dut has to print its banner before it is reset


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("luasys", "LuaSys firmware tests (docs/testing.md)")
    group.addoption("--luasys-device", metavar="KIND[,KIND...]",
                    help=f"what the device fixture runs on: {', '.join(KINDS)} (default: the luasys_devices "
                         "ini option; dut when pytest-embedded's --embedded-services or --port is given)")
    group.addoption("--luasys-timeout", type=float, metavar="SECONDS",
                    help=f"how long the device fixture waits for a reply or an expected line (default: the "
                         f"luasys_timeout ini option, else {EXPECT_TIMEOUT_S:g}); slow devices (an emulator) need more")
    parser.addini("luasys_timeout", "the device fixture's default timeout in seconds", default=str(EXPECT_TIMEOUT_S))
    parser.addini("luasys_devices", "the device kinds the device fixture runs on by default", default="sim")


def device_kinds(config: pytest.Config) -> list[str]:
    given = config.getoption("luasys_device")
    if given:
        kinds = given.split(",")
    elif _option(config, "embedded_services") or _option(config, "port"):
        kinds = ["dut"]
    else:
        kinds = config.getini("luasys_devices").split()
    unknown = [kind for kind in kinds if kind not in KINDS and not kind.startswith("dut:")]
    if unknown or not kinds:
        raise pytest.UsageError(f"--luasys-device: {', '.join(unknown) or 'nothing'} is not a device kind "
                                f"(one or more of {', '.join(KINDS)}, separated by commas)")
    return kinds


def is_dut(kind: str) -> bool:
    return kind == "dut" or kind.startswith("dut:")


def _option(config: pytest.Config, name: str):
    try:
        return config.getoption(name)
    except ValueError:  # pytest-embedded is not installed
        return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "luasys_device_port" in metafunc.fixturenames:
        metafunc.parametrize("luasys_device_port", device_kinds(metafunc.config), indirect=True, scope="session")


@pytest.fixture(scope="session")
def luasys_device_port(request: pytest.FixtureRequest):
    """(kind, the pty of the PC device serving it, the firmware booted in QEMU, or None
    for a dut)."""
    kind = request.param
    if is_dut(kind):
        yield kind, None
        return
    if kind == "qemu":
        firmware = qemu_device.find(request.config.rootpath)
        if isinstance(firmware, str):
            # CI sets LUASYS_REQUIRE_QEMU=1: there a missing firmware is a failure.
            (pytest.fail if os.environ.get("LUASYS_REQUIRE_QEMU") == "1" else pytest.skip)(firmware)
        yield kind, firmware
        return
    binary = None
    if kind == "native":
        binary = native_binary()
        if not binary.is_file():
            pytest.skip(f"the native build is not there ({binary}); build it: {BUILD_HINT}")
    with tempfile.TemporaryDirectory(prefix=f"luasys-{kind}-fs-") as fs, \
            pc_devices.serve(kind, Path(fs), binary) as pty:
        yield kind, pty


def reset(device: Device) -> None:
    device.client.hello()
    device.client.reset(wait=False)
    device.wait_banner()


@pytest.fixture
def device(request: pytest.FixtureRequest, luasys_device_port) -> Device:
    """The device, just reset (its boot banner read): `push`, `run`, `start`,
    `expect`, `line`, `eval`, `restart`; `client` is the console client."""
    kind, where = luasys_device_port
    qemu_dut = None
    if is_dut(kind):
        transport = DutTransport(request.getfixturevalue("dut"))
    elif kind == "qemu":
        # Imported here: only this kind needs pytest-embedded. It closes the dut after the test.
        from pytest_embedded.dut_factory import DutFactory

        qemu_dut = DutFactory.create(**where.pytest_embedded_options())
        transport = DutTransport(qemu_dut)
    else:
        transport = SerialTransport(where, 115200)
    timeout_s = request.config.getoption("luasys_timeout") or float(request.config.getini("luasys_timeout"))
    device = Device(transport, kind, timeout_s)
    request.node.stash.setdefault(DEVICES, []).append(device)
    try:
        if kind == "qemu":
            device.wait_banner()  # a new QEMU process: the chip was just powered on
        elif is_dut(kind):
            try:  # a board that pytest-embedded reset on open, the linux target just started
                device.wait_banner(DUT_BANNER_S)
            except TimeoutError:  # a device that was opened without a reset (serial service only)
                reset(device)
        else:
            reset(device)
        yield device
    finally:
        transport.close()
        if qemu_dut is not None:
            qemu_device.power_off(qemu_dut)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.failed:
        for device in item.stash.get(DEVICES, []):
            report.sections.append((f"luasys device ({device.kind}): last {TAIL_LINES} lines", device.tail()))
    return report


def pytest_report_header(config: pytest.Config) -> str:
    return f"luasys devices: {', '.join(device_kinds(config))}" + (
        f" (LUASYS_NATIVE={os.environ['LUASYS_NATIVE']})" if os.environ.get("LUASYS_NATIVE") else "")
