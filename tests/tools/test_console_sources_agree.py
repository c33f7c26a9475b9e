"""The console protocol has two device sides, C (components/lua_sys/src/lua_sys_console.c,
firmware and native build) and Python (host_sim/console, the simulator), and one client
side (luasys.protocol). Their verbs, limits, timeouts, reserved names and error codes
must be one set of facts: this test reads the C source and compares it with the Python
constants and docs/console-protocol.md. (The device suite, tests/device, is the oracle
for the behaviour and the message texts: it runs the same requests on both devices.)"""

from __future__ import annotations

import re
from pathlib import Path

from host_sim.console import files, safe_mode, server, sim_runtime
from luasys import protocol as p

REPO = Path(__file__).resolve().parents[2]
C_SOURCE = (REPO / "components/lua_sys/src/lua_sys_console.c").read_text()
C_HEADER = (REPO / "components/lua_sys/include/lua_sys_console.h").read_text()
DOC = (REPO / "docs/console-protocol.md").read_text()
RTOS_DOC = (REPO / "docs/rtos-contract.md").read_text()


def c_define(name: str) -> str:
    match = re.search(rf"^#define {name} (.+?)(?:\s*/\*.*)?$", C_SOURCE + C_HEADER, re.MULTILINE)
    assert match, f"no #define {name} in the C console"
    return match.group(1).strip()


def c_number(name: str) -> int:
    value = c_define(name)
    if re.fullmatch(r"[A-Z_]+", value):
        return c_number(value)
    return eval(value, {})  # "(1024 * 1024)": digits and operators only, checked below


def test_limits_and_timeouts_are_the_same() -> None:
    for name in ("HEADER_MAX", "LINE_MAX_BYTES", "PATH_MAX_BYTES", "FILE_MAX", "EVAL_MAX", "PAYLOAD_IDLE_MS",
                 "READY_TIMEOUT_MS", "STOP_TIMEOUT_MS", "PROTOCOL_VERSION", "TAG_MAX", "LUA_ERROR_MAX"):
        assert re.fullmatch(r"[A-Z_]+|[0-9 ()*+-]+", c_define(name)), c_define(name)
    assert c_number("PROTOCOL_VERSION") == p.PROTOCOL_VERSION
    assert c_number("HEADER_MAX") == p.HEADER_MAX
    assert c_number("LINE_MAX_BYTES") == p.LINE_MAX
    assert c_number("PATH_MAX_BYTES") == p.PATH_MAX
    assert c_number("FILE_MAX") == p.FILE_MAX
    assert c_number("EVAL_MAX") == p.EVAL_MAX
    assert c_number("PAYLOAD_IDLE_MS") == p.PAYLOAD_IDLE_TIMEOUT_S * 1000
    assert c_number("READY_TIMEOUT_MS") == p.READY_TIMEOUT_S * 1000
    assert c_number("STOP_TIMEOUT_MS") == sim_runtime.STOP_TIMEOUT_S * 1000
    assert c_number("LUA_ERROR_MAX") == p.LUA_ERROR_MAX
    assert f"cut at {p.LUA_ERROR_MAX} bytes" in DOC and f"cut at {p.LUA_ERROR_MAX} bytes" in RTOS_DOC
    assert c_number("TAG_MAX") == int(re.search(r"\{1,(\d+)\}", p._TAG_RE.pattern).group(1))


def test_reserved_names_are_the_same() -> None:
    assert c_define("PART_SUFFIX") == f'"{files.PART_SUFFIX}"'
    assert c_define("SAFE_MODE_FILE") == f'"{safe_mode.FILE}"'


def test_verbs_and_their_arguments_are_the_same() -> None:
    table = C_SOURCE[C_SOURCE.index("} COMMANDS[] = {"):]
    table = table[:table.index("};")]
    c_verbs = {verb: (int(low), int(high)) for verb, low, high in
               re.findall(r'\{ "([a-z-]+)", (\d+), (\d+), do_[a-z_]+ \}', table)}
    py_verbs = {verb: arity if isinstance(arity, tuple) else (arity, arity) for verb, arity in p.VERBS.items()}
    assert c_verbs == py_verbs
    for verb in c_verbs:
        assert f"| `{verb}" in DOC, f"docs/console-protocol.md does not list the verb {verb}"


def test_error_codes_are_the_documented_ones() -> None:
    documented = set(re.findall(r"`([a-z-]+)`", DOC[DOC.index("Error codes:"):DOC.index("Error codes:") + 600]))
    c_codes = set(re.findall(r'"ERR ([a-z-]+)[ "]', C_SOURCE))
    py_sources = "".join(path.read_text() for path in (REPO / "host_sim/console").glob("*.py"))
    py_codes = set(re.findall(r'ProtocolError\(\s*"([a-z-]+)"', py_sources))
    assert len(c_codes) >= 8 and len(py_codes) >= 8, (c_codes, py_codes)
    assert c_codes <= documented, c_codes - documented
    assert py_codes <= documented, py_codes - documented
    assert "lua" in documented


def test_the_runtime_registry_keys_are_the_same() -> None:
    """The registry entries that the C runtime, the Lua runtime and the simulator share
    (the console's tasks, the stop hook's restorer) go by one name on every side."""
    header = (REPO / "components/lua_sys/src/luat_runtime.h").read_text()
    keys = dict(re.findall(r'^#define (LUAT_[A-Z_]+) "(luasys\.[a-z_]+)"', header, re.MULTILINE))
    assert set(keys) == {"LUAT_CONSOLE_TASKS", "LUAT_STOP_HOOK"}, keys
    simulator = (REPO / "host_sim/simulator.py").read_text()
    lua = "".join(path.read_text() for path in (REPO / "components/lua_sys/lua").rglob("*.lua"))
    for key in keys.values():
        assert f'"{key}"' in simulator and f'"{key}"' in lua, key


def test_the_console_topic_and_its_interrupt_argument_are_the_same() -> None:
    lua = (REPO / "components/lua_sys/lua/console.lua").read_text()
    assert c_define("TOPIC") == f'"{sim_runtime.TOPIC}"'
    assert c_define("TOPIC_INTERRUPT") == f'"{sim_runtime.TOPIC_INTERRUPT}"'
    assert f'console.TOPIC = "{sim_runtime.TOPIC}"' in lua
    assert f'console.INTERRUPT = "{sim_runtime.TOPIC_INTERRUPT}"' in lua


def test_describe_asks_the_same_lua_with_the_uptime() -> None:
    c_source = c_define("DESCRIBE_SOURCE").replace('\\"', '"').replace("%llu", "{uptime_ms}")
    assert c_source == f'"{server.DESCRIBE_SOURCE}"'


def test_run_until_idle_is_the_same() -> None:
    assert c_define("RUN_IDLE") == f'"{p.RUN_IDLE}"'
    table = C_SOURCE[C_SOURCE.index("RUN_ENDINGS[] = {"):]
    c_endings = tuple(re.findall(r'\[LUA_SYS_EXIT_[A-Z]+\] = "([a-z]+)"', table[:table.index("};")]))
    assert c_endings == p.RUN_ENDINGS
    assert "`OK " + "\\|".join(p.RUN_ENDINGS) + "`" in DOC
