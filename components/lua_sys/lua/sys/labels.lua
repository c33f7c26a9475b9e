-- What tasks, timers and subscribers are called in reports, traces, sys.describe and
-- the watchdog's messages, and what state a task is in. Loaded when first needed: by
-- the first error report, sys.setTrace, sys.describe, sys.setWatchdog, sys.task.

local core = require "sys.core"

local type, tostring = type, tostring
local getinfo, co_status = debug.getinfo, coroutine.status

local labels = {}

-- While a trace hook is set, each new task's function (weak keys: gone with the task),
-- so that its label is the same before its first slice and after its last.
core.traced_fns = core.traced_fns or setmetatable({}, { __mode = "k" })

--- Where function `fn` is defined: "file.lua:12".
---@return string
function labels.source_of(fn)
    local info = getinfo(fn, "S")
    return info.short_src .. ":" .. info.linedefined
end
local source_of = labels.source_of

-- Where a task's function is defined, read from the bottom of its (dead) stack. Each
-- look at a level walks the stack from its top, and a task that overflowed its stack
-- left hundreds of thousands of levels: the bottom is found as luaL_traceback finds
-- it, by doubling and then halving (O(log n) looks, not n).
local function task_origin(co)
    local found, beyond = 1, 1 -- the levels below `found` exist (if any does), `beyond` does not
    while getinfo(co, beyond, "S") do found, beyond = beyond, beyond * 2 end
    while found < beyond do
        local middle = (found + beyond) // 2
        if getinfo(co, middle, "S") then found = middle + 1 else beyond = middle end
    end
    local info = getinfo(co, beyond - 1, "S")
    if info then return info.short_src .. ":" .. info.linedefined end
    -- No frames: not started yet, or ended. While tracing, new tasks keep their function.
    local fn = core.traced_fns[co]
    return fn and source_of(fn) or tostring(co)
end

--- What a task is called in reports: its name, or where its function is defined.
---@return string
function labels.task_label(co)
    return core.task_names[co] or ("task@" .. task_origin(co))
end
local task_label = labels.task_label

--- What a task, timer or subscriber is called in reports.
---@return string
function labels.label_of(what)
    local kind = type(what)
    if kind == "thread" then return task_label(what) end
    if kind == "function" then return source_of(what) end
    return "timer " .. what.id .. " -> " .. source_of(what.fn)
end

--- A live task's state: "running", "ready", "sleeping" or "waiting".
---@return string
function labels.state_of(co)
    local status = co_status(co)
    if status == "running" or status == "normal" then return "running" end
    local entry = core.tasks[co]
    if entry == false then return "waiting" end
    return entry > 0 and "sleeping" or "ready"
end

return labels
