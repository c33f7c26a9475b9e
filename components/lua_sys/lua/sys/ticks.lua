-- sys.ticksDiff and sys.ticksAdd: arithmetic on rtos.millis() values across the
-- clock's wrap. Loaded on first use (sys.lua).

local core = require "sys.core"

local sys, later = require "sys", core.later
local math_type = math.type
local heap = core.heap
local MASK, HALF, INT_MIN, INT_MAX = heap.MASK, heap.HALF, -heap.INT_MAX - 1, heap.INT_MAX

--- The signed difference `a - b`, in ms, between two rtos.millis() values, right also
--- across the clock's wrap at 2^31 (like MicroPython's time.ticks_diff). Valid while
--- the two are less than 2^30 ms (12 days) apart.
---@param a integer
---@param b integer
---@return integer
function sys.ticksDiff(a, b)
    if math_type(a) ~= "integer" or math_type(b) ~= "integer" then
        a = later("sys.check", "integer", "sys.ticksDiff", 1, "a", a, INT_MIN, INT_MAX)
        b = later("sys.check", "integer", "sys.ticksDiff", 2, "b", b, INT_MIN, INT_MAX)
    end
    return ((a - b + HALF) & MASK) - HALF
end

--- The rtos.millis() value `ms` milliseconds after `t`, wrapping like the clock.
---@param t integer
---@param ms integer
---@return integer
function sys.ticksAdd(t, ms)
    if math_type(t) ~= "integer" or math_type(ms) ~= "integer" then
        t = later("sys.check", "integer", "sys.ticksAdd", 1, "t", t, INT_MIN, INT_MAX)
        ms = later("sys.check", "integer", "sys.ticksAdd", 2, "ms", ms, INT_MIN, INT_MAX)
    end
    return (t + ms) & MASK
end
