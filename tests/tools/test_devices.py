"""Port discovery (`luasys devices`, no --port with one ESP board) and the reset path a
board takes. There is no USB here: the machine's port list is pyserial's ListPortInfo
entries, as `list_ports.comports()` returns them on a machine with these adapters."""

from __future__ import annotations

import pytest
from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo

from luasys import boards
from luasys.cli import main


def port(device: str, vid: int | None = None, pid: int | None = None, description: str = "n/a") -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.description = vid, pid, description
    return info


@pytest.fixture
def machine(monkeypatch):
    def plug(*ports: ListPortInfo) -> None:
        monkeypatch.setattr(list_ports, "comports", lambda *a, **k: list(ports))
    monkeypatch.delenv("LUASYS_PORT", raising=False)
    return plug


def test_board_kinds_by_usb_ids():
    assert boards.board_kind(0x303A, 0x1001) == "usb-serial-jtag"
    assert boards.board_kind(0x303A, 0x0002) == "usb-otg"
    assert boards.board_kind(0x10C4, 0xEA60) == "CP210x"
    assert boards.board_kind(0x1A86, 0x7523) == "CH340"
    assert boards.board_kind(0x046D, 0xC52B) is None
    assert boards.board_kind(None, None) is None


def test_devices_lists_every_port_and_marks_the_boards(machine, capsys):
    machine(port("/dev/ttyS0"), port("/dev/ttyACM0", 0x303A, 0x1001, "USB JTAG/serial debug unit"),
            port("/dev/ttyUSB0", 0x10C4, 0xEA60, "CP2102 USB to UART Bridge Controller"))
    assert main(["devices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["/dev/ttyACM0", "/dev/ttyUSB0", "/dev/ttyS0"]
    assert "ESP board (usb-serial-jtag)" in lines[0] and "ESP board (CP210x)" in lines[1]
    assert "ESP board" not in lines[2]


def test_one_board_needs_no_port_several_need_one(machine, capsys):
    machine(port("/dev/ttyS0"), port("/dev/luasys-test-board", 0x1A86, 0x55D4))
    assert main(["ls"]) == 1  # the one board was chosen: the error names it
    assert "/dev/luasys-test-board" in capsys.readouterr().err
    machine(port("/dev/ttyUSB0", 0x1A86, 0x7523), port("/dev/ttyUSB1", 0x0403, 0x6001))
    assert main(["ls"]) == 1
    assert "several ESP boards found (/dev/ttyUSB0, /dev/ttyUSB1); choose one with --port" in capsys.readouterr().err
    machine(port("/dev/ttyS0"))
    assert main(["ls"]) == 1
    assert "no ESP board found" in capsys.readouterr().err


def test_reset_of_a_board_drives_esptools_hard_reset(machine, monkeypatch, capsys):
    """A board's reset goes through esptool's HardReset with the USB flag of its kind;
    the console is not asked (a crashed board could not answer)."""
    machine(port("/dev/luasys-test-jtag", 0x303A, 0x1001))
    calls = []

    class Link:
        def __init__(self, device, baud):
            self.serial = device

        def close(self):
            calls.append("closed")

    monkeypatch.setattr("luasys.run_commands.SerialTransport", Link)
    monkeypatch.setattr(boards, "HardReset", lambda link, uses_usb: lambda: calls.append((link, uses_usb)))
    assert main(["reset"]) == 0
    assert calls == [("/dev/luasys-test-jtag", True), "closed"]
    assert "usb-serial-jtag" in capsys.readouterr().err
