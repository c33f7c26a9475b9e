-- What `require "sys"` loads, and what loads on first use (docs/api.md, "What loads when").
local T = require "harness"

-- Every part of sys outside the core, and the functions whose first use loads it.
local PARTS = {
    ["sys.timers"] = { "timerStart", "timerLoopStart", "timerAdvStart", "timerStop", "timerStopAll", "timerIsActive" },
    ["sys.waits"] = { "waitUntilExt", "waitUntilMsg" },
    ["sys.tasks"] = { "task", "nonfatal" },
    ["sys.cancel"] = { "taskCancel" },
    ["sys.ticks"] = { "ticksDiff", "ticksAdd" },
    ["sys.periodic"] = { "every" },
    ["sys.mailbox"] = { "taskInitEx", "sendMsg", "waitMsg", "cleanMsg", "taskDel", "setMailboxLimit", "taskCB" },
    ["sys.luatos"] = { "safeRun", "coresume", "check_task" },
    ["sys.observe"] = { "stats", "setTrace", "setReceiveTap" },
    ["sys.describe"] = { "describe" },
    ["sys.watchdog"] = { "setWatchdog" },
}

-- What the core loads only when something needs it: the argument checks (a bad
-- argument), labels (an error report, describe, trace), the heap's upkeep.
local ON_DEMAND = { "sys.check", "sys.labels", "sys.report", "sys.upkeep", "sys.slices", "sys.ready" }

T.case("require sys loads the core only; each function loads its part at first use", function()
    for part in pairs(PARTS) do
        T.eq(package.loaded[part], nil, part .. " loaded before its first use")
    end
    for _, part in ipairs(ON_DEMAND) do
        T.eq(package.loaded[part], nil, part .. " loaded before it was needed")
    end
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
    local order, due = {}, nil
    -- Both wake at the same time, so the tiers decide the order. The time is set once
    -- both exist: loading sys.ready between them takes real time on the real-time
    -- backends (more than 100 ms on the emulated chip under load).
    local function wake_at_due(name)
        sys.waitUntil("ARMED")
        sys.wait(math.max(0, sys.ticksDiff(due, rtos.millis())))
        order[#order + 1] = name
    end
    sys.task(wake_at_due, nil, "normal")
    T.eq(package.loaded["sys.ready"], nil)
    sys.task(wake_at_due, { priority = "critical" }, "critical")
    T.ok(package.loaded["sys.ready"] ~= nil, "sys.ready loaded")
    due = sys.ticksAdd(rtos.millis(), 100)
    sys.publish("ARMED")
    sys.run()
    T.eq(table.concat(order, " "), "critical normal")
end)

T.case("a script of tasks, waits and messages loads nothing beyond the core", function()
    local got = {}
    sys.subscribe("ping", function(n) got[#got + 1] = "sub " .. n end)
    sys.taskInit(function()
        for i = 1, 3 do
            sys.wait(10)
            sys.publish("ping", i)
        end
    end)
    sys.taskInit(function()
        local ok, n = sys.waitUntil("ping", 100)
        got[#got + 1] = "task " .. tostring(ok) .. " " .. tostring(n)
        T.eq(sys.waitUntil("never", 5), false)
    end)
    sys.run()
    T.eq(table.concat(got, ", "), "sub 1, task true 1, sub 2, sub 3")
    for part in pairs(PARTS) do T.eq(package.loaded[part], nil, part .. " loaded") end
    for _, part in ipairs(ON_DEMAND) do T.eq(package.loaded[part], nil, part .. " loaded") end
end)

T.case("the first error report loads the labels, the first bad argument the checks", function()
    T.expect_errors(1)
    sys.taskInit(function() error("boom") end)
    T.ok(package.loaded["sys.labels"] ~= nil, "sys.labels loaded by the report")
    T.eq(package.loaded["sys.check"], nil)
    T.raises("sys.publish: argument #1 'topic' must be a string or a number (got nil)", sys.publish, nil)
    T.ok(package.loaded["sys.check"] ~= nil, "sys.check loaded by the bad argument")
    sys.run()
end)

T.case("timers, ticks, mailboxes, waitUntilExt, handles and jobs called rightly do not load the argument checks", function()
    local fired, got = false, nil
    sys.timerStart(function() fired = true end, 5)
    sys.timerAdvStart(function() end, 5, 2)
    T.eq(sys.ticksAdd(sys.ticksDiff(10, 4), 1), 7)
    sys.setMailboxLimit(8)
    sys.taskInitEx(function()
        got = sys.waitMsg("box", nil, 100)
        T.eq(sys.waitUntilExt("never", 5), false)
    end, "box")
    sys.taskInit(function() sys.sendMsg("box", "hello") end)
    local job
    job = sys.every(5, function() job:cancel() end, { name = "job" })
    sys.task(function() sys.wait(1) end, { priority = "critical" }):setPriority("normal")
    sys.run()
    T.ok(fired, "the timer fired")
    T.eq(got, { "hello" })
    T.eq(package.loaded["sys.check"], nil)
    T.raises("sys.timerStart: argument #2 'ms' must be a number >= 0 and <= 536870912 (got -1)",
        sys.timerStart, print, -1)
    T.ok(package.loaded["sys.check"] ~= nil, "sys.check loaded by the bad argument")
end)
