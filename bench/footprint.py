"""Footprint benchmarks: `python bench/footprint.py [--lua 5.5] [--luatos DIR] [--no-native]
[--functions MODULE]`.

Prints what the runtime costs before a user's first line runs; asserts nothing.

1. On lupa (Lua 5.3/5.4/5.5, 64-bit), with a stub `rtos`: the resident heap (two full
   collections before and after each step) of `require "sys"`, then of each toolkit
   module and of each part of sys and of the toolkit that loads on first use,
   cumulatively; and what each
   runtime file's prototypes cost loaded from source and from stripped bytecode.
   `--luatos DIR` measures LuatOS's `sys.lua` from DIR beside it (a checkout of
   openLuat/LuatOS's script/corelib; reference only, nothing of it is in this
   repository).
2. On the native-lua32 build (the device's Lua 5.5 and number model, 8-byte pointers
   aside), as the firmware loads the runtime (bytecode without local names, in place
   from the image; bench/c/footprint_require.c): the same steps, and LuatOS's sys.lua
   compiled by the build's own luac the same way and loaded in place from a buffer
   outside the heap as the image's chunks are. Then the resident heap after boot, the peak heap during boot and the time from start to the
   first task, for the runtime embedded as bytecode (build/native-lua32) and as source
   (build/native-lua32-source, configured with -DLUASYS_EMBED_SOURCE=ON). The builds
   are configured here if missing and brought up to date before they are measured.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

from host_sim import LUA_VERSIONS, RUNTIME_DIR

ROOT = Path(__file__).resolve().parent.parent
BOOT_SCRIPT = Path(__file__).resolve().parent / "footprint_boot.lua"

# Just enough `rtos` for the runtime's files to load (they read these at load time).
STUB_RTOS = """
rtos = {
    MSG_TIMER = "RTOS_TIMER", INF_TIMEOUT = -1,
    millis = function() return 0 end, micros = function() return 0 end,
    receive = function() return nil end, timer_start = function() return 1 end,
    timer_stop = function() end, reboot = function() end, version = function() return "stub" end,
    meminfo = function() return 0, 0, 0 end, queue_stats = function() return {} end,
}
"""

# The resident heap in bytes after two full collections.
RESIDENT = """
local function resident()
    collectgarbage(); collectgarbage()
    return collectgarbage("count") * 1024
end
"""

MEASURE = RESIDENT + """
local steps = ...
local out = {}
local before = resident()
for i = 1, steps.n or #steps do
    assert(load(steps[i], "=step"))()
    local after = resident()
    out[i] = after - before
    before = after
end
return table.concat(out, " ")
"""

# What each file's functions cost, held alive: loaded from source, from stripped
# bytecode.
PROTOTYPES = RESIDENT + """
local source = ...
local base = resident()
local fn = assert(load(source, "=file"))
local from_source = resident() - base
local code = string.dump(fn, true)
fn = nil
base = resident()
fn = assert(load(code, "=file", "b"))
local from_bytecode = resident() - base
return from_source .. " " .. from_bytecode .. " " .. #code
"""

# What each function of a module costs held alive from source: a copy of its
# prototype (nested ones included) loaded from its unstripped dump, with a closure. The
# functions are those of the module's own files reachable from what require returns
# (fields, metatables, upvalues), named by the first path found to them.
FUNCTIONS = RESIDENT + """
local name = ...
local file = "/" .. name:gsub("%.", "/")
local seen, found = {}, {}
local function walk(v, path)
    local kind = type(v)
    if (kind ~= "function" and kind ~= "table") or seen[v] then return end
    seen[v] = true
    if kind == "function" then
        local info = debug.getinfo(v, "S")
        local at = info.source:find(file, 1, true)
        if info.what == "Lua" and at and info.source:find("^[./]", at + #file) then
            found[#found + 1] = { v, path, info.short_src:match("[^/]*/?[^/]*$") .. ":" .. info.linedefined }
        end
        for i = 1, math.huge do
            local upname, value = debug.getupvalue(v, i)
            if not upname then break end
            walk(value, upname)
        end
    else
        for k, x in pairs(v) do walk(x, path .. "." .. tostring(k)) end
        if getmetatable(v) then walk(getmetatable(v), path .. "<mt>") end
    end
end
walk(require(name), name)
local out = {}
for i, f in ipairs(found) do
    local base = resident()
    local copy = assert(load(string.dump(f[1]), "=copy", "b"))
    out[i] = (resident() - base) .. "\\t" .. f[2] .. "\\t" .. f[3]
    copy = nil
end
return table.concat(out, "\\n")
"""

# (label, Lua statement), applied one after the other in one state.
OURS = [
    ('require "sys"', 'require "sys"'),
    ('+ require "ringbuf"', 'require "ringbuf"'),
    ('+ require "playlist"', 'require "playlist"'),
    ('+ require "gesture"', 'require "gesture"'),
    ("+ timers (sys.timerStart)", 'local _ = require("sys").timerStart'),
    ("+ sys.taskCancel, sys.ticksDiff", 'local _ = require("sys").taskCancel, require("sys").ticksDiff'),
    ("+ an error report (report, log)", 'require "sys.report"; require "log"'),
    ("+ argument checks (sys/check.lua)", 'require "sys.check"'),
    ("+ task handles (sys.task)", 'local _ = require("sys").task'),
    ("+ periodic jobs (sys.every)", 'local _ = require("sys").every'),
    ("+ mailboxes (sys.taskInitEx)", 'local _ = require("sys").taskInitEx'),
    ("+ observation (sys.describe)", 'local _ = require("sys").describe'),
    ("+ watchdog (sys.setWatchdog)", 'local _ = require("sys").setWatchdog'),
    ("+ ringbuf's rarer methods (rb.wait)", 'local _ = require("ringbuf").new(4).wait'),
    ("+ playlist.update/list/stop/join", 'local _ = require("playlist").join'),
    ("+ playlist.remove, interrupts", 'local p = require "playlist"; p.remove(p.register { name = "x", steps = { { event = "e" } } })'),
    ("+ gesture's three detector kinds", 'local g = require "gesture"; local _ = g.double_tap, g.simultaneous, g.sequence'),
]
TOOLKIT_ROWS = 4  # sys + ringbuf + playlist + gesture: the first rows of OURS


# LuatOS's sys.lua logs through a global `log` at load time.
LOG_STUB = 'log = setmetatable({}, {__index = function() return function() end end})\n'

# LuatOS's `require "sys"` is measured as the first of OURS's steps and the only one
# run (MEASURE runs steps.n of them): the same strings are interned before it as
# before ours, so both or neither carry the string table's doubling (from 256 to 512
# slots, 2 KB with 8-byte pointers), which a fresh state pays during the first
# `require` of either.

# On native-lua32: loads the modules compiled into DIR (NAME.luac) the way the firmware
# loads its embedded chunks (luasys-footprint's load_fixed), ahead of the runtime's.
FIXED_SEARCHER = """
local dir = [==[%s]==]
table.insert(package.searchers, 2, function(name)
    local path = package.searchpath(name, dir .. "/?.luac")
    if not path then return nil end
    return load_fixed(path, "@" .. name .. ".lua"), path
end)
"""


def kb(n: float) -> str:
    return f"{n / 1024:7.1f} KB"


# A searcher ahead of the file searcher that loads each module as stripped bytecode,
# the form the firmware embeds (it also keeps the code in flash, which lupa cannot).
STRIPPED_SEARCHER = """
table.insert(package.searchers, 2, function(name)
    local path = package.searchpath(name, package.path)
    if not path then return nil end
    local code = string.dump(assert(loadfile(path)), true)
    return assert(load(code, "=" .. name, "b")), path
end)
"""


def new_state(lua_version: str, path: Path, stripped: bool = False):
    lua = LUA_VERSIONS[lua_version].LuaRuntime(encoding=None, register_eval=False)
    lua.execute(STUB_RTOS)
    lua.globals().package.path = f"{path}/?.lua;{path}/?/init.lua".encode()
    if stripped:
        lua.execute(STRIPPED_SEARCHER)
    return lua


def steps(lua, statements: list[str], count: int | None = None) -> list[float]:
    table = lua.table_from([s.encode() for s in statements])
    if count is not None:
        table[b"n"] = count
    return [float(x) for x in lua.execute(MEASURE, table).decode().split()]


def heap_table(lua_version: str, luatos: Path | None) -> str:
    forms = [steps(new_state(lua_version, RUNTIME_DIR, stripped), [s for _, s in OURS]) for stripped in (False, True)]
    lines = [f"Lua {lua_version} (lupa, 64-bit): resident heap, two full collections before and after",
             f"  {'loaded from':34} {'source':>10} {'(total)':>10} {'stripped':>10} {'(total)':>10}"]
    totals = [0.0, 0.0]
    for row, (label, _) in enumerate(OURS):
        cells = []
        for form, deltas in enumerate(forms):
            totals[form] += deltas[row]
            cells += [kb(deltas[row]), kb(totals[form])]
        lines.append(f"  {label:34} {' '.join(cells)}")
    toolkit = [kb(sum(deltas[:TOOLKIT_ROWS])) for deltas in forms]
    lines.append(f"  {'sys + ringbuf + playlist + gesture':34} {toolkit[0]} {'':10} {toolkit[1]}"
                 "   target <= 60 KB")
    if luatos:
        cells = []
        for stripped in (False, True):
            lua = new_state(lua_version, luatos, stripped)
            lua.execute(LOG_STUB)
            cells.append(kb(steps(lua, [s for _, s in OURS], count=1)[0]))
        lines.append(f"  {'LuatOS sys.lua (sysplus in it)':34} {cells[0]} {'':10} {cells[1]}")
    return "\n".join(lines)


def prototype_table(lua_version: str, luatos: Path | None) -> str:
    lua = LUA_VERSIONS[lua_version].LuaRuntime(encoding=None, register_eval=False)
    files = sorted(RUNTIME_DIR.rglob("*.lua"))
    named = [(str(f.relative_to(RUNTIME_DIR)), f) for f in files]
    if luatos:
        named.append(("LuatOS sys.lua", luatos / "sys.lua"))
    lines = [f"Lua {lua_version}: prototypes held alive, loaded from source / from stripped bytecode",
             f"  {'file':28} {'source':>10} {'stripped':>10} {'bytecode':>10}"]
    sums = [0.0, 0.0, 0.0]
    for name, path in named:
        values = [float(x) for x in lua.execute(PROTOTYPES, path.read_bytes()).decode().split()]
        if not name.startswith("LuatOS"):
            sums = [a + b for a, b in zip(sums, values)]
        lines.append(f"  {name:28} {kb(values[0])} {kb(values[1])} {kb(values[2])}")
    lines.append(f"  {'all runtime files':28} {kb(sums[0])} {kb(sums[1])} {kb(sums[2])}")
    return "\n".join(lines)


def function_table(lua_version: str, module: str) -> str:
    lua = new_state(lua_version, RUNTIME_DIR)
    rows = [line.split("\t") for line in lua.execute(FUNCTIONS, module.encode()).decode().splitlines()]
    rows.sort(key=lambda row: -float(row[0]))
    lines = [f"Lua {lua_version}: {module}'s functions, each held alive from source (nested ones included)"]
    lines += [f"  {float(size):7.0f} B  {where:28} {path}" for size, path, where in rows]
    return "\n".join(lines)


def ensure_build(build: Path, extra: list[str], program: str = "luasys-native") -> bool:
    """Configures `build` if it is not yet, and brings `program` up to date: it embeds
    the runtime's files, so a build left from before a change would measure the old ones."""
    commands = [["cmake", "--build", str(build), "-j2", "--target", program]]
    if not (build / "CMakeCache.txt").exists():
        lua_src = subprocess.run([str(ROOT / "tools/fetch-lua-src.sh")], capture_output=True, text=True)
        if lua_src.returncode != 0:
            print(f"  {build.name}: not built (tools/fetch-lua-src.sh failed)")
            return False
        commands.insert(0, ["cmake", "-S", str(ROOT / "host_sim/native"), "-B", str(build),
                            f"-DLUASYS_LUA32_SRC={lua_src.stdout.strip()}", *extra])
    for command in commands:
        if subprocess.run(command, capture_output=True).returncode != 0:
            print(f"  {build.name}: the build failed ({' '.join(command)})")
            return False
    return True


def native_steps(build: Path, statements: list[str], prelude: str = "") -> list[float]:
    done = subprocess.run([str(build / "luasys-footprint"), prelude + MEASURE, *statements],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise SystemExit(f"{build.name}: {done.stderr or done.stdout}")
    return [float(x) for x in done.stdout.split()]


def luatos_on_native(build: Path, luatos: Path) -> str:
    """LuatOS's `require "sys"` on native-lua32, its files compiled by the build's luac
    without local names (luat_luac -n, as the image's) and loaded in place."""
    with tempfile.TemporaryDirectory() as chunks:
        for source in sorted(luatos.glob("*.lua")):
            compiled = subprocess.run([str(build / "luac32"), "-n", "-o", f"{chunks}/{source.stem}.luac",
                                       str(source)], capture_output=True, text=True)
            if compiled.returncode != 0:
                raise SystemExit(f"{build.name}/luac32: {compiled.stderr}")
        prelude = LOG_STUB + FIXED_SEARCHER % chunks + "local statements = ...\nstatements.n = 1\n"
        return kb(native_steps(build, [s for _, s in OURS], prelude)[0])


def native_require_table(luatos: Path | None) -> str:
    build = ROOT / "build/native-lua32"
    lines = ["native-lua32 (Lua 5.5, LUA_32BITS, 64-bit host): resident heap, the runtime as the firmware",
             "loads it (bytecode without local names, in place), two full collections before and after"]
    if not ensure_build(build, [], "luasys-footprint"):
        return "\n".join(lines)
    deltas = native_steps(build, [s for _, s in OURS])
    lines.append(f"  {'loaded':34} {'in place':>10} {'(total)':>10}")
    total = 0.0
    for (label, _), delta in zip(OURS, deltas):
        total += delta
        lines.append(f"  {label:34} {kb(delta)} {kb(total)}")
    lines.append(f"  {'sys + ringbuf + playlist + gesture':34} {kb(sum(deltas[:TOOLKIT_ROWS]))}")
    if luatos:
        lines.append(f"  {'LuatOS sys.lua (sysplus in it)':34} {luatos_on_native(build, luatos)}")
    return "\n".join(lines)


def boot_figures(build: Path, runs: int = 5) -> dict[str, float]:
    best: dict[str, float] = {}
    for _ in range(runs):
        done = subprocess.run([str(build / "luasys-native"), "--exit-when-idle", str(BOOT_SCRIPT)],
                              capture_output=True, text=True, timeout=60, env=dict(os.environ))
        if done.returncode != 0:
            raise SystemExit(f"{build.name}: {done.stderr or done.stdout}")
        for line in done.stdout.splitlines():
            key, _, value = line.partition("\t")
            if value:
                best[key] = min(best.get(key, float("inf")), float(value))
    return best


def native_table() -> str:
    lines = ["native-lua32 (LUA_32BITS, Lua 5.5, 64-bit host): boot, best of 5",
             f"  {'runtime embedded as':22} {'resident':>10} {'peak':>10} {'first task':>11}"]
    for label, build, extra in (("bytecode", ROOT / "build/native-lua32", []),
                                ("source", ROOT / "build/native-lua32-source", ["-DLUASYS_EMBED_SOURCE=ON"])):
        if not ensure_build(build, extra):
            continue
        f = boot_figures(build)
        lines.append(f"  {label:22} {kb(f['resident_bytes'])} {kb(f['peak_bytes'])}"
                     f" {f['first_task_us'] / 1000:8.2f} ms")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lua", choices=sorted(LUA_VERSIONS), action="append",
                        help="Lua version(s) to measure (default: all)")
    parser.add_argument("--luatos", type=Path, help="directory holding LuatOS's sys.lua, to measure beside ours")
    parser.add_argument("--no-native", action="store_true", help="skip the native-lua32 boot figures")
    parser.add_argument("--functions", metavar="MODULE", action="append",
                        help="print only what each function of MODULE (ringbuf, playlist.stopping, ...) costs")
    args = parser.parse_args()
    if args.functions:
        for module in args.functions:
            for version in args.lua or ["5.5"]:
                print(function_table(version, module))
        return
    for version in args.lua or sorted(LUA_VERSIONS):
        print(heap_table(version, args.luatos))
        print()
    print(prototype_table("5.5", args.luatos))
    print()
    if not args.no_native:
        print(native_require_table(args.luatos))
        print()
        print(native_table())


if __name__ == "__main__":
    main()
