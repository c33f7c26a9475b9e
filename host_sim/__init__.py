"""LuaSys on the PC: the `rtos` contract in Python on lupa, virtual or real time."""

from .rtos import RtosBackend, RtosError
from .session import Line, SessionEnded, SimSession, Timeout
from .simulator import LUA_VERSIONS, RUNTIME_DIR, VERSION, RunResult, Simulator

__all__ = ["LUA_VERSIONS", "RUNTIME_DIR", "VERSION", "Line", "RtosBackend", "RtosError", "RunResult",
           "SessionEnded", "SimSession", "Simulator", "Timeout"]
