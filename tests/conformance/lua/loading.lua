-- What `require "sys"` loads, and what loads on first use (docs/api.md, "What loads when").
local T = require "harness"

-- Every part of sys outside the core, and the functions whose first use loads it.
local PARTS = {
    ["sys.timers"] = { "timerStart", "timerLoopStart", "timerAdvStart", "timerStop", "timerStopAll", "timerIsActive" },
    ["sys.waits"] = { "waitUntilExt", "waitUntilMsg" },
    ["sys.tasks"] = { "task", "nonfatal" },
    ["sys.periodic"] = { "every" },
    ["sys.mailbox"] = { "taskInitEx", "sendMsg", "waitMsg", "cleanMsg", "taskDel", "setMailboxLimit" },
    ["sys.observe"] = { "stats", "setTrace", "setReceiveTap" },
    ["sys.describe"] = { "describe" },
    ["sys.watchdog"] = { "setWatchdog" },
}

T.case("require sys loads the core only; each function loads its part at first use", function()
    for part in pairs(PARTS) do
        T.eq(package.loaded[part], nil, part .. " loaded before its first use")
    end
    T.eq(package.loaded["sys.ready"], nil, "sys.ready loaded before a priority was used")
    for part, names in pairs(PARTS) do
        for _, name in ipairs(names) do
            T.eq(type(sys[name]), "function", "sys." .. name)
            T.ok(package.loaded[part] ~= nil, "sys." .. name .. " loaded " .. part)
            T.eq(rawget(sys, name), sys[name], "sys." .. name .. " is a plain field once loaded")
        end
    end
    T.eq(sys.noSuchFunction, nil)
end)

T.case("the first task outside the normal tier loads the tiered ready queue", function()
    local order = {}
    -- Both wake at the same time (loading sys.ready between them takes real time on the
    -- real-time backends), so the tiers decide the order.
    local due = sys.ticksAdd(rtos.millis(), 100)
    local function wake_at_due(name)
        sys.wait(math.max(0, sys.ticksDiff(due, rtos.millis())))
        order[#order + 1] = name
    end
    sys.task(wake_at_due, nil, "normal")
    T.eq(package.loaded["sys.ready"], nil)
    sys.task(wake_at_due, { priority = "critical" }, "critical")
    T.ok(package.loaded["sys.ready"] ~= nil, "sys.ready loaded")
    sys.run()
    T.eq(table.concat(order, " "), "critical normal")
end)
