-- Argument checks for sys and the toolkit (ringbuf, playlist, gesture). Every message
-- has one shape, so a user can tell at once which call and which argument was wrong:
--   sys.wait: argument #1 'ms' must be a number >= 0 (got "10")
--   playlist.register: argument #1 'def.steps[2].ofset' must not be set: no such field (got 10)
-- `name` may be a path into a table argument, so a bad field deep in a definition is
-- reported as precisely as a bad scalar.
--
-- Blame: each checker raises at the line that called the public function that called
-- the checker. Two conventions for `level`:
--   - the checkers (ms, integer, type, fields ...) take it as seen from the function
--     that called them, as error() does: default 2, the caller of that function; a
--     checker called from a helper one call deeper gets 3;
--   - check.fail takes error()'s raw level as seen from check.fail itself: default 4
--     (fail <- checker <- public function <- its caller). A public function that calls
--     check.fail itself (through core.later("sys.check", "fail", ...), whose calls are
--     tail calls and add no level) passes 3.

local type, tostring, format, ceil, tointeger, pairs = type, tostring, string.format, math.ceil, math.tointeger, pairs

local check = {}

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

--- Raises the standard argument error. `level` is error()'s raw level as seen from
--- check.fail, not the checkers' convention (see the top of this file): default 4
--- (fail <- checker <- public function <- its caller), 3 when a public function calls
--- fail directly. `got` replaces the default showing of `value`.
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
        fail(fname, n, name, format("be a number >= %s and <= %s", min, max), value)
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
