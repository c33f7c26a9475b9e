-- sim-only: exact times, which only the simulator's virtual clock guarantees.
local T = require "harness"

-- Milliseconds since the run started. elapsed() counts modulo 2^31 and the
-- "-wrap" backends start it just before the wrap.
local start = rtos.millis()
local function elapsed() return (rtos.millis() - start) & 0x7FFFFFFF end

T.case("virtual time jumps straight to each deadline", function()
    local stamps = {}
    sys.taskInit(function()
        for _, ms in ipairs({ 1000, 0, 250, 60000 }) do
            sys.wait(ms)
            stamps[#stamps + 1] = elapsed()
        end
    end)
    sys.run()
    T.eq(stamps, { 1000, 1000, 1250, 61250 })
end)

T.case("loop timers are drift-free: the n-th tick is due at start + n * interval", function()
    local stamps = {}
    local id
    id = sys.timerLoopStart(function()
        stamps[#stamps + 1] = elapsed()
        if #stamps == 5 then sys.timerStop(id) end
    end, 333)
    sys.run()
    T.eq(stamps, { 333, 666, 999, 1332, 1665 })
end)

T.case("a loop timer held up by a busy loop skips missed ticks and counts them", function()
    local stamps = {}
    local id
    id = sys.timerLoopStart(function()
        stamps[#stamps + 1] = elapsed()
        if #stamps == 3 then sys.timerStop(id) end
    end, 100)
    -- Lua code takes no virtual time, so a callback that blocks in rtos.receive stands
    -- in for one that keeps the loop busy from 150 ms to 600 ms.
    sys.timerStart(function() rtos.receive(450) end, 150)
    sys.run()
    T.eq(stamps, { 100, 600, 700 })
    T.eq(sys.stats().timer_overruns, 4)
end)

T.case("waitUntil times out exactly", function()
    local at
    sys.taskInit(function()
        sys.waitUntil("NEVER", 1234)
        at = elapsed()
    end)
    sys.run()
    T.eq(at, 1234)
end)

T.case("a fractional wait is rounded up to the next millisecond", function()
    local at = {}
    sys.taskInit(function()
        sys.wait(2.5)
        at[1] = elapsed()
        sys.waitUntil("NEVER", 0.25)
        at[2] = elapsed()
        sys.wait(2)
        at[3] = elapsed()
    end)
    sys.run()
    T.eq(at, { 3, 4, 6 })
end)

T.case("rtos timers fire at exact multiples of their period", function()
    local stamps = {}
    sys.subscribe("RTOS_TIMER", function() stamps[#stamps + 1] = elapsed() end)
    rtos.timer_start(9, 40, 3)
    sys.run()
    T.eq(stamps, { 40, 80, 120 })
end)

T.case("the run ends when nothing is left, at the last deadline", function()
    sys.timerStart(function() end, 5000)
    T.eq(sys.run(), "idle")
    T.eq(elapsed(), 5000)
end)

T.case("a rate job's long run skips the ticks it covers and resumes on the next tick", function()
    local stamps = {}
    local job
    job = sys.every(10, function()
        stamps[#stamps + 1] = elapsed()
        if #stamps == 2 then sys.wait(35) end
        if #stamps == 4 then job:cancel() end
    end)
    sys.run()
    T.eq(stamps, { 10, 20, 60, 70 })
    T.eq(job:stats().overruns, 3)
end)

T.case("executed counts the wake-ups that ran, not the ones cancelled within the same turn", function()
    local victim
    -- Both due at 50 ms; the first (scheduled first) cancels the second, whose entry
    -- is then stale when the loop reaches it in the same turn.
    sys.taskInit(function()
        sys.wait(50)
        sys.taskCancel(victim)
    end)
    victim = sys.taskInit(function() sys.wait(50) end)
    sys.run()
    T.eq(sys.stats().executed, 1)
end)

T.case("a handle's ready_wait_ms is the time from its due time to its run", function()
    -- Two tasks due at 10 ms; the first runs 5 ms, so the second waits that long for
    -- its turn. (Virtual time moves only in rtos.receive: with nothing posted, each
    -- receive(1) here is 1 ms of the first task running.)
    local handle
    sys.task(function()
        sys.wait(10)
        local t0 = rtos.millis()
        while rtos.millis() - t0 < 5 do rtos.receive(1) end
    end)
    handle = sys.task(function() sys.wait(10) end)
    sys.run()
    T.ok(handle:stats().ready_wait_ms >= 5, "ready_wait_ms " .. handle:stats().ready_wait_ms)
end)
