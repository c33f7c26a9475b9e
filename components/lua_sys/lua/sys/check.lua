-- Argument checks shared by sys and the modules above it. Every message has one
-- shape, so a user can tell at once which call and which argument was wrong:
--   sys.wait: argument #1 'ms' must be a number >= 0 (got "10")
--
-- Each checker is called directly by a public function, so `error(..., 4)` blames the
-- line that called that public function: fail (1) <- checker (2) <- API (3) <- caller.

local type, tostring, format, ceil, tointeger = type, tostring, string.format, math.ceil, math.tointeger

local check = {}

--- The longest duration any LuaSys call accepts, in ms (about 6.2 days). The device's
--- Lua has 32-bit integers and its clock wraps at 2^31 ms; deadlines compared modulo
--- 2^31 must stay within 2^30 of each other (sys/deadlines.lua).
check.MAX_MS = 1 << 29

--- The largest integer of the device's 32-bit Lua, 2^31 - 1, as an integer. (Not
--- `2 ^ 31 - 1`: `^` gives a float, and in single precision that rounds to 2^31, which
--- has no 32-bit integer representation.)
check.INT_MAX = 0x7fffffff

local function shown(value)
    local t = type(value)
    if t == "string" then return format("%q", value) end
    if t == "number" or t == "boolean" or t == "nil" then return tostring(value) end
    return t
end
check.shown = shown

--- Raises the standard argument error, blaming the caller of the public function:
--- `level` (default 4) is error()'s level as seen from check.fail, for checks nested
--- deeper than a checker called by the public function.
---@param fname string  e.g. "sys.wait"
---@param n integer     argument position
---@param name string   argument name
---@param requirement string  what the argument must be
---@param value any     what it was
---@param level? integer
function check.fail(fname, n, name, requirement, value, level)
    error(format("%s: argument #%d '%s' must be %s (got %s)", fname, n, name, requirement, shown(value)),
        level or 4)
end
local fail = check.fail

--- A duration in milliseconds: a number in [min, max], rounded up to an integer (a
--- wait is never shorter than asked). NaN and infinities fail the range test.
---@return integer
function check.ms(fname, n, name, value, min, max)
    if type(value) ~= "number" or not (value >= min and value <= max) then
        fail(fname, n, name, format("a number >= %d and <= %d", min, max), value)
    end
    return ceil(value)
end

--- An integer in [min, max].
---@return integer
function check.integer(fname, n, name, value, min, max)
    if type(value) ~= "number" or value % 1 ~= 0 or value < min or value > max then
        fail(fname, n, name, format("an integer %d..%d", min, max), value)
    end
    return tointeger(value)
end

function check.func(fname, n, name, value)
    if type(value) ~= "function" then fail(fname, n, name, "a function", value) end
    return value
end

--- A message topic: a string or a number (not NaN).
function check.topic(fname, n, value)
    local t = type(value)
    if not (t == "string" or (t == "number" and value == value)) then
        fail(fname, n, "topic", "a string or a number", value)
    end
    return value
end

return check
