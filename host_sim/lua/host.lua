-- The simulator's host bindings: builds the global `rtos` over the Python backend
-- (host_sim/rtos.py) and routes `print` to the host's console. Everything here is a
-- thin forwarder; the behaviour lives in Python, once.

local backend, constants, version, virtual_time, write, console_read, console_reply = ...

local select, tostring, concat, pcall, error = select, tostring, table.concat, pcall, error

local rtos = {}
for name, value in pairs(constants) do rtos[name] = value end

-- A Python exception reaches Lua as a userdata; the C binding raises strings, with no
-- position (luaL_error from a C function). Every forwarder passes results through this.
local function results(ok, ...)
    if ok then return ... end
    error(tostring((...)), 0)
end

-- receive returns the backend's clock first; keeping it here makes rtos.millis() a
-- Lua read in virtual time, where the clock only moves inside receive.
local now = backend.millis()
local py_receive = backend.receive
local function keep_now(ok, t, ...)
    if not ok then error(tostring(t), 0) end
    now = t
    return ...
end

function rtos.receive(...) return keep_now(pcall(py_receive, ...)) end

-- Lua functions, not the Python callables themselves: on the device every rtos entry
-- is a C function, and type(rtos.x) must say "function" here too.
local function forward(py_function)
    return function(...) return results(pcall(py_function, ...)) end
end

rtos.console_read = forward(console_read)
rtos.console_reply = forward(console_reply)

-- The clocks take any arguments and cannot fail: no pcall on their hot path (the
-- watchdog reads micros in every busy loop).
local py_micros = backend.micros
function rtos.micros() return py_micros() end
rtos.timer_start = forward(backend.timer_start)
rtos.timer_stop = forward(backend.timer_stop)
rtos.post = forward(backend.rtos_post)
rtos.meminfo = forward(backend.meminfo)
rtos.reboot = forward(backend.reboot)
rtos.bsp = forward(backend.bsp)
rtos.buildDate = forward(backend.build_date)
rtos.standy = forward(backend.standy)
function rtos.nop() end

-- These return nothing, as their C versions do (a Python None would be one nil).
local py_auto_collect_mem = backend.auto_collect_mem
function rtos.autoCollectMem(...) results(pcall(py_auto_collect_mem, ...)) end

local py_set_paths = backend.set_paths
function rtos.setPaths(...) package.path = results(pcall(py_set_paths, package.path, ...)) end

if virtual_time then
    function rtos.millis() return now end
else
    local py_millis = backend.millis
    function rtos.millis() return py_millis() end
end

local py_queue_stats = backend.queue_stats_tuple
function rtos.queue_stats()
    local capacity, depth, high_water, posted, received, dropped = results(pcall(py_queue_stats))
    return { capacity = capacity, depth = depth, high_water = high_water,
             posted = posted, received = received, dropped = dropped }
end

-- rtos.version(true) adds, as LuatOS does, the firmware's type number (0: LuaSys has
-- none) and how many bits Lua's integers have.
local INTEGER_BITS = string.packsize("j") * 8
function rtos.version(more)
    if more == true then return version, 0, INTEGER_BITS end
    return version
end

function rtos.firmware() return version .. "_" .. rtos.bsp() end

_G.rtos = rtos

function _G.print(...)
    local n = select("#", ...)
    local parts = {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    write(concat(parts, "\t"))
end
