"""What only a chip has, on the firmware booted in QEMU's esp32c3 machine (device kind
`qemu`): the boot script from the LittleFS partition of the flash image, and safe mode
kept in RTC memory across real resets (esp_restart(): RTC_SW_CPU_RST) and forgotten at a
power-on (a new QEMU process on the same flash: POWERON), and across the task watchdog's
resets; messages posted from a timer interrupt. docs/firmware.md#the-firmware-in-qemu."""

from __future__ import annotations

import re
import signal
import time

import pytest

from luasys import qemu_device
from luasys.device import Device, DutTransport

FAILING_BOOT = "error('boom at start')\n"
HEALTHY_BOOT = "sys.taskInit(function() while true do sys.wait(100) end end)\nsys.run()\n"
COUNT_TIMEOUT_S = 20
WATCHDOG_TIMEOUT_S = 120  # 5 s of emulated busy loop, which QEMU may run far slower
HOST_STALL_S = 1.0  # how long the host stops QEMU: over the chip's 300 ms interrupt watchdog


@pytest.fixture
def chip(device: Device) -> Device:
    if device.kind != "qemu":
        pytest.skip("chip only: the firmware in QEMU (--luasys-device qemu)")
    return device


def booted(chip: Device) -> None:
    """Waits until the power-on boot has started lua/main.lua: a main.lua pushed before
    would be the one this boot runs (the console is up before the boot script starts)."""
    chip.expect("Count: 1")


def software_reset(chip: Device) -> None:
    chip.client.reset(wait=False)
    chip.wait_banner()


def wait_for_status(chip: Device, status: tuple[str, int, int]) -> None:
    """Asks for the safe-mode status until it is `status`: the count changes a moment
    after the boot script's error is printed."""
    deadline = time.monotonic() + COUNT_TIMEOUT_S
    while (seen := chip.client.safe_status()) != status:
        assert time.monotonic() < deadline, f"safe-mode status {seen}, expected {status}"


def test_the_boot_script_comes_from_the_littlefs_partition(chip):
    # lua/main.lua, flashed in the `storage` partition's image by the build, runs at power-on.
    chip.expect("LED ON")
    chip.expect("Count: 1")
    assert any(name == "main.lua" for _, name in chip.client.ls())


def failing_boots(chip: Device, n: int) -> None:
    """Makes main.lua fail at start (a put of the boot script clears the count), then
    resets the chip `n` times: each boot counts a failed start."""
    booted(chip)
    chip.push("main.lua", FAILING_BOOT)
    for failed in range(1, n + 1):
        software_reset(chip)
        wait_for_status(chip, ("off", failed, 3))


def test_a_failing_boot_script_is_skipped_after_three_resets(chip):
    failing_boots(chip, 3)
    software_reset(chip)
    chip.expect("SAFE MODE")
    assert chip.client.safe_status() == ("on", 3, 3)


def test_software_resets_of_a_healthy_script_are_not_failures(chip):
    booted(chip)
    chip.push("main.lua", HEALTHY_BOOT)
    for _ in range(4):  # each before the start settled (LUASYS_SAFE_MODE_GRACE_MS)
        software_reset(chip)
    assert chip.client.safe_status() == ("off", 0, 3)


def test_a_power_on_starts_a_new_series(chip, request):
    failing_boots(chip, 2)
    # Power off (QEMU stops; the flash image keeps what the firmware wrote), then on.
    from pytest_embedded.dut_factory import DutFactory

    firmware = request.getfixturevalue("luasys_device_port")[1]
    for dut in DutFactory.get_all_duts():
        qemu_device.power_off(dut)
    DutFactory.close()
    dut = DutFactory.create(**firmware.pytest_embedded_options(), skip_regenerate_image=True)
    powered_on = Device(DutTransport(dut), "qemu")
    powered_on.wait_banner()
    wait_for_status(powered_on, ("off", 1, 3))


ALARMS = """
local got = {}
sys.subscribe("alarm", function(n, in_isr)
    got[#got + 1] = n .. ":" .. tostring(in_isr)
    if n == 5 then
        print("alarms " .. table.concat(got, " ") .. "; posted " .. board.alarm_stop()
              .. ", dropped " .. rtos.queue_stats().dropped)
    end
end)
board.alarm(20, 5)
sys.run()
"""


def test_messages_posted_from_a_timer_interrupt_reach_their_lua_handler(chip):
    # board.alarm (main/luasys_board.c): an esp_timer dispatched from the SYSTIMER
    # interrupt posts "alarm", n, xPortInIsrContext() with lua_sys_post_from_isr.
    booted(chip)
    chip.start("alarms.lua", ALARMS)
    assert chip.expect("alarms ").line == "alarms 1:true 2:true 3:true 4:true 5:true; posted 5, dropped 0"
    assert "must be 1..86400000 ms" in chip.eval("return select(2, pcall(board.alarm, 0, 1))")


def test_a_boot_script_that_hangs_is_reset_by_the_task_watchdog_three_times_then_skipped(chip):
    # The task watchdog panics (CONFIG_ESP_TASK_WDT_PANIC) when the busy main chunk
    # starves the idle task; each reset is ESP_RST_TASK_WDT during the start's trial.
    booted(chip)
    chip.push("main.lua", "while true do end\n")
    software_reset(chip)
    for failed in (1, 2, 3):
        chip.expect("task_wdt: Task watchdog got triggered", WATCHDOG_TIMEOUT_S)
        chip.expect(f"luasys: reset by the task watchdog while the boot script was starting: {failed} failed start",
                    WATCHDOG_TIMEOUT_S)
    chip.expect("SAFE MODE")
    assert chip.client.safe_status() == ("on", 3, 3)


def test_a_stall_of_the_host_at_an_idle_console_resets_nothing(chip):
    # Under -icount an idle CPU's clock follows the host's: QEMU stopped for a second
    # resumes with its clock a second on and no tick in between. With the chip's 300 ms
    # interrupt watchdog that panicked 5 times in 6; the firmware for QEMU gives it 5 s
    # (sdkconfig.defaults.qemu, docs/firmware.md#the-firmware-in-qemu).
    from pytest_embedded.dut_factory import DutFactory

    # lua/main.lua in its rhythm, the CPU idle between its ticks (a busy CPU's clock
    # does not jump: the stall right after the boot's first line did nothing).
    chip.expect("Count: 3")
    (dut,) = DutFactory.get_all_duts()
    seen = len(chip.output)
    dut.qemu.send_signal(signal.SIGSTOP)
    try:
        time.sleep(HOST_STALL_S)  # the stall itself is what is tested: real time on the host
    finally:
        dut.qemu.send_signal(signal.SIGCONT)
    last = int(chip.expect(re.compile(r"^Count: (\d+)")).match.group(1))
    chip.expect(f"Count: {last + 1}")
    after = chip.output[seen:]
    assert not [line for line in after if "Guru Meditation" in line or "console ready" in line], after
    assert chip.client.safe_status() == ("off", 0, 3)
