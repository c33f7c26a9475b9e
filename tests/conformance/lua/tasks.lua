-- Tasks: sys.taskInit, sys.wait, sys.taskCancel, errors inside tasks.
local T = require "harness"

T.case("taskInit runs the task at once, with its arguments, until its first wait", function()
    local seen = {}
    local co = sys.taskInit(function(a, b)
        seen[#seen + 1] = a .. b
        sys.wait(5)
        seen[#seen + 1] = "after wait"
    end, "x", "y")
    T.eq(seen, { "xy" }, "before run")
    T.eq(type(co), "thread")
    T.eq(sys.run(), "idle")
    T.eq(seen, { "xy", "after wait" })
end)

T.case("tasks wake in deadline order, ties in the order they slept", function()
    local order = {}
    for _, spec in ipairs({ { "c", 30 }, { "a", 10 }, { "b1", 20 }, { "b2", 20 }, { "zero", 0 } }) do
        sys.taskInit(function()
            sys.wait(spec[2])
            order[#order + 1] = spec[1]
        end)
    end
    sys.run()
    T.eq(order, { "zero", "a", "b1", "b2", "c" })
end)

T.case("sys.wait lasts at least the time asked", function()
    local before, after
    sys.taskInit(function()
        before = rtos.millis()
        sys.wait(25)
        after = rtos.millis()
    end)
    sys.run()
    T.ok(after - before >= 25, "woke after " .. (after - before) .. " ms")
end)

T.case("fractional waits round up", function()
    local waited
    sys.taskInit(function()
        local t0 = rtos.millis()
        sys.wait(2.2)
        waited = rtos.millis() - t0
    end)
    sys.run()
    T.ok(waited >= 3, "waited " .. waited)
end)

T.case("sys.wait outside a task raises an error that says so", function()
    T.raises("sys.wait: called outside a task", sys.wait, 10)
    T.raises("called outside a task", sys.waitUntil, "X", 10)
    T.raises("called outside a task", sys.waitMsg, "X")
end)

T.case("sys.wait inside a plain coroutine in a task is refused", function()
    local err
    sys.taskInit(function()
        local co = coroutine.create(function() sys.wait(1) end)
        local _, e = coroutine.resume(co)
        err = e
    end)
    sys.run()
    T.ok(err and err:find("called outside a task", 1, true), tostring(err))
end)

T.case("bad arguments name the function and the argument", function()
    T.raises("sys.taskInit: argument #1 'fn' must be a function (got nil)", sys.taskInit, nil)
    T.raises("sys.taskInit: argument #1 'fn' must be a function (got \"f\")", sys.taskInit, "f")
    local errors = {}
    sys.taskInit(function()
        for _, bad in ipairs({ -1, "10", 0 / 0, math.huge, 2 ^ 30 }) do
            local ok, e = pcall(sys.wait, bad)
            errors[#errors + 1] = not ok and e:match("sys%.wait: argument #1 'ms' must be a number >= 0") ~= nil
        end
    end)
    sys.run()
    T.eq(errors, { true, true, true, true, true })
end)

-- Runs a task that fails with `fail()` after 5 ms beside one that finishes after 10 ms,
-- and returns the failure's report once the other has finished.
local function failure_beside_another(fail)
    T.expect_errors(1)
    local done = false
    sys.taskInit(function()
        sys.wait(5)
        fail()
    end)
    sys.taskInit(function()
        sys.wait(10)
        done = true
    end)
    sys.run()
    T.ok(done, "the other task finished")
    local report = T.errors()[1]
    T.eq(report.kind, "task")
    return report
end

T.case("an error in a task is reported and the others keep running", function()
    local report = failure_beside_another(function() error("task exploded") end)
    T.ok(report.message:find("task exploded", 1, true), report.message)
    T.ok(report.traceback:find("stack traceback", 1, true), "has a traceback")
    T.ok(report.name:find("tasks.lua", 1, true), "named after where the task was defined: " .. report.name)
    T.eq(sys.stats().task_errors, 1)
end)

T.case("a task that overflows its stack is reported, named, and the others keep running", function()
    -- Its dead stack is hundreds of thousands of frames deep (or, on a small heap, it
    -- runs out of memory first): naming it must not walk that stack once per frame.
    local function deeper(n) return 1 + deeper(n + 1) end
    local report = failure_beside_another(function() deeper(1) end)
    if report.message:find("stack overflow", 1, true) then
        T.ok(report.name:find("tasks.lua", 1, true), "named: " .. report.name)
    else
        -- Out of memory first (the chip's heap): the task is closed before it is named,
        -- which frees its stack for the report, so only its thread names it.
        T.ok(report.message:find("not enough memory", 1, true), report.message)
        T.ok(report.name:find("tasks.lua", 1, true) or report.name:find("^task@thread: "),
            "named: " .. report.name)
    end
end)

T.case("a task started from a task runs nested, then both go on", function()
    local order = {}
    sys.taskInit(function()
        order[#order + 1] = "outer start"
        sys.taskInit(function()
            order[#order + 1] = "inner start"
            sys.wait(5)
            order[#order + 1] = "inner end"
        end)
        order[#order + 1] = "outer continues"
        sys.wait(10)
        order[#order + 1] = "outer end"
    end)
    sys.run()
    T.eq(order, { "outer start", "inner start", "outer continues", "inner end", "outer end" })
end)

T.case("taskCancel stops a task at its wait; it never runs again", function()
    local steps = 0
    -- 50 ms between the victim's third step and the cancel: a loaded machine delays
    -- the real-time backends' wake-ups by tens of milliseconds.
    local victim = sys.taskInit(function()
        while true do
            steps = steps + 1
            sys.wait(100)
        end
    end)
    sys.taskInit(function()
        sys.wait(250)
        T.eq(sys.taskCancel(victim), true)
        T.eq(sys.taskCancel(victim), false, "second cancel")
    end)
    sys.run()
    T.eq(steps, 3)
    T.eq(sys.stats().tasks_live, 0)
end)

T.case("a task can cancel itself; it stops at its next wait", function()
    local reached = {}
    local me
    me = sys.taskInit(function()
        sys.wait(1)
        sys.taskCancel(me)
        reached[#reached + 1] = "after cancel"
        sys.wait(1)
        reached[#reached + 1] = "after wait"
    end)
    sys.run()
    T.eq(reached, { "after cancel" })
end)

T.case("a cancelled task's subscriptions go with it", function()
    local heard = 0
    local listener = sys.taskInit(function()
        while true do
            sys.waitUntil("PING")
            heard = heard + 1
        end
    end)
    sys.taskInit(function()
        sys.publish("PING")
        sys.wait(5)
        sys.taskCancel(listener)
        sys.publish("PING")
    end)
    sys.run()
    T.eq(heard, 1)
end)

T.case("10,000 tasks sleep at once", function()
    local finished = 0
    for i = 1, 10000 do
        sys.taskInit(function()
            sys.wait(1 + i % 50)
            sys.wait(1 + (i * 7) % 50)
            finished = finished + 1
        end)
    end
    T.eq(sys.stats().deadlines_pending, 10000)
    sys.run()
    T.eq(finished, 10000)
    T.eq(sys.stats().tasks_live, 0)
    T.eq(sys.stats().deadlines_pending, 0)
end)

T.case("finished tasks leave nothing behind: a second burst does not grow the heap", function()
    -- Lua tables keep their capacity after a burst (the runtime rebuilds its own, but
    -- not Lua's hook table, for instance), so the first burst sets the baseline.
    local function burst()
        for _ = 1, 2000 do
            sys.taskInit(function() sys.wait(1) end)
        end
        sys.run()
        collectgarbage()
        collectgarbage()
        return collectgarbage("count")
    end
    local baseline = burst()
    local grown = burst() - baseline
    T.ok(grown < 4, "heap grew by " .. grown .. " KB")
    T.eq(sys.stats().tasks_live, 0)
end)

T.case("a task looping on sys.wait(0) does not starve posted messages", function()
    local heard, spins = false, 0
    sys.subscribe("from_c", function() heard = true end)
    sys.taskInit(function()
        while not heard do
            spins = spins + 1
            sys.wait(0)
        end
    end)
    rtos.post("from_c")
    sys.run()
    T.ok(heard, "the posted message was delivered")
    T.ok(spins <= 2, "the message waited " .. spins .. " turns")
end)
