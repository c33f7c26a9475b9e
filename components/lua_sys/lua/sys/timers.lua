-- Lua timers: sys.timerStart, timerLoopStart, timerAdvStart, timerStop, timerStopAll,
-- timerIsActive. Loaded on first use (sys.lua). A timer is one entry in the core's
-- deadline heap, not an OS timer; the loop hands it to core.fire_timer when it is due.

local core = require "sys.core"

local sys, hooks, later = require "sys", core.hooks, core.later
local select, type, next, pairs = select, type, next, pairs
local unpack, pack, ceil, math_type = table.unpack, table.pack, math.ceil, math.type
local millis, micros = rtos.millis, rtos.micros
local MASK, MAX_MS, INT_MAX = core.heap.MASK, core.heap.MAX_MS, core.heap.INT_MAX

---@class sys.Timer
---@field id integer
---@field fn function
---@field args table|nil  packed arguments for fn
---@field ms integer
---@field remaining integer  firings left; -1 forever
---@field seq integer|nil  seq of its deadline entry; nil once stopped
---@field overruns integer

-- The timers' state, read by sys.stats and sys.describe.
local timers = {
    by_id = {}, -- [id] = timer
    count = 0, fired = 0,
    overruns = 0, -- ticks skipped by timers and periodic jobs (sys/periodic.lua)
}
local by_id = timers.by_id
local timers_of = {} -- [fn] = { [timer] = true }
local last_timer_id = 0

-- A timer is known by its function and arguments. Trailing nils do not count, as in
-- LuatOS: sys.timerStop(f, "x") stops sys.timerStart(f, ms, "x", nil).
local function same_args(args, ...)
    local n = select("#", ...)
    while n > 0 and (select(n, ...)) == nil do n = n - 1 end
    local m = args and args.n or 0
    while m > 0 and args[m] == nil do m = m - 1 end
    if m ~= n then return false end
    for i = 1, n do
        if args[i] ~= (select(i, ...)) then return false end
    end
    return true
end

local function find_timer(fn, ...)
    local set = timers_of[fn]
    if not set then return nil end
    for t in pairs(set) do
        if same_args(t.args, ...) then return t end
    end
end

local function forget_timer(t)
    by_id[t.id] = nil
    local set = timers_of[t.fn]
    set[t] = nil
    if next(set) == nil then timers_of[t.fn] = nil end
    t.seq = nil
    timers.count = timers.count - 1
end

local function stop_timer(t)
    local s = t.seq
    forget_timer(t)
    core.drop(s)
end

local function start_timer(fname, fn, ms, remaining, ...)
    if type(fn) ~= "function" then later("sys.check", "func", fname, 1, "fn", fn) end
    local min = remaining == 1 and 0 or 1
    if type(ms) ~= "number" or not (ms >= min and ms <= MAX_MS) then later("sys.check", "ms", fname, 2, "ms", ms, min, MAX_MS) end
    ms = ceil(ms) -- a wait is never shorter than asked
    -- As in LuatOS, a timer with the same function and arguments replaces the old one.
    local old = find_timer(fn, ...)
    if old then stop_timer(old) end
    -- Ids run 1..INT_MAX and wrap (the device's integers are 32-bit), skipping ids
    -- still in use.
    repeat
        last_timer_id = last_timer_id % INT_MAX + 1
    until by_id[last_timer_id] == nil
    local t = {
        id = last_timer_id, fn = fn, ms = ms, remaining = remaining, overruns = 0,
        args = select("#", ...) > 0 and pack(...) or nil,
    }
    by_id[t.id] = t
    local set = timers_of[fn]
    if not set then
        set = {}
        timers_of[fn] = set
    end
    set[t] = true
    timers.count = timers.count + 1
    core.schedule(t, (millis() + ms) & MASK)
    return t.id
end

--- Calls `fn(...)` once, `ms` milliseconds from now. Returns the timer id.
---@param fn function
---@param ms number
---@return integer id
function sys.timerStart(fn, ms, ...)
    return start_timer("sys.timerStart", fn, ms, 1, ...)
end

--- Calls `fn(...)` every `ms` milliseconds (ms >= 1), drift-free: the n-th call is
--- due at start + n * ms. A call that would come late by a whole period or more is
--- skipped and counted as an overrun rather than run in a burst.
---@param fn function
---@param ms number
---@return integer id
function sys.timerLoopStart(fn, ms, ...)
    return start_timer("sys.timerLoopStart", fn, ms, -1, ...)
end

--- LuatOS's general form: `count` 0 fires once, -1 forever, N >= 1 fires N times.
---@param fn function
---@param ms number
---@param count integer
---@return integer id
function sys.timerAdvStart(fn, ms, count, ...)
    if math_type(count) ~= "integer" or count < -1 or count > INT_MAX then
        count = later("sys.check", "integer", "sys.timerAdvStart", 3, "count", count, -1, INT_MAX)
    end
    return start_timer("sys.timerAdvStart", fn, ms, count == 0 and 1 or count, ...)
end

local function timer_of(fname, val, ...)
    if type(val) == "number" then return by_id[val] end
    if type(val) == "function" then return find_timer(val, ...) end
    later("sys.check", "fail", fname, 1, "timer", "be a timer id or a function", val)
end

--- Stops a timer given by id, or by function and arguments. Returns true if a timer
--- was stopped. Once it returns, the timer's function is not called again.
---@param val integer|function
---@return boolean
function sys.timerStop(val, ...)
    local t = timer_of("sys.timerStop", val, ...)
    if not t then return false end
    stop_timer(t)
    return true
end

--- Stops every timer of function `fn`, whatever its arguments. Returns how many.
---@param fn function
---@return integer
function sys.timerStopAll(fn)
    if type(fn) ~= "function" then later("sys.check", "func", "sys.timerStopAll", 1, "fn", fn) end
    local set, count = timers_of[fn], 0
    if set then
        for t in pairs(set) do
            stop_timer(t)
            count = count + 1
        end
    end
    return count
end

--- True if the timer (by id, or by function and arguments) is pending.
---@param val integer|function
---@return boolean
function sys.timerIsActive(val, ...)
    return timer_of("sys.timerIsActive", val, ...) ~= nil
end

-- Called by the loop when timer `t`, due at `due`, is to fire (`now` is the turn's
-- time): schedules its next firing first, so the callback may stop or restart it.
function core.fire_timer(t, due, now)
    timers.fired = timers.fired + 1
    local remaining = t.remaining
    if remaining == 1 then
        forget_timer(t)
    else
        if remaining > 1 then t.remaining = remaining - 1 end
        local ms = t.ms
        local late = (now - due) & MASK -- how late this call is (due is never after now)
        local missed = late // ms
        if missed > 0 then
            t.overruns = t.overruns + missed
            timers.overruns = timers.overruns + missed
        end
        core.schedule(t, (due + (missed + 1) * ms) & MASK)
    end
    local trace = hooks.trace
    local started = trace and micros()
    local args, ok, message, traceback = t.args, nil, nil, nil
    if args then
        ok, message, traceback = core.call(t, t.fn, unpack(args, 1, args.n))
    else
        ok, message, traceback = core.call(t, t.fn)
    end
    if started then trace("timer", "timer " .. t.id, started, (micros() - started) & MASK) end
    if not ok then core.report("timer", nil, message, traceback, t) end
end

return timers
