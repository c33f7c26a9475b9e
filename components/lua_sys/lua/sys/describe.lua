-- sys.describe(): what the scheduler holds, for a person at a REPL or a tool.
-- It walks the scheduler's structures (O(n)); nothing here is on the loop's path.
-- Loaded on first use (sys.lua).

local core = require "sys.core"
local labels = require "sys.labels"
local upkeep = require "sys.upkeep"

local sys = require "sys"
local format, concat, sort, loaded = string.format, table.concat, table.sort, package.loaded

local function render(d)
    local lines = { format("LuaSys at %d ms: %d tasks, %d timers, %d ready", d.now, #d.tasks, #d.timers, d.ready) }
    for _, t in ipairs(d.tasks) do
        lines[#lines + 1] = format("  task  %-28s %-10s %-12s%s%s", t.name, t.state, t.priority,
            t.due_in and format(" due in %d ms", t.due_in) or "",
            t.waiting_for and (" waiting for " .. tostring(t.waiting_for)) or "")
        if t.stats then
            local s = t.stats
            lines[#lines + 1] = format("        slices %d, run %d ms (longest slice %d us), ready-wait %d ms, errors %d, overruns %d%s",
                s.slices, s.run_ms, s.run_us_max, s.ready_wait_ms, s.errors, s.overruns,
                t.starved and ", STARVED" or "")
        end
    end
    for _, t in ipairs(d.timers) do
        lines[#lines + 1] = format("  timer %-28s due in %d ms%s%s", t.name, t.due_in,
            t.every and format(", every %d ms", t.every) or "",
            t.overruns > 0 and format(", %d overruns", t.overruns) or "")
    end
    return concat(lines, "\n")
end

local Description = { __tostring = render }

--- A snapshot of the scheduler: `tasks` (name, state, priority, due_in ms,
--- waiting_for topic, stats of tasks started with sys.task/sys.every, starved),
--- `timers` (name, due_in, every, overruns), `ready` (items due and waiting for
--- their turn), `now`. tostring() of it is a readable table.
---@return table
function sys.describe()
    local now = rtos.millis()
    local due_by = {} -- [task or timer] = due time of its live entry
    upkeep.each_live(core.heap, function(due, _, item) due_by[item] = due end)
    local starved = {}
    local ready = loaded["sys.ready"]
    if ready then
        ready.each(function(item, waited) if waited >= ready.AGING then starved[item] = true end end)
    end
    local tiers = loaded["sys.tasks"] -- loaded before any task leaves the normal tier
    local tasks = {}
    for co in pairs(core.tasks) do
        local due = due_by[co]
        local handle = core.handles[co]
        tasks[#tasks + 1] = {
            name = labels.label_of(co), state = labels.state_of(co),
            priority = tiers and handle and tiers.NAMES[handle.tier] or "normal",
            due_in = due and sys.ticksDiff(due, now), waiting_for = core.waiting_on[co],
            stats = handle and handle:stats(), starved = starved[co] or false,
        }
    end
    local timers = {}
    local timer_list = loaded["sys.timers"]
    for _, t in pairs(timer_list and timer_list.by_id or {}) do
        timers[#timers + 1] = {
            id = t.id, name = labels.label_of(t), due_in = due_by[t] and sys.ticksDiff(due_by[t], now) or 0,
            every = t.remaining ~= 1 and t.ms or nil, overruns = t.overruns,
        }
    end
    sort(tasks, function(a, b) return a.name < b.name end)
    sort(timers, function(a, b) return a.id < b.id end)
    return setmetatable({ now = now, tasks = tasks, timers = timers, ready = ready and ready.size() or 0 },
        Description)
end
