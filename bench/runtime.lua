-- The runtime benchmarks, run by bench/runtime.py in the simulator (virtual time), so
-- the figures are the Lua runtime's own cost: the clock and rtos.receive are nearly
-- free there. Each figure is printed next to a floor measured in the same Lua state.
--
-- Output: one line per figure, "name<TAB>value", read by bench/runtime.py.

local clock = os.clock

local function report(name, value) print(name .. "\t" .. string.format("%.6g", value)) end

-- Timing noise from other processes only ever adds time: the best of a few repetitions
-- is the cost of the operation itself, for the floor and for each figure alike.
local REPEATS = 5
local function best(measure, ...)
    local min = math.huge
    for _ = 1, REPEATS do
        local t = measure(...)
        if t < min then min = t end
    end
    return min
end

local function full_gc()
    collectgarbage()
    collectgarbage()
end

-- The floor: one resume/yield pair of a plain coroutine.
local function floor_seconds_per_pair(pairs_count)
    local co = coroutine.wrap(function()
        while true do coroutine.yield() end
    end)
    local t0 = clock()
    for _ = 1, pairs_count do co() end
    return (clock() - t0) / pairs_count
end

-- (a) 1,000 tasks each doing 100 sys.wait(random 1..50 ms).
local function waits(tasks, each)
    local random = math.random
    for _ = 1, tasks do
        sys.taskInit(function()
            for _ = 1, each do sys.wait(random(1, 50)) end
        end)
    end
    local t0 = clock()
    sys.run()
    return (clock() - t0) / (tasks * each)
end

-- (b) one subscriber, `count` messages published in one burst.
local function burst(count)
    local received = 0
    local function on_message() received = received + 1 end
    sys.subscribe("BURST", on_message)
    local t0 = clock()
    for i = 1, count do sys.publish("BURST", i) end
    sys.run()
    local per_message = (clock() - t0) / count
    sys.unsubscribe("BURST", on_message)
    assert(received == count)
    return per_message
end

-- (c) waitUntil round trips between two tasks, each wait with a timeout.
local function round_trips(count)
    local done = 0
    sys.taskInit(function()
        for _ = 1, count do
            sys.waitUntil("PING", 1000)
            sys.publish("PONG")
        end
    end)
    sys.taskInit(function()
        for _ = 1, count do
            sys.publish("PING")
            sys.waitUntil("PONG", 1000)
            done = done + 1
        end
    end)
    local t0 = clock()
    sys.run()
    assert(done == count)
    return (clock() - t0) / count
end

-- (d) Lua heap bytes per parked task, and per bare parked coroutine.
local function parked_bytes(count)
    local function park_bare() coroutine.yield() end
    local function park_task() sys.wait(1e8) end
    local bare = {}
    full_gc()
    local before = collectgarbage("count")
    for i = 1, count do
        local co = coroutine.create(park_bare)
        coroutine.resume(co)
        bare[i] = co
    end
    full_gc()
    local bare_bytes = (collectgarbage("count") - before) * 1024 / count
    bare = nil
    full_gc()
    before = collectgarbage("count")
    local tasks = {}
    for i = 1, count do tasks[i] = sys.taskInit(park_task) end
    full_gc()
    local task_bytes = (collectgarbage("count") - before) * 1024 / count
    for i = 1, count do sys.taskCancel(tasks[i]) end
    return bare_bytes, task_bytes, bare
end

report("floor_s_per_resume_yield", best(floor_seconds_per_pair, 1000000))
report("wait_s", best(waits, 1000, 100))
sys.setWatchdog(1000, 4000)
report("wait_watchdog_s", best(waits, 1000, 100))
sys.setWatchdog(nil)
report("burst_100k_s_per_message", best(burst, 100000))
report("burst_10k_s_per_message", best(burst, 10000))
report("waituntil_round_trip_s", best(round_trips, 50000))
local bare_bytes, task_bytes = parked_bytes(10000)
report("bare_coroutine_bytes", bare_bytes)
report("parked_task_bytes", task_bytes)
