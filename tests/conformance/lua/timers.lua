-- Timers: sys.timerStart, timerLoopStart, timerAdvStart, timerStop, timerStopAll, timerIsActive.
local T = require "harness"

T.case("one-shot timers fire once, in deadline order, with their arguments", function()
    local fired = {}
    local function note(...) fired[#fired + 1] = table.concat({ ... }, ",") end
    local id = sys.timerStart(note, 20, "b", 2)
    sys.timerStart(note, 10, "a", 1)
    sys.timerStart(note, 0, "now")
    T.eq(math.type(id), "integer")
    sys.run()
    T.eq(fired, { "now", "a,1", "b,2" })
    T.eq(sys.timerIsActive(id), false)
end)

T.case("a loop timer repeats until stopped; stop is final", function()
    local ticks = 0
    local id
    id = sys.timerLoopStart(function()
        ticks = ticks + 1
        if ticks == 5 then sys.timerStop(id) end
    end, 5)
    sys.run()
    T.eq(ticks, 5)
end)

T.case("timerAdvStart fires N times, 0 once", function()
    local n, once = 0, 0
    sys.timerAdvStart(function() n = n + 1 end, 3, 4)
    sys.timerAdvStart(function() once = once + 1 end, 3, 0)
    sys.run()
    T.eq(n, 4)
    T.eq(once, 1)
end)

T.case("timerStop by id, and by function and arguments", function()
    local fired = {}
    local function cb(tag) fired[#fired + 1] = tag end
    local id = sys.timerStart(cb, 10, "by-id")
    sys.timerStart(cb, 10, "by-args")
    sys.timerStart(cb, 10, "kept")
    T.eq(sys.timerIsActive(id), true)
    T.eq(sys.timerIsActive(cb, "by-args"), true)
    T.eq(sys.timerStop(id), true)
    T.eq(sys.timerStop(cb, "by-args"), true)
    T.eq(sys.timerStop(cb, "missing"), false)
    T.eq(sys.timerStop(id), false, "already stopped")
    T.eq(sys.timerIsActive(cb, "by-args"), false)
    sys.run()
    T.eq(fired, { "kept" })
end)

T.case("starting a timer with the same function and arguments replaces it", function()
    local fired = {}
    local function cb(tag) fired[#fired + 1] = tag .. "@" end
    sys.timerStart(cb, 10, "x")
    sys.timerStart(cb, 20, "x")
    sys.timerStart(cb, 15, "y")
    sys.run()
    T.eq(fired, { "y@", "x@" })
    T.eq(sys.stats().timers_fired, 2)
end)

T.case("timerStopAll stops every timer of a function", function()
    local fired = 0
    local function cb() fired = fired + 1 end
    sys.timerStart(cb, 5, 1)
    sys.timerStart(cb, 5, 2)
    sys.timerLoopStart(cb, 5, 3)
    local other = sys.timerStart(function() end, 5)
    T.eq(sys.timerStopAll(cb), 3)
    T.eq(sys.timerIsActive(other), true)
    sys.run()
    T.eq(fired, 0)
end)

T.case("a timer stopped by an earlier callback due at the same time does not fire", function()
    local fired = {}
    local second
    sys.timerStart(function()
        fired[#fired + 1] = "first"
        sys.timerStop(second)
    end, 10)
    second = sys.timerStart(function() fired[#fired + 1] = "second" end, 10)
    sys.run()
    T.eq(fired, { "first" })
end)

T.case("an error in a timer callback is reported and the timer keeps its schedule", function()
    T.expect_errors(2)
    local ticks = 0
    local id
    id = sys.timerLoopStart(function()
        ticks = ticks + 1
        if ticks == 4 then sys.timerStop(id) end
        if ticks <= 2 then error("tick " .. ticks .. " failed") end
    end, 5)
    sys.run()
    T.eq(ticks, 4)
    local report = T.errors()[1]
    T.eq(report.kind, "timer")
    T.ok(report.message:find("tick 1 failed", 1, true), report.message)
    T.eq(sys.stats().callback_errors, 2)
end)

T.case("timer callbacks cannot wait, and say why", function()
    T.expect_errors(1)
    sys.timerStart(function() sys.wait(5) end, 1)
    sys.run()
    T.ok(T.errors()[1].message:find("called outside a task", 1, true), T.errors()[1].message)
end)

T.case("bad timer arguments name the function and the argument", function()
    T.raises("sys.timerStart: argument #1 'fn' must be a function (got nil)", sys.timerStart, nil, 10)
    T.raises("sys.timerStart: argument #2 'ms' must be a number >= 0 and <= 536870912 (got -1)", sys.timerStart, print, -1)
    T.raises("sys.timerLoopStart: argument #2 'ms' must be a number >= 1 and <= 536870912 (got 0)", sys.timerLoopStart, print, 0)
    T.raises("sys.timerAdvStart: argument #3 'count' must be an integer -1..", sys.timerAdvStart, print, 5, -2)
    T.raises("sys.timerStop: argument #1 'timer' must be a timer id or a function (got \"x\")", sys.timerStop, "x")
    T.raises("sys.timerIsActive: argument #1 'timer'", sys.timerIsActive, {})
    T.raises("sys.timerStopAll: argument #1 'fn' must be a function", sys.timerStopAll, 3)
end)

T.case("many short-lived timers leave the deadline heap empty", function()
    local function cb() end
    for i = 1, 5000 do
        local id = sys.timerStart(cb, 1000, i)
        sys.timerStop(id)
    end
    T.ok(sys.stats().deadlines_pending == 0, "pending " .. sys.stats().deadlines_pending)
    T.eq(sys.stats().timers_active, 0)
    T.eq(sys.run(), "idle")
end)

T.case("a callback's error traceback ends at the callback, not in the loop's frames", function()
    T.expect_errors(2)
    local function on_timer() error("timer exploded") end
    local function on_message() error("subscriber exploded") end
    sys.timerStart(on_timer, 1)
    sys.subscribe("T", on_message)
    sys.publish("T")
    sys.run()
    local callbacks = { timer = on_timer, subscriber = on_message }
    for _, report in ipairs(T.errors()) do
        local last = report.traceback:match("[^\n]*$")
        local defined = "timers.lua:" .. debug.getinfo(callbacks[report.kind], "S").linedefined .. ">"
        T.ok(last:find(defined, 1, true), report.kind .. "'s last frame: " .. last)
    end
end)

T.case("seqs are renumbered between turns: order, liveness and the scheduled count go on", function()
    local heap = require("sys.core").heap
    -- As if 2^29 deadlines had been scheduled (the total stays): the next turn renumbers.
    heap.base, heap.seq = heap.base + heap.seq - (1 << 29), 1 << 29
    local scheduled = sys.stats().scheduled
    local order, loops = {}, 0
    local stopped = sys.timerStart(function() order[#order + 1] = "stopped" end, 200)
    sys.timerStart(function() order[#order + 1] = "timer 150" end, 150)
    local loop = sys.timerLoopStart(function()
        loops = loops + 1
        if loops == 1 then order[#order + 1] = "loop" end
    end, 100)
    sys.taskInit(function()
        sys.wait(10)
        order[#order + 1] = "task 10"
        sys.timerStop(stopped)
        sys.wait(240)
        order[#order + 1] = "task 250"
        sys.timerStop(loop)
    end)
    sys.run()
    T.ok(heap.seq < 100, "renumbered: seq " .. heap.seq)
    T.eq(table.concat(order, ", "), "task 10, loop, timer 150, task 250")
    -- 3 timers started, 2 waits, and each firing of the loop timer schedules its next.
    T.eq(sys.stats().scheduled, (scheduled + 5 + loops) & 0x7FFFFFFF)
    T.eq(sys.stats().deadlines_pending, 0)
end)

T.case("timers due at the same ms fire in start order through compaction and renumbering", function()
    local heap = require("sys.core").heap
    -- As if 2^29 deadlines had been scheduled: the next turn renumbers.
    heap.base, heap.seq = heap.base + heap.seq - (1 << 29), 1 << 29
    local fired, ids, expected = {}, {}, {}
    local function note(i) fired[#fired + 1] = i end
    -- Started within a few ms: most share a due time, so they queue behind one another.
    local started = rtos.millis()
    for i = 1, 300 do ids[i] = sys.timerStart(note, 50, i) end
    for i = 1, 300 do
        if i % 3 == 0 then expected[#expected + 1] = i else sys.timerStop(ids[i]) end
    end
    T.eq(sys.stats().deadlines_pending, 100)
    local described = sys.describe()
    -- On the emulated chip this far can take seconds (loading describe from its flash).
    local elapsed = (rtos.millis() - started) & heap.MASK
    T.eq(#described.timers, 100)
    for _, t in ipairs(described.timers) do
        T.ok(t.due_in <= 50 and t.due_in >= 50 - elapsed, "due in " .. t.due_in .. " after " .. elapsed .. " ms")
    end
    local entries, stale, fired_then
    sys.taskInit(function()
        sys.wait(0) -- after the turn that compacted and renumbered
        entries, stale, fired_then = heap.n, heap.stale, #fired
    end)
    sys.run()
    T.eq(fired, expected)
    T.eq(entries, 100 - fired_then) -- the stopped timers' entries are gone
    T.eq(stale, 0)
    T.ok(heap.seq < 1000, "renumbered: seq " .. heap.seq)
end)
