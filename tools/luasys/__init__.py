"""The `luasys` command line, the console protocol's client and its transports.

`__version__` is LuaSys's one version string: the Python package's (pyproject.toml reads
it), the simulator's `rtos.version()`, and the C firmware's LUA_SYS_VERSION, which
tests/tools/test_version.py keeps equal to it."""

__version__ = "0.1.0"
