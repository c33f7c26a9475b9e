-- Observation: sys.stats(), sys.setTrace() and sys.setReceiveTap(). Loaded on first use (sys.lua); the
-- snapshot sys.describe() and the watchdog are sys/describe.lua and sys/watchdog.lua.

local core = require "sys.core"

local sys = require "sys"
local type, loaded, pairs = type, package.loaded, pairs
local heap = core.heap
local MASK = heap.MASK

--- Sets a function called for every task switch, timer firing and message dispatch:
--- `fn(kind, name, start_us, duration_us)` with kind "run" (a task ran), "timer" or
--- "message" (duration 0); times from rtos.micros(). nil removes it.
---@param fn fun(kind: string, name: string, start_us: integer, duration_us: integer)|nil
function sys.setTrace(fn)
    if fn ~= nil and type(fn) ~= "function" then core.later("sys.check", "fail", "sys.setTrace", 1, "fn", "be a function or nil", fn, 3) end
    require "sys.slices" -- "run" events, and the labels new tasks keep while tracing
    core.hooks.trace = fn
end

--- Sets `fn(id, ...)`, called with every message the loop receives from rtos.receive
--- before it is published (id is rtos.MSG_TIMER for an rtos timer); nil removes it.
--- Returns rtos.millis() at the runtime's start. `luasys record`'s tap (recorder.lua).
---@param fn fun(id: string|integer, ...)|nil
---@return integer started_ms
function sys.setReceiveTap(fn)
    if fn ~= nil and type(fn) ~= "function" then core.later("sys.check", "fail", "sys.setReceiveTap", 1, "fn", "be a function or nil", fn, 3) end
    core.hooks.receive = fn
    return core.started_ms
end

--- The runtime's counters. Counts are modulo 2^31 on every backend, as they must be
--- on the device, whose integers are 32-bit. Timers and mailboxes count 0 until their
--- module has loaded.
---@return table
function sys.stats()
    local stats = {}
    for name, n in pairs(core.count) do stats[name] = n & MASK end
    stats.scheduled = (heap.base + heap.seq) & MASK
    stats.deadlines_pending = heap.n - heap.stale
    local timers = loaded["sys.timers"] or { count = 0, fired = 0, overruns = 0 }
    local mailbox = loaded["sys.mailbox"] or { full = 0, discarded = 0 }
    stats.timers_active = timers.count
    stats.timers_fired, stats.timer_overruns = timers.fired & MASK, timers.overruns & MASK
    stats.mailbox_full, stats.mailbox_discarded = mailbox.full & MASK, mailbox.discarded & MASK
    stats.queue = rtos.queue_stats()
    return stats
end
