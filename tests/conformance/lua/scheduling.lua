-- Scheduling depth: task handles, priorities and fairness, periodic jobs, error
-- policies, statistics, describe, trace, watchdog.
local T = require "harness"

T.case("sys.task returns a handle to query, with a name and a priority", function()
    local seen = {}
    local h = sys.task(function(a)
        seen[#seen + 1] = a
        sys.wait(5)
        sys.waitUntil("GO")
    end, { name = "worker", priority = "connectivity" }, "arg")
    T.eq(seen, { "arg" })
    T.eq(h.name, "worker")
    T.eq(h:priority(), "connectivity")
    T.eq(h:state(), "sleeping")
    T.eq(type(h.co), "thread")
    sys.timerStart(function()
        T.eq(h:state(), "waiting")
        sys.publish("GO")
    end, 20)
    sys.run()
    T.eq(h:state(), "done")
    local st = h:stats()
    T.eq(st.slices, 3)
    T.eq(st.errors, 0)
    T.ok(st.run_ms >= 0 and st.run_us_max >= 0, "run times")
end)

T.case("cancelling a handle releases its wake-up and subscriptions", function()
    local runs = 0
    local h = sys.task(function()
        while true do
            runs = runs + 1
            sys.waitUntil("TICK", 1000)
        end
    end)
    sys.timerStart(function()
        T.eq(h:cancel(), true)
        T.eq(h:state(), "cancelled")
        T.eq(h:cancel(), false)
        sys.publish("TICK")
    end, 5)
    sys.run()
    T.eq(runs, 1)
    T.eq(sys.stats().deadlines_pending, 0)
    T.eq(sys.stats().tasks_live, 0)
end)

-- Waits until the absolute time `due`: tasks that do so are due at the same
-- millisecond even on a real-time backend, where creating them takes time.
local function wait_until(due) sys.wait(math.max(0, sys.ticksDiff(due, rtos.millis()))) end

T.case("higher tiers go first when several tasks are due at once", function()
    local order = {}
    local due = sys.ticksAdd(rtos.millis(), 10)
    for _, p in ipairs({ "background", "normal", "critical", "connectivity", "critical" }) do
        sys.task(function()
            wait_until(due)
            order[#order + 1] = p
        end, { priority = p })
    end
    sys.run()
    T.eq(order, { "critical", "critical", "connectivity", "normal", "background" })
end)

T.case("setPriority takes effect at the next wake-up", function()
    local order = {}
    local due = sys.ticksAdd(rtos.millis(), 5)
    local a = sys.task(function()
        wait_until(due)
        order[#order + 1] = "a"
    end, { priority = "background" })
    sys.task(function()
        wait_until(due)
        order[#order + 1] = "b"
    end)
    a:setPriority("critical")
    sys.run()
    T.eq(order, { "a", "b" })
end)

T.case("fairness: background work runs under constant critical load, within the bound", function()
    -- 100 critical tasks that are always ready, one background task. The bound: a ready
    -- item runs within sys/ready.lua's AGING dispatches plus the items that became ready
    -- before or with it (at most 100 here) plus what is left of the current turn (64).
    local BOUND = 8 + 100 + 64
    local stop, critical_runs = false, 0
    for _ = 1, 100 do
        sys.task(function()
            while not stop do
                critical_runs = critical_runs + 1
                sys.wait(0)
            end
        end, { priority = "critical" })
    end
    local runs, last, worst = 0, nil, 0
    sys.task(function()
        while runs < 20 do
            local now = sys.stats().executed
            if last and now - last > worst then worst = now - last end
            last, runs = now, runs + 1
            sys.wait(0)
        end
        stop = true
    end, { priority = "background" })
    sys.run()
    T.eq(runs, 20)
    T.ok(worst <= BOUND, "background task waited " .. worst .. " dispatches (bound " .. BOUND .. ")")
    T.ok(critical_runs > 20 * 50, "critical work kept running: " .. critical_runs)
end)

T.case("sys.every runs a job each interval until cancelled; the job may wait", function()
    local runs, inside, max_inside = 0, 0, 0
    local job
    job = sys.every(10, function(tag)
        T.eq(tag, "t")
        runs = runs + 1
        inside = inside + 1
        if inside > max_inside then max_inside = inside end
        sys.wait(3)
        inside = inside - 1
        if runs == 5 then job:cancel() end
    end, { name = "pump" }, "t")
    T.eq(job.name, "pump")
    sys.run()
    T.eq(runs, 5)
    T.eq(max_inside, 1)
    T.eq(job:state(), "cancelled")
    T.eq(job:stats().ticks, 5)
end)

T.case("a run longer than the interval skips ticks, counted as overruns, never in a burst", function()
    local starts = {}
    local job
    job = sys.every(10, function()
        starts[#starts + 1] = rtos.millis()
        if #starts == 2 then sys.wait(35) end
        if #starts == 4 then job:cancel() end
    end)
    sys.run()
    T.eq(#starts, 4)
    -- Skipped ticks are counted, not run back to back: a burst would leave them at 0.
    -- The exact start times are checked on the virtual clock (timing.lua); in real time a
    -- late run may legitimately start close to the next tick.
    T.ok(job:stats().overruns >= 3, "overruns " .. job:stats().overruns)
    T.eq(sys.stats().timer_overruns, job:stats().overruns)
end)

T.case("a cancel from another task is final: no further run starts", function()
    local runs = 0
    local job = sys.every(5, function() runs = runs + 1 end)
    sys.task(function()
        sys.wait(22)
        local before = runs
        job:cancel()
        sys.wait(30)
        T.eq(runs, before)
    end)
    sys.run()
    T.ok(runs >= 3, "ran " .. runs)
end)

T.case("setInterval changes a job's period", function()
    local runs = 0
    local job
    job = sys.every(5, function()
        runs = runs + 1
        if runs == 2 then job:setInterval(1000000) end
    end)
    sys.timerStart(function() job:cancel() end, 100)
    sys.run()
    T.eq(runs, 2)
    T.raises("is not a periodic job", function() sys.task(function() end):setInterval(5) end)
end)

T.case("on_error restart: a failed task starts again after its back-off", function()
    T.expect_errors(2)
    local attempts = 0
    local h = sys.task(function()
        attempts = attempts + 1
        sys.wait(1)
        if attempts < 3 then error("attempt " .. attempts .. " failed") end
    end, { on_error = "restart", backoff = 5 })
    sys.run()
    T.eq(attempts, 3)
    T.eq(h:state(), "done")
    T.eq(h:stats().errors, 2)
end)

T.case("on_error stop (the default): a failed task ends as failed", function()
    T.expect_errors(1)
    local h = sys.task(function() error("broken") end, { name = "fragile" })
    sys.run()
    T.eq(h:state(), "failed")
    T.eq(T.errors()[1].name, "fragile")
end)

T.case("a non-fatal error reschedules the task even under the stop policy", function()
    T.expect_errors(1)
    local attempts = 0
    sys.task(function()
        attempts = attempts + 1
        if attempts == 1 then error(sys.nonfatal("sensor not ready")) end
    end, { backoff = 5 })
    sys.run()
    T.eq(attempts, 2)
    T.eq(T.errors()[1].message, "sensor not ready")
end)

T.case("a failing periodic job is reported and goes on with the next tick when non-fatal", function()
    T.expect_errors(2)
    local runs = 0
    local job
    job = sys.every(5, function()
        runs = runs + 1
        if runs <= 2 then error(sys.nonfatal("flaky " .. runs)) end
        if runs == 4 then job:cancel() end
    end, { backoff = 5 })
    sys.run()
    T.eq(runs, 4)
    T.eq(job:stats().errors, 2)
end)

T.case("a fatal error stops a periodic job under the stop policy", function()
    T.expect_errors(1)
    local runs = 0
    local job = sys.every(5, function()
        runs = runs + 1
        error("fatal")
    end)
    sys.run()
    T.eq(runs, 1)
    T.eq(job:state(), "failed")
end)

T.case("bad options are refused with clear errors", function()
    local f = function() end
    T.raises("sys.task: argument #2 'options.priority' must be \"critical\", \"connectivity\", \"normal\" or \"background\" (got \"urgent\")",
        sys.task, f, { priority = "urgent" })
    T.raises("sys.task: argument #2 'options.on_error' must be \"stop\", \"restart\" or \"reboot\"", sys.task, f,
        { on_error = "retry" })
    T.raises("sys.task: argument #2 'options.prio' must be a known option", sys.task, f, { prio = 1 })
    T.raises("sys.every: argument #1 'ms' must be a number >= 1", sys.every, 0, f)
    T.raises("sys.every: argument #3 'options.policy' must be \"rate\" or \"delay\"", sys.every, 5, f, { policy = "x" })
    T.raises("sys.setTrace: argument #1 'fn' must be a function or nil", sys.setTrace, 5)
    T.raises("sys.setWatchdog: argument #1 'budget_ms'", sys.setWatchdog, -1)
end)

T.case("sys.stats counts what the scheduler did", function()
    -- The queue's counters run from the device's boot, across runs (a chip runs many).
    local dropped_before = sys.stats().queue.dropped
    sys.timerStart(function() end, 5)
    sys.taskInit(function() sys.wait(1) end)
    sys.run()
    local s = sys.stats()
    T.eq(s.executed, 2)
    T.ok(s.scheduled >= 2, "scheduled " .. s.scheduled)
    T.eq(s.queue.dropped - dropped_before, 0)
    T.eq(type(s.queue.high_water), "number")
end)

T.case("sys.describe lists tasks and timers, when each is due, and renders as text", function()
    local d
    -- The sleeper is due long after the describe at 10 ms, even on a loaded machine.
    sys.task(function() sys.wait(200) end, { name = "sleeper", priority = "background" })
    sys.taskInit(function() sys.waitUntil("NEVER") end)
    local loop = sys.timerLoopStart(function() end, 40)
    sys.timerStart(function() d = sys.describe() end, 10)
    sys.timerStart(function()
        sys.timerStop(loop)
        sys.publish("NEVER")
    end, 20)
    sys.run()
    T.eq(#d.tasks, 2)
    local by_name = {}
    for _, t in ipairs(d.tasks) do by_name[t.name] = t end
    T.eq(by_name.sleeper.state, "sleeping")
    T.eq(by_name.sleeper.priority, "background")
    T.ok(by_name.sleeper.due_in > 0 and by_name.sleeper.due_in <= 200, "due_in " .. by_name.sleeper.due_in)
    T.eq(by_name.sleeper.stats.slices, 1)
    local waiter
    for _, t in ipairs(d.tasks) do if t.waiting_for then waiter = t end end
    T.eq(waiter.waiting_for, "NEVER")
    T.eq(#d.timers, 2)
    local text = tostring(d)
    T.ok(text:find("sleeper", 1, true) and text:find("every 40 ms", 1, true), text)
end)

T.case("the trace hook sees task runs, timer firings and message dispatches", function()
    local kinds, names = {}, {}
    sys.setTrace(function(kind, name, start, duration)
        kinds[kind] = (kinds[kind] or 0) + 1
        names[name] = true
        T.eq(math.type(start), "integer")
        T.ok(duration >= 0)
    end)
    sys.task(function()
        sys.wait(1)
        sys.publish("HELLO")
    end, { name = "traced" })
    sys.timerStart(function() end, 2)
    sys.run()
    sys.setTrace(nil)
    T.ok(kinds.run >= 2 and kinds.timer == 1 and kinds.message >= 1, T.render(kinds))
    T.ok(names.traced and names.HELLO, T.render(names))
end)

T.case("the watchdog names a task that runs too long, then stops it", function()
    T.expect_errors(1)
    sys.setWatchdog(20, 60)
    local reports = {}
    sys.subscribe("SYS_WATCHDOG", function(r) reports[#reports + 1] = r end)
    -- Looked up before the tasks run: the first lookup loads sys/ticks.lua, which would
    -- otherwise happen inside the timed slice, after t0 and before the watchdog's first
    -- reading (on a loaded machine, long enough to leave "slow" under its budget).
    local ticks_diff = sys.ticksDiff
    local busy = function(ms)
        -- The watchdog starts a slice's clock at its hook's first firing, up to
        -- CHECK_EVERY (10,000) VM instructions into the slice: twice as many come first,
        -- so that a pause of the process before then (a loaded machine) is not left out
        -- of the watchdog's reading while it counts towards `ms`.
        for _ = 1, 20000 do end
        local t0 = rtos.micros()
        while ticks_diff(rtos.micros(), t0) < ms * 1000 do end
    end
    sys.task(function() busy(40) end, { name = "slow" })
    sys.task(function() busy(1000) end, { name = "runaway" })
    sys.run()
    T.eq(reports[1].name, "slow")
    T.ok(reports[1].ran_ms >= 20, "ran " .. reports[1].ran_ms)
    T.eq(reports[2].name, "runaway")
    T.ok(T.errors()[1].message:find("watchdog: runaway ran", 1, true), T.errors()[1].message)
end)

-- abort_ms is checked against budget_ms, which may be fractional: the range in the
-- message showed it with %d, and Lua's own format error came out instead.
T.case("the watchdog checks abort_ms against a fractional budget_ms", function()
    local line = debug.getinfo(1, "l").currentline; local _, err = pcall(function() sys.setWatchdog(1.5, 1) end)
    T.ok(err:find("scheduling.lua:" .. line .. ": sys.setWatchdog: argument #2 'abort_ms' must be a number "
        .. ">= 1.5 and <= 536870 (got 1)", 1, true), err)
    sys.setWatchdog(1.5, 1.5)
    sys.setWatchdog(nil)
end)

-- Found by attacking the watchdog: a pcall around the busy loop swallowed its error, the
-- watchdog stayed quiet and the loop never ran again.
T.case("the watchdog's error gets through pcall, xpcall and coroutine.wrap", function()
    T.expect_errors(5)
    local base_pcall = pcall
    sys.setWatchdog(1, 2)
    local spin = function() while true do end end
    local escaped = {}
    sys.task(function() pcall(spin); escaped[#escaped + 1] = "pcall" end, { name = "p" })
    sys.task(function() xpcall(spin, function(e) return e end); escaped[#escaped + 1] = "xpcall" end,
        { name = "x" })
    sys.task(function() pcall(coroutine.wrap(spin)); escaped[#escaped + 1] = "wrap" end, { name = "w" })
    sys.task(function()
        while true do pcall(function() pcall(spin) end) end -- catches forever
    end, { name = "forever" })
    sys.timerStart(function() pcall(spin); escaped[#escaped + 1] = "timer" end, 1)
    local after = false
    sys.timerStart(function() after = true end, 5)
    sys.run()
    sys.setWatchdog(nil)
    T.eq(escaped, {})
    T.ok(after, "the loop ran on")
    local names = {}
    for i, e in ipairs(T.errors()) do
        T.ok(e.message:find("watchdog: ", 1, true), e.message)
        names[i] = e.name:match("^timer") and "timer" or e.name
    end
    table.sort(names)
    T.eq(names, { "forever", "p", "timer", "w", "x" })
    T.eq(pcall, base_pcall, "pcall is itself again")
end)

-- sys.setWatchdog(nil) used to clear every hook it had replaced, the host's stop and
-- interrupt hook with them (a busy console line could no longer be interrupted).
T.case("switching the watchdog off gives each thread back the hook it had", function()
    local function hook_of(co)
        local hook, mask, count = debug.gethook(co)
        return tostring(hook) .. " " .. tostring(mask) .. " " .. tostring(count)
    end
    local main = coroutine.running()
    local main_before, waiter_before, waiter, task_before, task_during, task_after
    waiter = sys.taskInit(function() sys.wait(20) end)
    sys.taskInit(function()
        task_before = hook_of()
        sys.setWatchdog(100)
        task_during = hook_of()
        sys.setWatchdog(nil)
        task_after = hook_of()
    end)
    main_before, waiter_before = hook_of(main), hook_of(waiter)
    sys.setWatchdog(100)
    T.ok(hook_of(main) ~= main_before and hook_of(waiter) ~= waiter_before, "the watchdog hooked them")
    sys.setWatchdog(nil)
    T.eq(hook_of(main), main_before, "the main thread's hook")
    T.eq(hook_of(waiter), waiter_before, "a waiting task's hook")
    sys.run()
    T.ok(task_during ~= task_before, "the watchdog hooked the task that switched it on")
    T.eq(task_after, task_before, "the hook of the task that switched it on and off")
end)

-- Found by attacking the scheduler: a non-fatal error sat out the restart back-off, and
-- the ticks skipped were counted nowhere.
T.case("a periodic job goes on at its next tick after a non-fatal error", function()
    T.expect_errors(1)
    local runs, start, elapsed = 0, rtos.millis(), nil
    local job
    job = sys.every(10, function()
        runs = runs + 1
        if runs == 2 then error(sys.nonfatal("sensor busy")) end
        if runs == 4 then
            elapsed = sys.ticksDiff(rtos.millis(), start)
            job:cancel()
        end
    end, { on_error = "stop", backoff = 100000, backoff_max = 100000 })
    sys.run()
    T.eq(runs, 4)
    T.ok(elapsed < 100000, "waited out the back-off: " .. elapsed .. " ms")
    T.eq(job:state(), "cancelled")
end)

T.case("ticks a periodic job skips while it backs off are counted as overruns", function()
    T.expect_errors(1)
    local runs, job = 0, nil
    job = sys.every(10, function()
        runs = runs + 1
        if runs == 1 then error("broken once") end
        job:cancel()
    end, { on_error = "restart", backoff = 35 })
    sys.run()
    T.eq(runs, 2)
    T.ok(job:stats().overruns >= 3, T.render(job:stats()))
    T.ok(sys.stats().timer_overruns >= 3, T.render(sys.stats()))
end)

-- Found by attacking the API: these were accepted silently, or failed inside sys.
T.case("subscribe, the ticks helpers and taskInitEx check what they are given", function()
    local topic_list = "argument #1 'topic' must be a string, a number or a non-empty list of them"
    T.raises("sys.subscribe: " .. topic_list .. " (got nil)", sys.subscribe, nil, print)
    T.raises("sys.subscribe: " .. topic_list .. " (got table)", sys.subscribe, {}, print)
    T.raises("sys.unsubscribe: " .. topic_list .. " (got nil)", sys.unsubscribe, nil, print)
    local heard = false
    T.raises("sys.subscribe: argument #1 'topic' must be a string or a number (got table)",
        sys.subscribe, { "fine", {} }, function() heard = true end)
    sys.publish("fine")
    local int = "must be an integer -2147483648..2147483647"
    T.raises("sys.ticksDiff: argument #1 'a' " .. int .. " (got nil)", sys.ticksDiff, nil, 1)
    T.raises("sys.ticksDiff: argument #2 'b' " .. int .. " (got \"5\")", sys.ticksDiff, 1, "5")
    T.raises("sys.ticksAdd: argument #2 'ms' " .. int .. " (got 0.5)", sys.ticksAdd, 1, 0.5)
    T.raises("sys.ticksAdd: argument #1 't' " .. int .. " (got inf)", sys.ticksAdd, math.huge, 1)
    T.eq(sys.ticksAdd(10.0, 5), 15)
    T.raises("sys.taskInitEx: argument #2 'name' must be a string or a number (got ",
        sys.taskInitEx, print, 0 / 0)
    sys.run()
    T.eq(heard, false, "a list with a bad topic subscribes to none of them")
end)

T.case("argument errors blame the line that made the bad call", function()
    local calls = {
        function() sys.wait(-1) end, function() sys.taskInit(5) end, function() sys.timerStart(print, -1) end,
        function() sys.timerStop("x") end, function() sys.publish() end, function() sys.subscribe("x", 5) end,
        function() sys.taskCancel(5) end, function() sys.taskInitEx(print, nil) end,
        function() sys.sendMsg({}) end, function() sys.setMailboxLimit(0) end,
        function() sys.task(print, { priority = "x" }) end, function() sys.every(5, print, { policy = "x" }) end,
        function() sys.every(5, print, { priority = "x" }) end, function() sys.every(0, print) end,
        function() sys.setTrace(5) end, function() sys.setWatchdog(-1) end,
        function() sys.timerAdvStart(print, 5, -5) end, function() log.setLevel("x") end,
        function() sys.task(print):setPriority("x") end,
    }
    for i, call in ipairs(calls) do
        local _, err = pcall(call)
        local line = debug.getinfo(call, "S").linedefined
        T.ok(tostring(err):find("scheduling.lua:" .. line .. ":", 1, true), "call " .. i .. ": " .. tostring(err))
    end
    sys.taskInit(function()
        local _, err = pcall(function() sys.waitUntil("x", -5) end)
        T.ok(err:find("scheduling.lua:%d+: sys.waitUntil"), err)
    end)
    sys.run()
end)

T.case("300 jobs started in one turn all run: no wake-up is lost when the pending list is swept", function()
    -- Regression: the 256th deadline scheduled in one turn triggers a sweep of the
    -- pending list; a job's first wake-up scheduled at that moment was swept away.
    local ran = 0
    for _ = 1, 300 do
        local job
        job = sys.every(10, function()
            ran = ran + 1
            job:cancel()
        end)
    end
    sys.run()
    T.eq(ran, 300)
    T.eq(sys.stats().deadlines_pending, 0)
end)
