-- Argument checks shared by ringbuf, playlist and gesture.
--
-- Every LuaSys argument error has one shape:
--   <module.fn>: argument #<n> '<name>' <requirement> (got <value or type>)
-- `name` may be a path into a table argument ("def.steps[2].offset"), so a bad
-- field deep in a definition is reported as precisely as a bad scalar.
--
-- `level` works as for `error`: 2 blames the caller of the function that called
-- the check. A helper nested one call deeper passes 3, and so on.

local check = {}

-- Numbers, booleans and nil show their value; short strings are quoted; anything
-- else shows its type (printing a table address would only confuse).
local function describe(v)
    local t = type(v)
    if t == "number" or t == "boolean" or t == "nil" then return tostring(v) end
    if t == "string" and #v <= 24 then return string.format("%q", v) end
    return t
end

--- Raises an argument error. `got` overrides the default description of `v`.
---@param level integer
---@param fn string
---@param n integer
---@param name string
---@param requirement string
---@param v any
---@param got? string
function check.fail(level, fn, n, name, requirement, v, got)
    error(string.format("%s: argument #%d '%s' %s (got %s)",
        fn, n, name, requirement, got or describe(v)), level + 1)
end

--- Returns `v` as an integer in `lo..hi` (`hi` optional), else raises. Floats with
--- an integral value are accepted and converted (configuration often arrives as
--- floats); strings are not, although `math.tointeger` would convert them.
---@param level integer
---@param fn string
---@param n integer
---@param name string
---@param v any
---@param lo integer
---@param hi? integer
---@return integer
function check.integer(level, fn, n, name, v, lo, hi)
    local i = type(v) == "number" and math.tointeger(v)
    if not i or i < lo or (hi and i > hi) then
        check.fail(level + 1, fn, n, name,
            hi and string.format("must be an integer %d..%d", lo, hi)
                or string.format("must be an integer >= %d", lo), v)
    end
    return i
end

--- Returns `v` if its type is `kind` (or if it is nil and `optional`), else raises.
---@param level integer
---@param fn string
---@param n integer
---@param name string
---@param v any
---@param kind type
---@param optional? boolean
---@return any
function check.type(level, fn, n, name, v, kind, optional)
    if type(v) ~= kind and not (optional and v == nil) then
        check.fail(level + 1, fn, n, name,
            string.format(optional and "must be a %s or nil" or "must be a %s", kind), v)
    end
    return v
end

return check
