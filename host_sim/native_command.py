"""`luasys native --serial`: the native host build's console on a pty, so that the
same tools and device tests reach it as they reach a board or the simulator. With
`--idf-linux`, the firmware built for ESP-IDF's linux target instead (the same
console; esp_restart() ends its process, and a new one is the board after its reset)."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

from luasys.arguments import integer
from luasys.native_binary import BUILD_HINT, native_binary

from .console import safe_mode
from .console.pty_port import PtyPort
from .console.serial_device import NativeDevice


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("native", help="serve the native build's console on a pty",
                            description="Run build/native/luasys-native with its console relayed to a "
                                        "pseudo-terminal; print the pty's path. The program keeps running "
                                        "with no client, like a board; luasys reset (or rtos.reboot()) "
                                        "restarts it.")
    p.add_argument("--serial", action="store_true", required=True, help="serve on a pty (the only mode)")
    p.add_argument("--fs", metavar="DIR",
                   help="the directory standing in for the device's filesystem (default: a new temporary one)")
    p.add_argument("--binary", default=str(native_binary()),
                   help="the native executable (default: env LUASYS_NATIVE, the installed package's, "
                        "or build/native/luasys-native)")
    p.add_argument("--idf-linux", action="store_true",
                   help="--binary is the firmware built for ESP-IDF's linux target (tools/build-idf-linux.sh: "
                        "build/idf-linux/luasys.elf), which has no command line: its safe-mode limits are "
                        "the Kconfig ones")
    p.add_argument("--safe-mode-boots", type=integer(*safe_mode.BOOTS_RANGE), metavar="N",
                   help=f"safe mode after N failed starts (default {safe_mode.DEFAULT_BOOTS})")
    p.add_argument("--safe-mode-grace", type=integer(*safe_mode.GRACE_MS_RANGE), metavar="MS",
                   help=f"safe mode grace period (default {safe_mode.DEFAULT_GRACE_MS})")
    p.set_defaults(run=run)

# ESP-IDF's linux target ends the process with status 0 on esp_restart()
# (esp_system/port/soc/linux/system_internal.c; its input never ends here, which is
# the only other way it exits 0), and with 1 from its FreeRTOS port's handlers of
# SIGSEGV and abort() (freertos/.../portable/linux/port_idf.c), its panics.
IDF_LINUX_RESTART_STATUS = 0
IDF_LINUX_PANIC_STATUS = 1


def run(args: argparse.Namespace) -> int:
    if not Path(args.binary).is_file():
        hint = "tools/build-idf-linux.sh" if args.idf_linux else BUILD_HINT
        print(f"luasys native: {args.binary} not found; build it: {hint}", file=sys.stderr)
        return 2
    if args.idf_linux and (args.safe_mode_boots is not None or args.safe_mode_grace is not None):
        print("luasys native: --idf-linux takes no --safe-mode-boots/--safe-mode-grace (the firmware's are "
              "its Kconfig's: LUASYS_SAFE_MODE_BOOTS, LUASYS_SAFE_MODE_GRACE_MS)", file=sys.stderr)
        return 2
    if args.fs is not None and Path(args.fs).exists() and not Path(args.fs).is_dir():
        print(f"luasys native: --fs {args.fs}: not a directory", file=sys.stderr)
        return 2
    fs = Path(args.fs or tempfile.mkdtemp(prefix="luasys-fs-")).resolve()
    fs.mkdir(parents=True, exist_ok=True)
    for ends_the_server in (signal.SIGTERM, signal.SIGHUP):  # as Ctrl-C does: the device process ends too
        signal.signal(ends_the_server, _exit_on_signal)
    port = PtyPort()
    print(port.name, flush=True)
    print(f"luasys native: console on {port.name}, filesystem {fs}", file=sys.stderr, flush=True)
    try:
        if args.idf_linux:
            # Its filesystem is the directory in LUASYS_LUA_DIR (main/luasys_fs.c).
            return NativeDevice(port, [args.binary], IDF_LINUX_RESTART_STATUS, IDF_LINUX_PANIC_STATUS,
                                {"LUASYS_LUA_DIR": str(fs)}).serve()
        command = [args.binary, "--console", "--fs", str(fs)]
        if args.safe_mode_boots is not None:
            command += ["--safe-mode-boots", str(args.safe_mode_boots)]
        if args.safe_mode_grace is not None:
            command += ["--safe-mode-grace", str(args.safe_mode_grace)]
        return NativeDevice(port, command).serve()
    except KeyboardInterrupt:
        return 130
    finally:
        port.close()


def _exit_on_signal(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)
