-- sys.describe(): what the scheduler holds, for a person at a REPL or a tool.
-- It walks the scheduler's structures (O(n)); nothing here is on the loop's path.

local NAMES = require("sys.ready").NAMES
local AGING = require("sys.ready").AGING

local format, concat, sort = string.format, table.concat, table.sort

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

---@param core table the scheduler's structures and accessors, lent by sys.lua
return function(core)
    --- A snapshot of the scheduler: `tasks` (name, state, priority, due_in ms,
    --- waiting_for topic, stats of tasks started with sys.task/sys.every, starved),
    --- `timers` (name, due_in, every, overruns), `ready` (items due and waiting for
    --- their turn), `now`. tostring() of it is a readable table.
    ---@return table
    return function()
        local now = core.millis()
        local due_by = {} -- [task or timer] = due time of its live entry
        core.each_entry(function(due, item) due_by[item] = due end)
        local starved = {}
        core.each_ready(function(item, waited) if waited >= AGING then starved[item] = true end end)
        local tasks = {}
        for co in pairs(core.tasks()) do
            local due = due_by[co]
            local handle = core.handle_of(co)
            tasks[#tasks + 1] = {
                name = core.label_of(co), state = core.state_of(co), priority = NAMES[core.tier_of(co)],
                due_in = due and core.ticks_diff(due, now), waiting_for = core.waiting_on(co),
                stats = handle and handle:stats(), starved = starved[co] or false,
            }
        end
        local timers = {}
        for _, t in pairs(core.timers()) do
            timers[#timers + 1] = {
                id = t.id, name = core.label_of(t), due_in = due_by[t] and core.ticks_diff(due_by[t], now) or 0,
                every = t.remaining ~= 1 and t.ms or nil, overruns = t.overruns,
            }
        end
        sort(tasks, function(a, b) return a.name < b.name end)
        sort(timers, function(a, b) return a.id < b.id end)
        return setmetatable({ now = now, tasks = tasks, timers = timers, ready = core.ready_size() }, Description)
    end
end
