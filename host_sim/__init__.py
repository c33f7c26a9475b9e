"""LuaSys on the PC: the `rtos` contract in Python on lupa, virtual or real time."""

from .rtos import RtosBackend, RtosError
from .simulator import LUA_VERSIONS, RUNTIME_DIR, VERSION, RunResult, Simulator

__all__ = ["LUA_VERSIONS", "RUNTIME_DIR", "VERSION", "RtosBackend", "RtosError", "RunResult", "Simulator"]
