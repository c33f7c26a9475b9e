-- Argument checks for ringbuf, playlist and gesture.
--
-- The messages have the shape of sys.check's (and share its way of showing the
-- offending value):
--   <module.fn>: argument #<n> '<name>' must <requirement> (got <value or type>)
-- What these add is an explicit `level`: a definition table is validated by helpers
-- nested below the public function, and `name` may be a path into it
-- ("def.steps[2].offset"), so a bad field deep in a definition is reported as
-- precisely as a bad scalar and blamed on the line that passed the definition.
--
-- `level` works as for `error`: 2 blames the caller of the function that called
-- the check; a helper one call deeper passes 3, and so on.

local shown = require("sys.check").shown

local check = {}

--- Raises an argument error. `got` replaces the default showing of `value`.
---@param level integer
---@param fname string e.g. "ringbuf.put"
---@param n integer argument position
---@param name string argument name or path
---@param requirement string what the argument must be or do ("be a string")
---@param value any what it was
---@param got? string
function check.fail(level, fname, n, name, requirement, value, got)
    error(string.format("%s: argument #%d '%s' must %s (got %s)",
        fname, n, name, requirement, got or shown(value)), level + 1)
end

--- Returns `value` as an integer >= `min` (and <= `max` when given), else raises.
--- Floats with an integral value are accepted and converted (configuration often
--- arrives as floats); strings are not, although `math.tointeger` would take them.
---@param level integer
---@param fname string
---@param n integer
---@param name string
---@param value any
---@param min integer
---@param max? integer
---@return integer
function check.integer(level, fname, n, name, value, min, max)
    local i = type(value) == "number" and math.tointeger(value)
    if not i or i < min or (max and i > max) then
        check.fail(level + 1, fname, n, name, max and string.format("be an integer %d..%d", min, max)
            or string.format("be an integer >= %d", min), value)
    end
    return i
end

--- Returns `value` if its type is `kind`, or if it is nil and `optional`; else raises.
---@param level integer
---@param fname string
---@param n integer
---@param name string
---@param value any
---@param kind type
---@param optional? boolean
---@return any
function check.type(level, fname, n, name, value, kind, optional)
    if type(value) ~= kind and not (optional and value == nil) then
        check.fail(level + 1, fname, n, name, optional and ("be a " .. kind .. " or nil") or ("be a " .. kind), value)
    end
    return value
end

--- Raises on a string key of table `t` that is not in `known` (a set), so a typo
--- such as `ofset = 100` is an error rather than a silently ignored field.
---@param level integer
---@param fname string
---@param n integer
---@param name string the table's own name or path
---@param t table
---@param known table<string, true>
function check.fields(level, fname, n, name, t, known)
    for k, v in pairs(t) do
        if type(k) == "string" and not known[k] then
            check.fail(level + 1, fname, n, name .. "." .. k, "not be set: no such field", v)
        end
    end
end

return check
