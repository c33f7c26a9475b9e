-- Argument checks for sys and the toolkit (ringbuf, playlist, gesture). Every message
-- has one shape, so a user can tell at once which call and which argument was wrong:
--   sys.wait: argument #1 'ms' must be a number >= 0 (got "10")
--   playlist.register: argument #1 'def.steps[2].ofset' must not be set: no such field (got 10)
-- `name` may be a path into a table argument, so a bad field deep in a definition is
-- reported as precisely as a bad scalar.
--
-- Blame: each checker raises at the line that called the public function that called
-- the checker. A checker called from a helper one call deeper gets `level` 3 (default
-- 2, as for error(): 2 is the caller of the function that called the check).

local type, tostring, format, ceil, tointeger, pairs = type, tostring, string.format, math.ceil, math.tointeger, pairs

local check = {}

--- The longest duration any LuaSys call accepts, in ms (about 6.2 days). The device's
--- Lua has 32-bit integers and its clock wraps at 2^31 ms; deadlines compared modulo
--- 2^31 must stay within 2^30 of each other (sys/heap.lua).
check.MAX_MS = require("sys.heap").MAX_MS

--- The largest integer of the device's 32-bit Lua, 2^31 - 1, as an integer. (Not
--- `2 ^ 31 - 1`: `^` gives a float, and in single precision that rounds to 2^31, which
--- has no 32-bit integer representation.)
check.INT_MAX = require("sys.heap").INT_MAX

--- How a message shows a value: strings quoted, other scalars as they print, the rest
--- by type.
---@return string
function check.shown(value)
    local t = type(value)
    if t == "string" then return format("%q", value) end
    if t == "number" or t == "boolean" or t == "nil" then return tostring(value) end
    return t
end
local shown = check.shown

--- Raises the standard argument error. `level` is error()'s level as seen from
--- check.fail (default 4: fail <- checker <- public function <- its caller); `got`
--- replaces the default showing of `value`.
---@param fname string  e.g. "sys.wait"
---@param n integer     argument position
---@param name string   argument name or path
---@param requirement string  what the argument must do: "be a string", "not be set"
---@param value any     what it was
---@param level? integer
---@param got? string
function check.fail(fname, n, name, requirement, value, level, got)
    error(format("%s: argument #%d '%s' must %s (got %s)", fname, n, name, requirement, got or shown(value)),
        level or 4)
end
local fail = check.fail

--- A duration in milliseconds: a number in [min, max], rounded up to an integer (a
--- wait is never shorter than asked). NaN and infinities fail the range test.
---@return integer
function check.ms(fname, n, name, value, min, max)
    if type(value) ~= "number" or not (value >= min and value <= max) then
        fail(fname, n, name, format("be a number >= %d and <= %d", min, max), value)
    end
    return ceil(value)
end

--- An integer >= `min` (and <= `max` when given). Floats with an integral value are
--- accepted and converted (configuration often arrives as floats); strings are not,
--- although math.tointeger would take them.
---@return integer
function check.integer(fname, n, name, value, min, max, level)
    local i = type(value) == "number" and tointeger(value)
    if not i or i < min or (max and i > max) then
        fail(fname, n, name, max and format("be an integer %d..%d", min, max)
            or format("be an integer >= %d", min), value, (level or 2) + 2)
    end
    return i
end

function check.func(fname, n, name, value)
    if type(value) ~= "function" then fail(fname, n, name, "be a function", value) end
    return value
end

--- A message topic: a string or a number (not NaN).
function check.topic(fname, n, value)
    local t = type(value)
    if not (t == "string" or (t == "number" and value == value)) then
        fail(fname, n, "topic", "be a string or a number", value)
    end
    return value
end

--- Raises the error for the arguments of sys.subscribe or sys.unsubscribe (`fname`):
--- a callback that is no function or task, or a topic (or list of topics) that is no
--- string or number, or an empty list.
function check.subscription(fname, topic, callback)
    local t = type(callback)
    if t ~= "function" and t ~= "thread" then fail(fname, 2, "callback", "be a function or a task", callback) end
    local topics = type(topic) == "table" and topic or { topic }
    if topics[1] == nil then
        fail(fname, 1, "topic", "be a string, a number or a non-empty list of them", topic)
    end
    for _, each in ipairs(topics) do
        t = type(each)
        if t ~= "string" and (t ~= "number" or each ~= each) then fail(fname, 1, "topic", "be a string or a number", each) end
    end
end

--- `value` if its type is `kind`, or if it is nil and `optional`.
---@param kind type
---@return any
function check.type(fname, n, name, value, kind, optional, level)
    if type(value) ~= kind and not (optional and value == nil) then
        fail(fname, n, name, optional and ("be a " .. kind .. " or nil") or ("be a " .. kind), value,
            (level or 2) + 2)
    end
    return value
end

--- Raises on a string key of table `t` that is not in `known` (a set), so a typo such
--- as `ofset = 100` is an error rather than a silently ignored field.
---@param name string the table's own name or path
---@param known table<string, true>
function check.fields(fname, n, name, t, known, level)
    for k, v in pairs(t) do
        if type(k) == "string" and not known[k] then
            fail(fname, n, name .. "." .. k, "not be set: no such field", v, (level or 2) + 2)
        end
    end
end

return check
