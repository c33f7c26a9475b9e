-- The runtime benchmarks, run by bench/runtime.py in the simulator (virtual time), so
-- the figures are the Lua runtime's own cost: the clock and rtos.receive are nearly
-- free there. This script measures; bench/runtime.py does the statistics.
--
-- Each figure is timed REPEATS times, each repetition between two measurements of the
-- floor (a plain coroutine resume/yield pair) in the same Lua state, so that a figure
-- is compared only with floors taken next to it: the speed of a shared machine drifts
-- (the development VM's floor moves between 0.09 and 0.17 us within a second). Each
-- figure is also counted in VM instructions per operation (a count hook on the main
-- thread and on every task), which nothing on the machine can disturb: the count of 2n
-- operations minus that of n, over n, so that setting up (creating tasks, registering)
-- is not counted.
--
-- Output, read by bench/runtime.py, one line each:
--   floor<TAB>seconds per pair                            (every floor measurement)
--   pair<TAB>name<TAB>floor before<TAB>seconds per op<TAB>floor after
--   instructions<TAB>name<TAB>VM instructions per op
--   function<TAB>source:line<TAB>VM instructions per op  (the figure named by PROFILE)
--   bytes<TAB>name<TAB>bytes                              (the heap figures (d))

local clock, wrap, yield = os.clock, coroutine.wrap, coroutine.yield -- before sys.setWatchdog wraps them

local REPEATS = REPEATS or 15 -- bench/runtime.py --repeats sets it
local FLOOR_PAIRS = 100000 -- 10 to 16 ms, as long as a repetition of the quicker figures
local SEED = 1 -- (a)'s random waits: the same in every repetition and every run

local function report(...)
    local fields = { ... }
    for i = 2, #fields do
        if type(fields[i]) == "number" then fields[i] = string.format("%.6g", fields[i]) end
    end
    print(table.concat(fields, "\t"))
end

local function full_gc()
    collectgarbage()
    collectgarbage()
end

-- A figure's measure function is given a meter: meter.start() before the operations,
-- meter.stop(mark) after them returns what they cost (seconds or VM instructions).
local timer = {
    start = clock,
    stop = function(t0) return clock() - t0 end,
}

-- Counting: a count hook of 1 on the main thread and, through sys.taskInit, on every
-- task from its first instruction (a new coroutine does not inherit a Lua hook).
-- Profiling (the global PROFILE names a figure: bench/runtime.py --profile) counts
-- per function, by where it is defined.
local instructions, by_function = 0, nil
local getinfo = debug.getinfo
local function count_one()
    instructions = instructions + 1
    if by_function then
        local info = getinfo(2, "S")
        local where = info.short_src .. ":" .. info.linedefined
        by_function[where] = (by_function[where] or 0) + 1
    end
end
local sethook = debug.sethook
local counter = {
    start = function()
        instructions = 0
        if by_function then by_function = {} end
        sethook(count_one, "", 1)
    end,
    stop = function()
        sethook()
        return instructions
    end,
}
local function counted_task_init(task_init)
    return function(fn, ...)
        return task_init(function(...)
            sethook(count_one, "", 1)
            return fn(...)
        end, ...)
    end
end

-- The floor: seconds per resume/yield pair of a plain coroutine, without a hook (it
-- would inherit the main thread's C hook, the watchdog's).
local function floor_seconds()
    local co = wrap(function()
        sethook()
        while true do yield() end
    end)
    co()
    local t0 = clock()
    for _ = 1, FLOOR_PAIRS do co() end
    local seconds = (clock() - t0) / FLOOR_PAIRS
    report("floor", seconds)
    return seconds
end

-- Times measure(timer, n, ...) / n per operation REPEATS times, each time between two
-- floors, then counts it in VM instructions per operation with n = count_n (nil: not
-- counted).
local function figure(name, measure, n, count_n, ...)
    local before = floor_seconds()
    for _ = 1, REPEATS do
        local seconds = measure(timer, n, ...) / n
        local after = floor_seconds()
        report("pair", name, before, seconds, after)
        before = after
    end
    if count_n then
        local task_init = sys.taskInit
        sys.taskInit = counted_task_init(task_init)
        by_function = name == PROFILE and {} or nil
        local once = measure(counter, count_n, ...)
        local once_by = by_function
        local twice = measure(counter, 2 * count_n, ...)
        local twice_by = by_function
        by_function = nil
        sys.taskInit = task_init
        report("instructions", name, (twice - once) / count_n)
        for where, count in pairs(twice_by or {}) do
            report("function", where, (count - (once_by[where] or 0)) / count_n)
        end
    end
end

-- (a) 1,000 tasks together doing n sys.wait(random 1..50 ms).
local TASKS = 1000
local function waits(meter, n)
    math.randomseed(SEED)
    local random = math.random
    for _ = 1, TASKS do
        sys.taskInit(function()
            for _ = 1, n // TASKS do sys.wait(random(1, 50)) end
        end)
    end
    local mark = meter.start()
    sys.run()
    return meter.stop(mark)
end

-- (b) one subscriber, n messages published in one burst.
local function burst(meter, n)
    local received = 0
    local function on_message() received = received + 1 end
    sys.subscribe("BURST", on_message)
    local mark = meter.start()
    for i = 1, n do sys.publish("BURST", i) end
    sys.run()
    local cost = meter.stop(mark)
    sys.unsubscribe("BURST", on_message)
    assert(received == n)
    return cost
end

-- (c) n waitUntil round trips between two tasks, each wait with a timeout.
local function round_trips(meter, n)
    local done = 0
    sys.taskInit(function()
        for _ = 1, n do
            sys.waitUntil("PING", 1000)
            sys.publish("PONG")
        end
    end)
    sys.taskInit(function()
        for _ = 1, n do
            sys.publish("PING")
            sys.waitUntil("PONG", 1000)
            done = done + 1
        end
    end)
    local mark = meter.start()
    sys.run()
    assert(done == n)
    return meter.stop(mark)
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
-- publish and playlist.emitted); registering and removing a playlist; an input through
-- a double-tap and a sequence detector.
local ringbuf, playlist, gesture = require "ringbuf", require "playlist", require "gesture"

local function ringbuf_put_get(meter, n)
    local rb = ringbuf.new(64)
    local mark = meter.start()
    for _ = 1, n do
        rb:put(1, "x")
        rb:get()
    end
    return meter.stop(mark)
end

local function ringbuf_pull_put(meter, n)
    local rb = ringbuf.new(256)
    for id = 1, 8 do rb:put(id, "x") end
    local mark = meter.start()
    for i = 1, n do
        local id = i % 8 + 1
        rb:pull(id)
        rb:put(id, "x")
    end
    return meter.stop(mark)
end

local function playlist_emissions(meter, n)
    local handle = playlist.register { name = "bench", steps = {
        { event = "BENCH_STEP", ["repeat"] = n - 1, interval = 1 } } }
    playlist.start(handle)
    local mark = meter.start()
    sys.run()
    local cost = meter.stop(mark)
    playlist.remove(handle)
    return cost
end

-- A definition's validation loads for each register (playlist/define.lua is not kept).
local function playlist_registrations(meter, n)
    local def = { name = "bench", steps = { { event = "A" }, { event = "B", offset = 10 },
        { event = "C", offset = 20, ["repeat"] = 2, interval = 5 } } }
    local mark = meter.start()
    for _ = 1, n do playlist.remove(playlist.register(def)) end
    return meter.stop(mark)
end

local function gesture_inputs(meter, n, detector, opts)
    local handle = detector(opts)
    local mark = meter.start()
    for i = 1, n do sys.publish("BENCH_INPUT", { producer = i % 4, value = i % 3 }) end
    sys.run()
    local cost = meter.stop(mark)
    gesture.remove(handle)
    return cost
end

-- Each repetition takes 10 to 100 ms on the development machine.
figure("wait", waits, 20 * TASKS, 10 * TASKS)
sys.setWatchdog(1000, 4000)
figure("wait_watchdog", waits, 20 * TASKS) -- not counted: the watchdog hooks the tasks itself
sys.setWatchdog(nil)
figure("burst_100k", burst, 100000) -- counted at 10k: the same instructions per message
figure("burst_10k", burst, 10000, 10000)
figure("waituntil_round_trip", round_trips, 10000, 5000)
local bare_bytes, task_bytes = parked_bytes(10000)
report("bytes", "bare_coroutine", bare_bytes)
report("bytes", "parked_task", task_bytes)
figure("ringbuf_put_get", ringbuf_put_get, 50000, 10000)
figure("ringbuf_pull_put", ringbuf_pull_put, 50000, 10000)
figure("playlist_emission", playlist_emissions, 2000, 2000)
figure("playlist_register_remove", playlist_registrations, 2000, 200)
figure("gesture_double_tap_input", gesture_inputs, 20000, 5000, gesture.double_tap,
    { input = "BENCH_INPUT", output = "BENCH_GESTURE", window = 100 })
figure("gesture_sequence_input", gesture_inputs, 20000, 5000, gesture.sequence,
    { input = "BENCH_INPUT", output = "BENCH_GESTURE", steps = { 0, 1, 2 } })
