-- Fault injection in the toolkit modules: an error raised by a subscriber of a
-- playlist step's event, or by a gesture detector's matcher or by a subscriber of
-- its output, is reported as SYS_ERROR; the playlist or the detector keeps working.
local T = require "harness"
local playlist = require "playlist"
local gesture = require "gesture"

T.case("faults: a failing subscriber of a playlist step does not stop the playlist", function()
    T.expect_errors(2)
    local seen, stopped = {}, nil
    sys.subscribe("colour", function(p)
        seen[#seen + 1] = p.n
        if p.n == 1 then error("subscriber fault") end
    end)
    sys.subscribe("playlist.stopped", function(s) stopped = s.reason end)
    local h = playlist.register { name = "p", steps = {
        { event = "colour", payload = { n = 1 }, offset = 0, ["repeat"] = 1, interval = 20 },
        { event = "colour", payload = { n = 2 }, offset = 30 } } }
    playlist.start(h)
    sys.run()
    T.eq(seen, { 1, 1, 2 })
    T.eq(stopped, "completed")
    for _, e in ipairs(T.errors()) do
        T.eq(e.kind, "subscriber")
        T.ok(e.message:find("subscriber fault", 1, true), e.message)
    end
end)

T.case("faults: a failing matcher or gesture subscriber does not stop the detector", function()
    T.expect_errors(2)
    local got = {}
    gesture.double_tap { input = "btn", output = "dbl", window = 100, match = function(input)
        if input.value == "boom" then error("matcher fault") end
        return true
    end }
    sys.subscribe("dbl", function(g)
        got[#got + 1] = g.inputs[2].value
        if #got == 1 then error("gesture subscriber fault") end
    end)
    local function tap(ms, value) sys.timerStart(sys.publish, ms, "btn", { producer = "p", value = value }) end
    tap(10, "a") tap(20, "b")          -- a double tap; its subscriber fails
    tap(200, "boom")                   -- the matcher fails
    tap(400, "c") tap(410, "d")        -- still detected
    sys.run()
    T.eq(got, { "b", "d" })
    T.eq(T.errors()[1].kind, "subscriber")
    T.ok(T.errors()[1].message:find("gesture subscriber fault", 1, true), T.errors()[1].message)
    T.ok(T.errors()[2].message:find("matcher fault", 1, true), T.errors()[2].message)
end)

-- Found by attacking error reporting: such an error from a task started in the main
-- chunk killed the script; inside the loop it failed sys.run and the dead task stayed
-- counted as live.
T.case("faults: an error object whose __tostring raises is reported like any error", function()
    T.expect_errors(3)
    local bad = setmetatable({}, { __tostring = function() error("tostring exploded") end })
    sys.taskInit(function() error(bad) end)
    sys.timerStart(function() sys.taskInit(function() sys.wait(1) error(bad) end) end, 5)
    sys.timerStart(function() error(bad) end, 10)
    sys.run()
    for _, report in ipairs(T.errors()) do
        T.eq(report.message, "(a table error value whose __tostring failed)")
    end
    T.eq(sys.stats().tasks_live, 0)
    T.eq(sys.stats().task_errors, 2)
end)

-- Found by attacking the API: a sweep like this one killed the simulator (exit 139,
-- Lua 5.4 and 5.5: the heap corrupted inside lupa's allocator). Every public function
-- gets every pair of bad values, under pcall; the process must survive, every error
-- must be a string, and the runtime must work afterwards.
T.case("faults: every sys and rtos function survives every pair of bad arguments", function()
    local values = { nil, "x", "", {}, 0 / 0, math.huge, -math.huge, 2 ^ 53, -2 ^ 63, math.mininteger,
        2 ^ 29, 2 ^ 31, 2 ^ 40, -1, 0, 1.5, true, false, print, error, coroutine.create(print),
        string.rep("s", 40) }
    local n = 22
    local names = {
        "taskInit", "wait", "taskCancel", "ticksDiff", "ticksAdd", "publish", "subscribe", "unsubscribe",
        "waitUntil", "waitUntilExt", "waitUntilMsg", "timerStart", "timerLoopStart", "timerAdvStart",
        "timerStop", "timerStopAll", "timerIsActive", "taskInitEx", "sendMsg", "waitMsg", "cleanMsg", "taskDel",
        "setMailboxLimit", "task", "every", "nonfatal", "stats", "describe",
    }
    local fns = {}
    for _, name in ipairs(names) do fns[#fns + 1] = { "sys." .. name, sys[name] } end
    for _, name in ipairs({ "timer_start", "timer_stop", "post", "queue_stats", "millis", "micros", "meminfo",
        "version", "console_read", "console_reply", "bsp", "buildDate", "firmware", "nop", "autoCollectMem",
        "standy" }) do
        if rtos[name] then fns[#fns + 1] = { "rtos." .. name, rtos[name] } end
    end
    local path = package.path
    for _, f in ipairs(fns) do
        T.eq(type(f[2]), "function", f[1])
        for i = 1, n do
            for j = 1, n do
                local ok, err = pcall(f[2], values[i], values[j])
                if not ok and type(err) ~= "string" then
                    T.ok(getmetatable(err) ~= nil, f[1] .. " raised a " .. type(err))
                end
            end
        end
    end
    package.path = path
    for id = 1, rtos.TIMER_MAX do rtos.timer_stop(id) end
    T.eq(rtos.post("after", 1), true)
    T.eq(sys.ticksDiff(5, 3), 2)
end)
