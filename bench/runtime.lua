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

-- (e) The toolkit, per operation: a ringbuf put and get; a pull from the middle and a
-- put (lazy deletion and compaction); a playlist step's emission (its timer, the step's
-- publish and playlist.emitted); registering and removing a playlist; an input through a double-tap and a sequence detector.
local ringbuf, playlist, gesture = require "ringbuf", require "playlist", require "gesture"

local function ringbuf_put_get(count)
    local rb = ringbuf.new(64)
    local t0 = clock()
    for _ = 1, count do
        rb:put(1, "x")
        rb:get()
    end
    return (clock() - t0) / count
end

local function ringbuf_pull_put(count)
    local rb = ringbuf.new(256)
    for id = 1, 8 do rb:put(id, "x") end
    local t0 = clock()
    for i = 1, count do
        local id = i % 8 + 1
        rb:pull(id)
        rb:put(id, "x")
    end
    return (clock() - t0) / count
end

local function playlist_emissions(count)
    local handle = playlist.register { name = "bench", steps = {
        { event = "BENCH_STEP", ["repeat"] = count - 1, interval = 1 } } }
    playlist.start(handle)
    local t0 = clock()
    sys.run()
    local per_emission = (clock() - t0) / count
    playlist.remove(handle)
    return per_emission
end

-- A definition's validation loads for each register (playlist/define.lua is not kept).
local function playlist_registrations(count)
    local def = { name = "bench", steps = { { event = "A" }, { event = "B", offset = 10 },
        { event = "C", offset = 20, ["repeat"] = 2, interval = 5 } } }
    local t0 = clock()
    for _ = 1, count do playlist.remove(playlist.register(def)) end
    return (clock() - t0) / count
end

local function gesture_inputs(count, detector, opts)
    local handle = detector(opts)
    local t0 = clock()
    for i = 1, count do sys.publish("BENCH_INPUT", { producer = i % 4, value = i % 3 }) end
    sys.run()
    local per_input = (clock() - t0) / count
    gesture.remove(handle)
    return per_input
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
report("ringbuf_put_get_s", best(ringbuf_put_get, 200000))
report("ringbuf_pull_put_s", best(ringbuf_pull_put, 100000))
report("playlist_emission_s", best(playlist_emissions, 20000))
report("playlist_register_remove_s", best(playlist_registrations, 2000))
report("gesture_double_tap_input_s", best(gesture_inputs, 50000, gesture.double_tap,
    { input = "BENCH_INPUT", output = "BENCH_GESTURE", window = 100 }))
report("gesture_sequence_input_s", best(gesture_inputs, 50000, gesture.sequence,
    { input = "BENCH_INPUT", output = "BENCH_GESTURE", steps = { 0, 1, 2 } }))
