"""Where the native host build's executable is: named by LUASYS_NATIVE, shipped in this
package (`pip install .` builds it when cmake can, see setup.py), or built in the
checkout this package runs from (cmake -S host_sim/native -B build/native)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

NAME = "luasys-native"
CHECKOUT_BUILD = Path(__file__).resolve().parents[2] / "build" / "native" / NAME
BUILD_HINT = "cmake -S host_sim/native -B build/native && cmake --build build/native -j2"


def native_binary() -> Path:
    """The executable to run; it may not exist (callers say so, with BUILD_HINT)."""
    if os.environ.get("LUASYS_NATIVE"):
        return Path(os.environ["LUASYS_NATIVE"])
    packaged = Path(str(resources.files("luasys") / "bin" / NAME))
    return packaged if packaged.is_file() else CHECKOUT_BUILD

# The status the native build ends with on esp_restart() (rtos.reboot(), the console's
# reset): LUASYS_HOST_RESTART_EXIT_STATUS in host_sim/native/port/include/esp_system.h.
RESTART_EXIT_STATUS = 3
