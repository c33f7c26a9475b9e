-- console: the Lua half of the device console (docs/console-protocol.md).
-- The console (C on a device, Python in the simulator) keeps a request's text on its
-- side and posts a short SYS_CONSOLE message; this module fetches the text with
-- rtos.console_read() and runs it as a task inside the running loop, like the lua
-- REPL: an expression's values are printed, a statement is run. A tool's request
-- (a tag) is answered with rtos.console_reply instead of being printed. The console's
-- `interrupt` (Ctrl-C) posts the same topic with the argument "interrupt".

local sys = require "sys"

local console = {}

--- Topic of the console's "a request is waiting" message.
console.TOPIC = "SYS_CONSOLE"
--- The argument of that topic's message that means "interrupt the console's chunks".
console.INTERRUPT = "interrupt"

local pack, concat = table.pack, table.concat

-- As lua.c does: try the line as an expression first, then as a statement.
local function compile(source)
    local chunk = load("return " .. source, "=console", "t")
    if chunk then return chunk end
    return load(source, "=console", "t")
end

local function shown(values, first)
    local parts = {}
    for i = first, values.n do parts[#parts + 1] = tostring(values[i]) end
    return concat(parts, "\t")
end

local function answer(tag, ok, text)
    if tag then
        rtos.console_reply(tag, ok, text)
    elseif not ok then
        print("console: error: " .. text)
    elseif text ~= "" then
        print(text)
    end
end

-- The tasks running console chunks (task -> its request's tag, or true for a REPL
-- line), which the console's `interrupt` (Ctrl-C) ends: one that runs is stopped by the
-- runtime's count hook, which looks it up here; one that waits (sys.wait, waitUntil) is
-- cancelled by interrupt_waiting. Weak keys: gone with the task.
local registry = debug.getregistry()
local CONSOLE_TASKS = "luasys.console_tasks"
registry[CONSOLE_TASKS] = registry[CONSOLE_TASKS] or setmetatable({}, { __mode = "k" })
local console_tasks = registry[CONSOLE_TASKS]

local INTERRUPTED = "interrupted" -- the count hook's error text too

local function serve(tag, source)
    local chunk, err = compile(source)
    if not chunk then return answer(tag, false, err) end
    sys.taskInit(function()
        console_tasks[coroutine.running()] = tag or true
        local results = pack(pcall(chunk))
        if results[1] then
            answer(tag, true, shown(results, 2))
        else
            answer(tag, false, tostring(results[2]))
        end
    end)
end

-- Cancels the console chunks that wait, each answered "interrupted"; the tasks they
-- started, and the rest of the program, go on.
local function interrupt_waiting()
    local waiting = {}
    for co, tag in pairs(console_tasks) do
        if coroutine.status(co) == "suspended" then waiting[co] = tag end
    end
    for co, tag in pairs(waiting) do
        console_tasks[co] = nil
        if sys.taskCancel(co) then answer(tag ~= true and tag or nil, false, INTERRUPTED) end
    end
end

sys.subscribe(console.TOPIC, function(what)
    if what == console.INTERRUPT then return interrupt_waiting() end
    local tag, source = rtos.console_read()
    if source then serve(tag, source) end
end)

-- Renders a value for describe(): tables as sorted `key=value` lists, nested.
local function render(value, indent)
    if type(value) ~= "table" then return tostring(value) end
    local keys = {}
    for k in pairs(value) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local lines = {}
    for _, k in ipairs(keys) do
        local v = value[k]
        if type(v) == "table" then
            lines[#lines + 1] = indent .. tostring(k) .. ":\n" .. render(v, indent .. "  ")
        else
            lines[#lines + 1] = indent .. tostring(k) .. "=" .. tostring(v)
        end
    end
    return concat(lines, "\n")
end

--- What the runtime is doing, as text: version, the device's uptime, the run's clock,
--- Lua heap and sys.stats(), then the table of tasks and timers of sys.describe().
---@param uptime_ms? string the ms since the device booted, which the console knows
---(as text: a 32-bit Lua's integers end at 24.8 days); rtos.millis() starts with each run
---@return string
function console.describe(uptime_ms)
    local total, used, max_used = rtos.meminfo()
    local state = {
        version = rtos.version(),
        uptime_ms = uptime_ms,
        millis = rtos.millis(),
        lua_heap = { total = total, used = used, max_used = max_used },
        stats = sys.stats(),
    }
    return render(state, "") .. "\n" .. tostring(sys.describe())
end

return console
