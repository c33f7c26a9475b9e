"""Which serial ports are likely ESP boards, and how to reset one from the host.

The USB IDs are those of Espressif's own USB peripherals (USB-Serial-JTAG, the S2/S3
USB-OTG CDC) and of the USB-UART bridges ESP development boards carry. The reset
sequences are esptool's (esptool.reset.HardReset): EN pulled low through RTS with the
classic two-transistor auto-reset circuit, or the USB-Serial-JTAG peripheral's own."""

from __future__ import annotations

from dataclasses import dataclass

import serial
from esptool.reset import HardReset
from serial.tools import list_ports

ESPRESSIF_VID = 0x303A
USB_SERIAL_JTAG = (ESPRESSIF_VID, 0x1001)
UART_BRIDGES = {
    (0x10C4, 0xEA60): "CP210x",
    (0x1A86, 0x7523): "CH340",
    (0x1A86, 0x55D3): "CH343",
    (0x1A86, 0x55D4): "CH9102",
    (0x0403, 0x6001): "FT232R",
    (0x0403, 0x6010): "FT2232",
    (0x0403, 0x6014): "FT232H",
    (0x0403, 0x6015): "FT231X",
}


# Every board kind, for a reset: Espressif's own USB peripherals, then the bridges.
KINDS = ("usb-serial-jtag", "usb-otg", *UART_BRIDGES.values())


@dataclass(frozen=True)
class Port:
    device: str
    description: str
    kind: str | None  # "usb-serial-jtag", "usb-otg", a bridge's name, or None: not an ESP board


def board_kind(vid: int | None, pid: int | None) -> str | None:
    if (vid, pid) == USB_SERIAL_JTAG:
        return "usb-serial-jtag"
    if vid == ESPRESSIF_VID:
        return "usb-otg"
    return UART_BRIDGES.get((vid, pid))


def ports() -> list[Port]:
    """Every serial port pyserial sees, likely ESP boards first."""
    found = [Port(info.device, info.description or "", board_kind(info.vid, info.pid))
             for info in list_ports.comports()]
    return sorted(found, key=lambda port: (port.kind is None, port.device))


def candidates() -> list[Port]:
    return [port for port in ports() if port.kind is not None]


def kind_of(device: str) -> str | None:
    """The board kind of a serial port's device path, or None (a pty, a URL, unknown)."""
    return next((port.kind for port in ports() if port.device == device), None)


def hardware_reset(link: serial.Serial, kind: str) -> None:
    """Resets the chip through the port's control lines, as esptool's hard reset does."""
    HardReset(link, uses_usb=kind in ("usb-serial-jtag", "usb-otg"))()
