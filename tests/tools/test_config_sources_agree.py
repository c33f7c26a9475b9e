"""Facts that the simulator, the native build and the tools copy from their sources of
truth, which they cannot read where they run (an installed package has no Kconfig): the
firmware's Kconfig defaults and ranges, the Lua runtime's constants and the C runtime's
error texts. This test reads each source and compares the copies with it."""

from __future__ import annotations

import re
from pathlib import Path

from host_sim import messages, rtos, simulator
from host_sim.console import safe_mode
from host_sim.simulator import Simulator

REPO = Path(__file__).resolve().parents[2]


def kconfig(path: str, name: str) -> tuple[int, tuple[int, int]]:
    """(default, (low, high)) of the int option `name` in the Kconfig file `path`."""
    text = (REPO / path).read_text()
    entry = re.search(rf"^\s*config {name}\n(.*?)(?=^\s*(?:config|endmenu)\b|\Z)", text, re.M | re.S)
    assert entry, f"no config {name} in {path}"
    default = re.search(r"^\s*default (\d+)$", entry.group(1), re.M)
    bounds = re.search(r"^\s*range (\d+) (\d+)$", entry.group(1), re.M)
    assert default and bounds, f"{path}: {name} needs a default and a range"
    return int(default.group(1)), (int(bounds.group(1)), int(bounds.group(2)))


def c_fallback(path: str, name: str) -> int:
    """The #define a C header falls back to when no sdkconfig defines `name`."""
    match = re.search(rf"#ifndef {name}\n#define {name} (\d+)\n#endif", (REPO / path).read_text())
    assert match, f"{path}: no fallback for {name}"
    return int(match.group(1))


def native_cache(name: str) -> int:
    """A CONFIG_ value the native build sets in host_sim/native/CMakeLists.txt."""
    match = re.search(rf"^set\({name} (\d+) CACHE", (REPO / "host_sim/native/CMakeLists.txt").read_text(), re.M)
    assert match, f"host_sim/native/CMakeLists.txt: no {name}"
    return int(match.group(1))


def test_the_queue_and_timer_defaults_are_the_components_kconfig():
    depth, _ = kconfig("components/lua_sys/Kconfig", "LUA_SYS_QUEUE_DEPTH")
    timers, _ = kconfig("components/lua_sys/Kconfig", "LUA_SYS_TIMER_COUNT")
    assert messages.DEFAULT_CAPACITY == native_cache("LUASYS_QUEUE_DEPTH") == depth
    assert rtos.DEFAULT_TIMER_MAX == native_cache("LUASYS_TIMER_COUNT") == timers


def test_the_safe_mode_limits_are_the_apps_kconfig():
    boots = kconfig("main/Kconfig.projbuild", "LUASYS_SAFE_MODE_BOOTS")
    grace = kconfig("main/Kconfig.projbuild", "LUASYS_SAFE_MODE_GRACE_MS")
    assert (safe_mode.DEFAULT_BOOTS, safe_mode.BOOTS_RANGE) == boots
    assert (safe_mode.DEFAULT_GRACE_MS, safe_mode.GRACE_MS_RANGE) == grace
    assert c_fallback("main/luasys_safe_mode.h", "CONFIG_LUASYS_SAFE_MODE_BOOTS") == boots[0]
    assert c_fallback("main/luasys_safe_mode.h", "CONFIG_LUASYS_SAFE_MODE_GRACE_MS") == grace[0]


def test_the_runtimes_constants_are_the_lua_ones(tmp_path):
    """Read from the runtime itself: sys.heap.MAX_MS bounds the simulator's inject and
    --watchdog, whose 4 x MS sys.setWatchdog accepts up to WATCHDOG_MAX_MS exactly."""
    script = tmp_path / "constants.lua"
    script.write_text(f"""
print(require("sys.heap").MAX_MS)
print(pcall(sys.setWatchdog, {simulator.WATCHDOG_MAX_MS}, {4 * simulator.WATCHDOG_MAX_MS}))
print(pcall(sys.setWatchdog, {simulator.WATCHDOG_MAX_MS + 1}, {4 * (simulator.WATCHDOG_MAX_MS + 1)}))
sys.setWatchdog(nil)
""")
    result = Simulator(capture=True, output=lambda _line: None).run_file(script)
    max_ms, fits, too_long = result.output
    assert int(max_ms) == rtos.INJECT_AHEAD_MAX_MS
    assert fits == "true" and too_long.startswith("false\t"), (fits, too_long)


def test_the_interrupted_text_is_the_c_hooks_and_console_luas():
    c_runtime = (REPO / "components/lua_sys/src/luat_runtime.c").read_text()
    console = (REPO / "components/lua_sys/lua/console.lua").read_text()
    hook = c_runtime[c_runtime.index("static void stop_hook"):]
    assert re.search(r'interrupt_requested.*?luaL_error\(L, "([^"]+)"\)', hook, re.S).group(1) == simulator.INTERRUPTED
    assert re.search(r'^local INTERRUPTED = "([^"]+)"', console, re.M).group(1) == simulator.INTERRUPTED
