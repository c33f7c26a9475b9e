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
