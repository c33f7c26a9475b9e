-- Races rtos.timer_start / timer_stop / restarts against the firings of real
-- FreeRTOS timers (1-2 ms periods), also with the message queue full. Run by
-- test_native_timer_stress.py, which prepends SEED and STEPS.
--
-- Every check is about counts and order, never about how long anything took:
-- each start of an id must deliver exactly remaining = N-1, N-2, ..., 0 (or -1
-- forever) in order, nothing after a timer_stop or a restart, and nothing
-- lost unless the queue dropped firings (then only gaps are allowed).
-- Consecutive starts of one id use different kinds of counts (1-4, 100-103,
-- forever), so a stale firing of the previous start cannot pass for one of
-- the new start.

math.randomseed(SEED)
local IDS = 24
local KINDS = { "small", "large", "forever" }

local phase = "ping-pong"

local function fail(fmt, ...)
    error(phase .. ": " .. string.format(fmt, ...), 2)
end

local function dropped()
    return rtos.queue_stats().dropped
end

-- Per id, the start that may still deliver: kind, next = the remaining value
-- expected next (nil: nothing may arrive), dropped0 = dropped at the start.
local timers = {}
for id = 1, IDS do
    timers[id] = {}
end

local function start(id, kind)
    local t = timers[id]
    if kind == nil then
        repeat
            kind = KINDS[math.random(#KINDS)]
        until kind ~= t.kind
    end
    local count = kind == "small" and math.random(1, 4)
        or kind == "large" and math.random(100, 103) or -1
    -- Read before the start: its first firing may already be dropped on return.
    t.kind, t.dropped0 = kind, dropped()
    if rtos.timer_start(id, math.random(1, 2), count) ~= 1 then
        fail("timer_start(%d) did not return 1", id)
    end
    t.next = count == -1 and -1 or count - 1
end

local function stop(id)
    local t = timers[id]
    local was = rtos.timer_stop(id)
    -- Received its last firing or already stopped: not active. Forever: active.
    -- Otherwise its last firing may be in the queue: either answer is right.
    if (t.next == nil and was) or (t.next == -1 and not was) then
        fail("timer_stop(%d) returned %s (expecting %s)", id, tostring(was), tostring(t.next))
    end
    t.next = nil
end

local next_post = 1 -- the payload of the next "P" message expected
local posted = 1    -- the payload of the next "P" message to post

local function post()
    if rtos.post("P", posted) then
        posted = posted + 1
        return true
    end
    return false
end

local function on_timer(id, remaining)
    local t = timers[id]
    if t == nil or t.next == nil then
        fail("firing of a stopped, replaced or finished timer: id %s remaining %s",
            tostring(id), tostring(remaining))
    end
    if t.next == -1 then
        if remaining ~= -1 then fail("forever timer %d: remaining %d", id, remaining) end
        return
    end
    local exact = dropped() == t.dropped0
    if remaining < 0 or remaining > t.next or (exact and remaining ~= t.next) then
        fail("timer %d: remaining %d, expecting %s%d", id, remaining, exact and "" or "<= ", t.next)
    end
    t.next = remaining > 0 and remaining - 1 or nil
end

-- Handles one receive result; false when it returned nothing.
local function handle(kind, a, b)
    if kind == nil then
        return false, a
    elseif kind == rtos.MSG_TIMER then
        on_timer(a, b)
    elseif kind == "P" then
        if a ~= next_post then fail("post %d came out, expecting %d", a, next_post) end
        next_post = next_post + 1
    else
        fail("unexpected message %s", tostring(kind))
    end
    return true
end

local function drain()
    while handle(rtos.receive(0)) do end
end

local function spin(ms)
    local t0 = rtos.millis()
    while (rtos.millis() - t0) & 0x7fffffff < ms do end
end

-- Blocks until timer `id` has nothing left to deliver; a timer whose firings
-- stop coming without drops is a failure ("idle" proves nothing can come).
local function wait_done(id)
    while timers[id].next ~= nil do
        local got, reason = handle(rtos.receive(rtos.INF_TIMEOUT))
        if not got then
            if dropped() == timers[id].dropped0 then
                fail("timer %d: receive says %s, expecting remaining %d", id, tostring(reason),
                    timers[id].next)
            end
            timers[id].next = nil -- its last firing was dropped
        end
    end
end

local function stop_all()
    for id = 1, IDS do
        if timers[id].next ~= nil then stop(id) end
    end
end

-- Receives until the runtime reports idle; afterwards every finite start must
-- have delivered its last firing, unless firings were dropped meanwhile.
local function finish()
    for id = 1, IDS do
        if timers[id].next == -1 then stop(id) end
    end
    while true do
        local got, reason = handle(rtos.receive(rtos.INF_TIMEOUT))
        if not got then
            if reason ~= "idle" then fail("receive returned %s", tostring(reason)) end
            break
        end
    end
    for id = 1, IDS do
        local t = timers[id]
        if t.next ~= nil and dropped() == t.dropped0 then
            fail("timer %d stopped delivering at remaining %d", id, t.next)
        end
        t.next = nil
    end
    if next_post ~= posted then fail("posts %d..%d lost", next_post, posted - 1) end
    local st = rtos.queue_stats()
    if st.depth ~= 0 or st.posted ~= st.received + st.depth then
        fail("queue stats depth %d posted %d received %d", st.depth, st.posted, st.received)
    end
end

-- Phase 1: ping-pong. The Lua task blocks in receive, so it takes each firing
-- while the timer service task is still in the callback, then deletes or
-- replaces that very handle (the last firing received, a stop, a restart).
for i = 1, STEPS // 4 do
    local id = i % IDS + 1
    local kind = math.random(2) == 1 and "small" or "large"
    start(id, kind)
    handle(rtos.receive(rtos.INF_TIMEOUT))
    local r = math.random(kind == "small" and 3 or 2) -- no 100 ms waits for a large one
    if r == 1 then
        stop(id)
    elseif r == 2 then
        start(id, "small")
        wait_done(id)
    else
        wait_done(id)
        start(id, "small") -- reuses the slot whose handle just finished
        if math.random(2) == 1 then stop(id) else wait_done(id) end
    end
end
finish()
phase = "random"

-- Phase 2: random starts, restarts and stops of many ids against firings.
for _ = 1, STEPS do
    local id = math.random(IDS)
    local r = math.random(100)
    if r <= 40 then
        start(id)
    elseif r <= 65 then
        stop(id)
    elseif r <= 70 then
        post()
    end
    r = math.random(100)
    if r <= 50 then
        drain()
    elseif r <= 70 then
        spin(math.random(0, 2))
    elseif r <= 80 then
        handle(rtos.receive(1))
    end
end
finish()

-- Phase 3: the same with the queue full: firings are dropped (and counted),
-- restarts and stops happen while firings of the old start cannot be queued.
for round = 1, 10 do
    phase = "full queue round " .. round
    while post() do end -- fill the queue to capacity
    local before = dropped()
    for id = 1, IDS do start(id) end
    while dropped() == before do spin(1) end
    for _ = 1, IDS do
        local id = math.random(IDS)
        if math.random(2) == 1 then start(id) else stop(id) end
    end
    spin(math.random(0, 3))
    while true do
        for _ = 1, math.random(0, 40) do
            if not handle(rtos.receive(0)) then break end
        end
        local id = math.random(IDS)
        local r = math.random(10)
        if r <= 3 then start(id) elseif r <= 5 then stop(id) end
        if rtos.queue_stats().depth == 0 then break end
    end
    finish()
end

print(string.format("timer stress ok: %d steps, %d posts, %d dropped", STEPS, posted - 1, dropped()))
