-- The conformance harness: the same case files run on every rtos backend.
--
-- A case file registers cases with `T.case(name, fn)`. The backend runs the file
-- once per case, in a fresh runtime, with the case's name in the global or
-- environment variable LUASYS_CASE; only that case's function runs. The function
-- runs in the main chunk: it sets up tasks and timers, calls `sys.run()` (which
-- returns when the backend reports "idle") and then checks what happened.
--
-- The result is one line on stdout, which the pytest runner reads:
--   CASE ok <name>
--   CASE fail <name>: <message and traceback>
-- Every error reported by the runtime (the "SYS_ERROR" event) fails the case
-- unless the case said how many it expects with `T.expect_errors(n)`.

local T = {}

local selected = rawget(_G, "LUASYS_CASE") or os.getenv("LUASYS_CASE")
local expected_errors = 0
local reported = {}

local function render(v, depth)
    depth = depth or 0
    if type(v) == "string" then return string.format("%q", v) end
    if type(v) ~= "table" or depth > 3 then return tostring(v) end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do
        parts[#parts + 1] = "[" .. render(k) .. "]=" .. render(v[k], depth + 1)
    end
    return "{" .. table.concat(parts, ", ") .. "}"
end
T.render = render

local function deep_equal(a, b)
    if a == b then return true end
    if type(a) ~= "table" or type(b) ~= "table" then return false end
    for k, v in pairs(a) do
        if not deep_equal(v, b[k]) then return false end
    end
    for k in pairs(b) do
        if a[k] == nil then return false end
    end
    return true
end

--- Fails the case unless `actual` deep-equals `expected`.
---@param actual any
---@param expected any
---@param what? string
function T.eq(actual, expected, what)
    if not deep_equal(actual, expected) then
        error(string.format("%sexpected %s, got %s", what and (what .. ": ") or "",
            render(expected), render(actual)), 2)
    end
end

--- Fails the case unless `cond` is truthy.
---@param cond any
---@param what? string
function T.ok(cond, what)
    if not cond then error(what or "condition is false", 2) end
end

--- Calls `fn(...)` and fails the case unless it raises an error whose message
--- contains `pattern` (a plain substring). Returns the message.
---@param pattern string
---@param fn function
---@return string
function T.raises(pattern, fn, ...)
    local ok, err = pcall(fn, ...)
    if ok then error("expected an error containing '" .. pattern .. "', got none", 2) end
    err = tostring(err)
    if not err:find(pattern, 1, true) then
        error("expected an error containing '" .. pattern .. "', got: " .. err, 2)
    end
    return err
end

--- Declares that the case expects exactly `n` SYS_ERROR reports.
---@param n integer
function T.expect_errors(n) expected_errors = n end

--- The SYS_ERROR reports seen so far (each the table the runtime published).
---@return table[]
function T.errors() return reported end

--- Registers a case; runs it if it is the selected one.
---@param name string
---@param fn function
function T.case(name, fn)
    if name ~= selected then return end
    sys.subscribe("SYS_ERROR", function(report) reported[#reported + 1] = report end)
    local ok, err = xpcall(fn, debug.traceback)
    if ok and #reported ~= expected_errors then
        local first = reported[1]
        ok, err = false, string.format("expected %d runtime errors, got %d%s", expected_errors,
            #reported, first and (": " .. tostring(first.message)) or "")
    end
    if ok then
        print("CASE ok " .. name)
    else
        print("CASE fail " .. name .. ": " .. tostring(err))
    end
end

return T
