-- sys: coroutine tasks, timers and publish/subscribe on top of the `rtos` contract
-- (docs/rtos-contract.md). The API is LuatOS's `sys` and `sysplus`; where LuatOS is
-- unsound this file does better, and docs/differences-from-luatos.md says where.
--
-- One loop runs everything. Each turn it
--   1. delivers every published message, in publish order, to subscribers in
--      subscription order;
--   2. wakes the tasks and fires the timers that were due when the turn began, in
--      deadline order (ties in the order they were scheduled), delivering what each
--      publishes before the next one runs;
--   3. blocks in rtos.receive until the next deadline, and publishes what arrives.
-- Sleeping tasks and Lua timers are entries in one deadline heap (sys/deadlines.lua),
-- not OS timers, so their number is bounded by memory alone.

local rtos = rtos
local log = require "log"
local check = require "sys.check"
local deadlines = require "sys.deadlines"
local readyq = require "sys.ready"

local co_create, co_resume, co_status, co_running, co_yield =
    coroutine.create, coroutine.resume, coroutine.status, coroutine.running, coroutine.yield
local co_close = coroutine.close -- Lua 5.4+
local select, type, tostring, xpcall, error, pairs, ipairs, next =
    select, type, tostring, xpcall, error, pairs, ipairs, next
local unpack, pack, ceil = table.unpack, table.pack, math.ceil
local traceback, getinfo = debug.traceback, debug.getinfo
local millis, receive = rtos.millis, rtos.receive
local MSG_TIMER, INF_TIMEOUT = rtos.MSG_TIMER, rtos.INF_TIMEOUT

---@class sys
local sys = {}

--- Topic of the event published for every error caught in a task or callback.
sys.ERROR_TOPIC = "SYS_ERROR"
--- Topic under which `rtos` timer expiries (rtos.MSG_TIMER) are published.
sys.RTOS_TIMER_TOPIC = "RTOS_TIMER"
local ERROR_TOPIC = sys.ERROR_TOPIC

-- Counters behind sys.stats(); locals because they sit on hot paths.
local tasks_created, tasks_ended, task_errors, callback_errors = 0, 0, 0, 0
local published, delivered, unheard, rtos_messages = 0, 0, 0, 0
local timers_fired, timer_overruns = 0, 0
local executed = 0 -- items the loop ran: task wake-ups and timer firings

------------------------------------------------------------------------------------
-- Errors: caught, logged with a traceback, counted, published; never fatal.
------------------------------------------------------------------------------------

local publish -- defined with the messages below
local delivering_errors = false -- true while ERROR_TOPIC subscribers run

-- The frames below the xpcall that caught the error are the loop's own: cut them, so
-- the traceback shows the user's code only.
local function user_frames(trace)
    local cut = trace:find("\n[^\n]*xpcall'")
    return cut and trace:sub(1, cut - 1) or trace
end

-- Every xpcall below clears `caught_message` first: with_traceback records the error
-- value there. Lua does not call the message handler for an out-of-memory error, so
-- then the value xpcall returns is all there is, and `caught` says so.
local caught_message
local function with_traceback(err)
    caught_message = err
    return user_frames(traceback(tostring(err), 2))
end

-- The error value and the traceback of a failed xpcall that returned `trace`.
local function caught(trace)
    if caught_message == nil then return trace, tostring(trace) end
    return caught_message, trace
end

local function source_of(fn)
    local info = getinfo(fn, "S")
    return info.short_src .. ":" .. info.linedefined
end

local function log_and_publish(kind, name, message, trace)
    log.error("sys", kind .. " '" .. name .. "' failed: " .. trace)
    -- An error inside an error subscriber is logged and counted but not published
    -- again: that would feed the subscriber its own failure forever.
    if not delivering_errors then
        publish(ERROR_TOPIC, { kind = kind, name = name, message = tostring(message), traceback = trace })
    end
end

-- Counting allocates nothing, so every error is counted; telling about it allocates,
-- and after an out-of-memory error that can fail too: then collect what the failed
-- code left and try once more.
local function report(kind, name, message, trace)
    if kind == "task" then task_errors = task_errors + 1 else callback_errors = callback_errors + 1 end
    if not pcall(log_and_publish, kind, name, message, trace) then
        collectgarbage()
        pcall(log_and_publish, kind, name, message, trace)
    end
end

------------------------------------------------------------------------------------
-- Tasks
------------------------------------------------------------------------------------

-- Every live task is a key of `tasks`. Its value is the seq of the deadline entry that
-- will wake it while that entry is pending or in the heap, minus that seq once the
-- entry has moved to the ready queue, and false otherwise: one hash entry per task,
-- which is most of what a parked task costs beyond its coroutine. (Timers keep the
-- same in `t.seq`.)
local tasks = {}
local task_names = {} -- [co] = name, for named tasks only
local task_tiers = {} -- [co] = ready-queue tier, for tasks not in the normal tier
-- [co] = topic while a task waits in sys.waitUntil*(topic): delivery takes the task out
-- of the list itself, so the common path needs no unsubscribe.
local waiting_on = {}
local cancelled = setmetatable({}, { __mode = "k" })
local handles = {}    -- [co] = handle, for tasks started with sys.task or sys.every
---@class sys.Task
---@field co thread       the task's coroutine (a new one after each restart)
---@field name string
local Task = {}       -- the handles' class (see "Task handles")
local tiered = 0      -- live tasks outside the normal tier; 0 lets the loop skip the ready queue
local live_tasks = 0
local current         -- the task running now; nil while the loop itself runs

-- Deadline entries are (due, seq, item); seq numbers every scheduling, so it orders
-- ties and identifies the entry: an owner (a task in `tasks`, a timer in `t.seq`)
-- keeps the seq of its one live entry, and entries it no longer holds are stale.
-- Times count modulo 2^31, as rtos.millis() does (see sys/deadlines.lua); durations
-- are capped at 2^29 ms and seqs renumbered before they span 2^30, so every comparison
-- is taken within half the circle.
--
-- A deadline scheduled during a turn first waits in the `pending` arrays and enters
-- the heap only when the loop is about to block (flush). So a wait that ends within
-- the turn that started it (a request answered at once, a timer stopped right away)
-- never touches the heap, and nothing scheduled during a turn can run in that turn.
local MASK, HALF = deadlines.MASK, deadlines.HALF
local MAX_MS = check.MAX_MS
local SEQ_RENUMBER_AT = HALF
local heap = deadlines.new()
local ready = readyq.new()
local NORMAL = readyq.NORMAL
local micros = rtos.micros
-- Set by sys/watchdog.lua and sys.setTrace: told when a task or callback starts running
-- (`slice_hook(owner)`) and, for tracing, when it ends.
local slice_hook, trace_hook
local task_hook -- set by sys/watchdog.lua: told of every new task
local seq = 0
local seq_base = 0 -- seqs given out before the last renumbering (sys.stats().scheduled)
local function seq_total() return seq_base + seq end
local flushed_seq = 0 -- entries with a larger seq are still pending
local pending_due, pending_seq, pending_items, pending_n = {}, {}, {}, 0
local stale = 0       -- heap entries nobody will recognise any more

local function is_live(s, item)
    if type(item) == "thread" then return tasks[item] == s end
    return item.seq == s
end

local function flush()
    local push = heap.push
    for i = 1, pending_n do
        local s, item = pending_seq[i], pending_items[i]
        if is_live(s, item) then push(pending_due[i], s, item) end
        pending_due[i], pending_seq[i], pending_items[i] = nil, nil, nil
    end
    if pending_n > 64 then -- give a burst's memory back
        pending_due, pending_seq, pending_items = {}, {}, {}
    end
    pending_n, flushed_seq = 0, seq
end

-- Drops the pending entries their owners no longer want. A long chain of waits
-- answered within one turn must not grow the pending arrays without bound.
local pending_sweep_at = 256
local function sweep_pending()
    local kept = 0
    for i = 1, pending_n do
        local s, item = pending_seq[i], pending_items[i]
        if is_live(s, item) then
            kept = kept + 1
            pending_due[kept], pending_seq[kept], pending_items[kept] = pending_due[i], s, item
        end
    end
    for i = kept + 1, pending_n do pending_due[i], pending_seq[i], pending_items[i] = nil, nil, nil end
    pending_n = kept
    pending_sweep_at = kept * 2 > 256 and kept * 2 or 256
end

-- Gives the live entries seqs 1, 2, 3... in the order they will come out.
local function renumber()
    flush()
    local dues, items = {}, {}
    while heap.size() > 0 do
        local due, s, item = heap.pop()
        if is_live(s, item) then dues[#dues + 1], items[#items + 1] = due, item end
    end
    for i = 1, #items do
        local item = items[i]
        if type(item) == "thread" then tasks[item] = i else item.seq = i end
        heap.push(dues[i], i, item)
    end
    seq_base = seq_base + seq - #items
    seq, flushed_seq, stale = #items, #items, 0
end

local function next_seq()
    seq = seq + 1
    if seq >= SEQ_RENUMBER_AT then
        renumber()
        seq = seq + 1
    end
    return seq
end

local function schedule(due, s, item)
    local n = pending_n + 1
    pending_n = n
    pending_due[n], pending_seq[n], pending_items[n] = due, s, item
    if n >= pending_sweep_at then sweep_pending() end
end

-- The owner of the entry `s` no longer wants it. A pending entry is simply not
-- flushed; one already in the heap is counted, and the heap is compacted once such
-- entries are the majority.
local function drop_entry(s)
    if s > 0 and s <= flushed_seq then
        stale = stale + 1
        if stale > 64 and stale * 2 > heap.size() then
            heap.compact(is_live)
            stale = 0
        end
    end
end

local function schedule_wake(co, due)
    local old = tasks[co]
    if old then drop_entry(old) end
    local s = next_seq()
    -- The owner holds the seq before the entry is scheduled: scheduling may sweep the
    -- pending list, and an entry nobody holds yet would be swept away as stale.
    tasks[co] = s
    schedule(due, s, co)
end

local function cancel_wake(co)
    local s = tasks[co]
    if s then
        tasks[co] = false
        drop_entry(s)
    end
end

-- Where a task's function was defined, read from the bottom of its (dead) stack.
local function task_origin(co)
    local level, info = 0, nil
    while true do
        local frame = getinfo(co, level, "S")
        if not frame then break end
        info, level = frame, level + 1
    end
    return info and (info.short_src .. ":" .. info.linedefined) or tostring(co)
end

local function task_label(co)
    return task_names[co] or ("task@" .. task_origin(co))
end

local tasks_peak = 0 -- most live tasks since `tasks` was last rebuilt

-- A Lua table's hash part never shrinks when keys are removed, so after a burst of
-- tasks the table is rebuilt at its live size (amortised O(1) per task).
local function shrink_task_table()
    local live = {}
    for co, s in pairs(tasks) do live[co] = s end
    tasks, tasks_peak = live, live_tasks
end

local function describe_failure(co, err)
    return task_label(co), traceback(co, tostring(err))
end

local function end_task(co)
    if tasks[co] == nil then return end
    local s = tasks[co]
    if s then drop_entry(s) end
    if task_tiers[co] then tiered = tiered - 1 end
    tasks[co], task_names[co], task_tiers[co], waiting_on[co], handles[co] = nil, nil, nil, nil, nil
    live_tasks = live_tasks - 1
    tasks_ended = tasks_ended + 1
    if tasks_peak > 64 and live_tasks < tasks_peak // 4 then shrink_task_table() end
end

local function close_task(co)
    end_task(co)
    cancelled[co] = true
    if co_close then co_close(co) end
end

local task_ended, task_failed -- what happens to a handle's task; see "Task handles"

local function resume(co, ...)
    local outer = current
    current = co
    local handle = handles[co]
    local started = (handle or trace_hook) and micros()
    if slice_hook then slice_hook(co) end
    local ok, err = co_resume(co, ...)
    current = outer
    if started then
        local ran = (micros() - started) & MASK
        if handle then
            -- Totals in ms plus a µs remainder: a µs total would wrap after 36 minutes
            -- of running on the device's 32-bit integers.
            local us = handle.run_us_part + ran
            handle.slices = handle.slices + 1
            handle.run_ms, handle.run_us_part = handle.run_ms + us // 1000, us % 1000
            if ran > handle.run_us_max then handle.run_us_max = ran end
        end
        if trace_hook then trace_hook("run", task_label(co), started, ran) end
    end
    if ok then
        if co_status(co) == "dead" then
            end_task(co)
            if handle then task_ended(handle) end
        elseif cancelled[co] then
            close_task(co)
        end
    else
        local described, name, trace = pcall(describe_failure, co, err)
        if not described then name, trace = "task", tostring(err) end
        end_task(co)
        -- Closing the dead task frees its stack now, which matters most when it died
        -- of out-of-memory.
        if co_close then co_close(co) end
        if handle then task_failed(handle, err, trace) else report("task", name, err, trace) end
    end
end

local function outside_task(fname)
    error(fname .. ": called outside a task; only code running inside sys.taskInit(fn) can wait", 3)
end

local function running_task(fname)
    local co = current
    if co == nil or co ~= co_running() then outside_task(fname) end
    return co
end

-- A live task's state: "running", "ready", "sleeping" or "waiting".
local function state_of(co)
    local entry = tasks[co]
    if co == current or co_status(co) == "normal" then return "running" end
    if entry == false then return "waiting" end
    return entry > 0 and "sleeping" or "ready"
end

local function set_tier(co, tier)
    if task_tiers[co] then tiered = tiered - 1 end
    if tier == NORMAL then
        task_tiers[co] = nil
    else
        task_tiers[co] = tier
        tiered = tiered + 1
    end
end

-- Creates a task for `fn`, not started yet; `name` is a string, or nil for an
-- unnamed task.
local function new_task(name, fn)
    local co = co_create(fn)
    if task_hook then task_hook(co) end
    tasks[co] = false
    task_names[co] = name
    live_tasks = live_tasks + 1
    if live_tasks > tasks_peak then tasks_peak = live_tasks end
    tasks_created = tasks_created + 1
    return co
end

-- Creates and starts a task.
local function start_task(name, fn, ...)
    local co = new_task(name, fn)
    resume(co, ...)
    return co
end

--- Creates a task running `fn(...)` and starts it at once: it runs until its first
--- wait before taskInit returns.
---@param fn function
---@return thread task
function sys.taskInit(fn, ...)
    check.func("sys.taskInit", 1, "fn", fn)
    return start_task(nil, fn, ...)
end

-- Suspends `co` until it is resumed, with a deadline when `ms` is given.
local function suspend(co, ms)
    if ms then
        -- schedule_wake, inlined (the path of every wait with a deadline): a running
        -- task has no wake-up scheduled, so there is no old entry to drop.
        local s = seq + 1
        if s >= SEQ_RENUMBER_AT then s = next_seq() else seq = s end
        local n = pending_n + 1
        pending_n = n
        pending_due[n], pending_seq[n], pending_items[n] = (millis() + ceil(ms)) & MASK, s, co
        tasks[co] = s
        if n >= pending_sweep_at then sweep_pending() end
    end
    return co_yield()
end

--- Suspends the calling task for at least `ms` milliseconds. Returns nothing when the
--- time is up, or the topic and arguments of a message that woke the task earlier
--- (a task subscribed with sys.subscribe(topic, task)).
---@param ms number
---@return any ...
function sys.wait(ms)
    local co = current
    if co == nil or co ~= co_running() then outside_task("sys.wait") end
    if type(ms) ~= "number" or not (ms >= 0 and ms <= MAX_MS) then
        check.ms("sys.wait", 1, "ms", ms, 0, MAX_MS)
    end
    -- A tail call: suspend takes over this frame's CallInfo, and Lua keeps one spare
    -- CallInfo per coroutine for calls nested deeper than its final yield, so a flat
    -- wait saves 64 bytes per parked task.
    return suspend(co, ms)
end



--- Cancels a task: it never runs again; its pending wake-up is dropped and its
--- subscriptions go with its next message. A task may cancel itself: it stops at its
--- next wait.
---@param co thread
function sys.taskCancel(co)
    if getmetatable(co) == Task then return co:cancel() end
    if type(co) ~= "thread" then check.fail("sys.taskCancel", 1, "task", "a task", co, 3) end
    if tasks[co] == nil then return false end
    if co_status(co) == "suspended" then close_task(co) else cancelled[co] = true end
    return true
end

--- The signed difference `a - b`, in ms, between two rtos.millis() values, right also
--- across the clock's wrap at 2^31 (like MicroPython's time.ticks_diff). Valid while
--- the two are less than 2^30 ms (12 days) apart.
---@param a integer
---@param b integer
---@return integer
function sys.ticksDiff(a, b)
    return ((a - b + HALF) & MASK) - HALF
end

--- The rtos.millis() value `ms` milliseconds after `t`, wrapping like the clock.
---@param t integer
---@param ms integer
---@return integer
function sys.ticksAdd(t, ms)
    return (t + ms) & MASK
end

------------------------------------------------------------------------------------
-- Publish / subscribe
------------------------------------------------------------------------------------

-- Published messages wait in one flat array, [count][topic][arg1..argN] each, read
-- from `mq_head` and written at `mq_tail`: O(1) per message, no table per message.
local mq, mq_head, mq_tail = {}, 1, 1
local MQ_SHRINK_AT = 1024

-- subs[topic] is the list of subscribers in subscription order. While a list is being
-- delivered to, unsubscribing leaves a `false` hole (so delivery's indices stay
-- valid) and the list is compacted when delivery is done.
--
-- An emptied list stays in `subs`: a task looping on sys.waitUntil(topic) empties and
-- refills its list on every wait. Empty lists are swept out once there are more than
-- EMPTY_LISTS_MAX of them, so topics used once (a request id, say) cost nothing lasting.
local subs = {}
local empty_lists, EMPTY_LISTS_MAX = 0, 32


---@param topic string|number
publish = function(topic, ...)
    local kind = type(topic)
    if kind ~= "string" and (kind ~= "number" or topic ~= topic) then check.topic("sys.publish", 1, topic) end
    local n = select("#", ...)
    local t = mq_tail
    mq[t], mq[t + 1] = n, topic
    for i = 1, n do mq[t + 1 + i] = (select(i, ...)) end
    mq_tail = t + 2 + n
    published = published + 1
end
--- Publishes a message: every subscriber of `topic` gets it from the loop, in
--- subscription order, after the current task or callback has yielded or returned.
sys.publish = publish

local function compact_list(topic, list)
    local kept = 0
    for i = 1, list.n do
        local s = list[i]
        if s then
            kept = kept + 1
            list[kept] = s
        end
    end
    for i = kept + 1, list.n do list[i] = nil end
    list.n, list.holes = kept, false
    if kept == 0 then
        empty_lists = empty_lists + 1
        if empty_lists > EMPTY_LISTS_MAX then
            for each, l in pairs(subs) do
                if l.n == 0 and l.busy == 0 then subs[each] = nil end
            end
            empty_lists = 0
        end
    end
end

local function remove_at(topic, list, i)
    if list.busy > 0 then
        list[i], list.holes = false, true
    else
        list[i] = false
        compact_list(topic, list)
    end
end

-- Returns false if `callback` was subscribed to `topic` already.
local function subscribe_one(topic, callback)
    local list = subs[topic]
    local n
    if not list then
        list = { n = 0, busy = 0, holes = false }
        subs[topic] = list
        n = 0
    else
        n = list.n
        if n == 0 then
            if empty_lists > 0 then empty_lists = empty_lists - 1 end
        else
            for i = 1, n do
                if list[i] == callback then return false end
            end
        end
    end
    n = n + 1
    list.n = n
    list[n] = callback
    return true
end

local function unsubscribe_one(topic, callback)
    local list = subs[topic]
    if not list then return end
    for i = 1, list.n do
        if list[i] == callback then return remove_at(topic, list, i) end
    end
end

-- Checks the arguments of sys.subscribe/unsubscribe and applies `action` to each topic.
local function for_each_topic(fname, topic, callback, action)
    if type(callback) ~= "function" and type(callback) ~= "thread" then
        check.fail(fname, 2, "callback", "a function or a task", callback)
    end
    local topics = type(topic) == "table" and topic or { topic }
    for _, each in ipairs(topics) do
        local kind = type(each)
        if kind ~= "string" and (kind ~= "number" or each ~= each) then
            check.fail(fname, 1, "topic", "a string or a number", each)
        end
        action(each, callback)
    end
end

--- Subscribes `callback` to `topic` (or to each topic of a list). A function is
--- called with the message's arguments; a task is resumed with the topic and the
--- arguments. Subscribing the same callback twice to a topic has no further effect.
---@param topic string|number|(string|number)[]
---@param callback function|thread
function sys.subscribe(topic, callback)
    for_each_topic("sys.subscribe", topic, callback, subscribe_one)
end

--- Removes a subscription made with sys.subscribe.
---@param topic string|number|(string|number)[]
---@param callback function|thread
function sys.unsubscribe(topic, callback)
    for_each_topic("sys.unsubscribe", topic, callback, unsubscribe_one)
end

local function deliver(topic, first, last)
    local list = subs[topic]
    if not list or list.n == 0 then
        unheard = unheard + 1
        return
    end
    list.busy = list.busy + 1
    -- Subscribers added during delivery start with the next message.
    for i = 1, list.n do
        local s = list[i]
        if s then
            if type(s) == "function" then
                delivered = delivered + 1
                if slice_hook then slice_hook(s) end
                caught_message = nil
                local ok, trace = xpcall(s, with_traceback, unpack(mq, first, last))
                if not ok then
                    report("subscriber", tostring(topic) .. " -> " .. source_of(s), caught(trace))
                end
            else
                local status = co_status(s)
                if status == "suspended" and not cancelled[s] then
                    delivered = delivered + 1
                    if waiting_on[s] == topic then
                        waiting_on[s] = nil
                        list[i], list.holes = false, true
                    end
                    cancel_wake(s)
                    resume(s, topic, unpack(mq, first, last))
                elseif status == "dead" or cancelled[s] then
                    remove_at(topic, list, i)
                end
            end
        end
    end
    list.busy = list.busy - 1
    if list.busy == 0 and list.holes then compact_list(topic, list) end
end

local function dispatch()
    while mq_head < mq_tail do
        local h = mq_head
        local n, topic = mq[h], mq[h + 1]
        mq_head = h + 2 + n
        if trace_hook then trace_hook("message", tostring(topic), micros(), 0) end
        if topic == ERROR_TOPIC then
            delivering_errors = true
            deliver(topic, h + 2, h + 1 + n)
            delivering_errors = false
        else
            deliver(topic, h + 2, h + 1 + n)
        end
        for i = h, h + 1 + n do mq[i] = nil end
    end
    -- The array part of `mq` never shrinks by itself: after a burst, start a fresh one.
    if mq_tail > MQ_SHRINK_AT then mq = {} end
    mq_head, mq_tail = 1, 1
end

-- The arguments of the waitUntil family, checked inline on the common path.
local function check_wait(fname, topic, ms)
    local t = type(topic)
    if t ~= "string" and (t ~= "number" or topic ~= topic) then
        check.fail(fname, 1, "topic", "a string or a number", topic)
    end
    if ms ~= nil and (type(ms) ~= "number" or not (ms >= 0 and ms <= MAX_MS)) then
        check.fail(fname, 2, "ms", "a number >= 0 and <= " .. MAX_MS, ms)
    end
end

-- Subscribes a waiting task for one message on `topic` (unless it is subscribed to
-- it for good already) and suspends it, with a deadline when `ms` is given.
local function wait_for(co, topic, ms)
    if subscribe_one(topic, co) then waiting_on[co] = topic end
    return suspend(co, ms)
end

-- A wait that ended some other way than by a message on `topic` (a timeout, say)
-- takes the task out of the list itself.
local function end_wait(co, topic)
    if waiting_on[co] then
        waiting_on[co] = nil
        unsubscribe_one(topic, co)
    end
end

-- Turns what resumed the task (nothing on timeout; topic, args... for a message)
-- into waitUntil's result. (end_wait, inlined: this is the hot path of a request.)
local function until_result(co, topic, first, ...)
    if waiting_on[co] then
        waiting_on[co] = nil
        unsubscribe_one(topic, co)
    end
    if first == nil then return false end
    return true, ...
end

--- Waits for a message on `topic`, at most `ms` milliseconds (no limit without `ms`).
--- Returns true and the message's arguments, or false on timeout.
---@param topic string|number
---@param ms? number
---@return boolean ok
---@return any ...
function sys.waitUntil(topic, ms)
    local co = current
    if co == nil or co ~= co_running() then outside_task("sys.waitUntil") end
    check_wait("sys.waitUntil", topic, ms)
    if subscribe_one(topic, co) then waiting_on[co] = topic end -- wait_for, inlined
    return until_result(co, topic, suspend(co, ms))
end

local function until_ext_result(co, topic, first, ...)
    end_wait(co, topic)
    if first == nil then return false end
    return first, ...
end

--- Like sys.waitUntil, but returns the topic and arguments, or false on timeout.
---@param topic string|number
---@param ms? number
---@return any topic_or_false
---@return any ...
function sys.waitUntilExt(topic, ms)
    local co = current
    if co == nil or co ~= co_running() then outside_task("sys.waitUntilExt") end
    check_wait("sys.waitUntilExt", topic, ms)
    return until_ext_result(co, topic, wait_for(co, topic, ms))
end

local function until_msg_result(co, topic, _, ...)
    end_wait(co, topic)
    return ...
end

--- Waits, with no time limit, for a message on `topic`; returns its arguments.
---@param topic string|number
---@return any ...
function sys.waitUntilMsg(topic)
    local co = running_task("sys.waitUntilMsg")
    check.topic("sys.waitUntilMsg", 1, topic)
    return until_msg_result(co, topic, wait_for(co, topic))
end

------------------------------------------------------------------------------------
-- Timers
------------------------------------------------------------------------------------

---@class sys.Timer
---@field id integer
---@field fn function
---@field args table|nil  packed arguments for fn
---@field ms integer
---@field remaining integer  firings left; -1 forever
---@field seq integer|nil  seq of its deadline entry; nil once stopped
---@field overruns integer
---@field tier integer  ready-queue tier (sys/ready.lua)

local timers = {}     -- [id] = timer
local timers_of = {}  -- [fn] = { [timer] = true }
local last_timer_id = 0
local timer_count = 0

local function same_args(args, ...)
    local n = select("#", ...)
    if args == nil then return n == 0 end
    if args.n ~= n then return false end
    for i = 1, n do
        if args[i] ~= (select(i, ...)) then return false end
    end
    return true
end

local function find_timer(fn, ...)
    local set = timers_of[fn]
    if not set then return nil end
    for t in pairs(set) do
        if same_args(t.args, ...) then return t end
    end
end

local function forget_timer(t)
    timers[t.id] = nil
    local set = timers_of[t.fn]
    set[t] = nil
    if next(set) == nil then timers_of[t.fn] = nil end
    t.seq = nil
    timer_count = timer_count - 1
end

local function stop_timer(t)
    local s = t.seq
    forget_timer(t)
    drop_entry(s)
end

local function start_timer(fname, fn, ms, remaining, ...)
    check.func(fname, 1, "fn", fn)
    ms = check.ms(fname, 2, "ms", ms, remaining == 1 and 0 or 1, MAX_MS)
    -- As in LuatOS, a timer with the same function and arguments replaces the old one.
    local old = find_timer(fn, ...)
    if old then stop_timer(old) end
    -- Ids run 1..INT_MAX and wrap (the device's integers are 32-bit), skipping ids
    -- still in use.
    repeat
        last_timer_id = last_timer_id % check.INT_MAX + 1
    until timers[last_timer_id] == nil
    local t = {
        id = last_timer_id, fn = fn, ms = ms, remaining = remaining, overruns = 0, tier = NORMAL,
        args = select("#", ...) > 0 and pack(...) or nil,
    }
    timers[t.id] = t
    local set = timers_of[fn]
    if not set then
        set = {}
        timers_of[fn] = set
    end
    set[t] = true
    timer_count = timer_count + 1
    t.seq = next_seq()
    schedule((millis() + ms) & MASK, t.seq, t)
    return t.id
end

--- Calls `fn(...)` once, `ms` milliseconds from now. Returns the timer id.
---@param fn function
---@param ms number
---@return integer id
function sys.timerStart(fn, ms, ...)
    return start_timer("sys.timerStart", fn, ms, 1, ...)
end

--- Calls `fn(...)` every `ms` milliseconds (ms >= 1), drift-free: the n-th call is
--- due at start + n * ms. A call that would come late by a whole period or more is
--- skipped and counted as an overrun rather than run in a burst.
---@param fn function
---@param ms number
---@return integer id
function sys.timerLoopStart(fn, ms, ...)
    return start_timer("sys.timerLoopStart", fn, ms, -1, ...)
end

--- LuatOS's general form: `count` 0 fires once, -1 forever, N >= 1 fires N times.
---@param fn function
---@param ms number
---@param count integer
---@return integer id
function sys.timerAdvStart(fn, ms, count, ...)
    count = check.integer("sys.timerAdvStart", 3, "count", count, -1, check.INT_MAX)
    return start_timer("sys.timerAdvStart", fn, ms, count == 0 and 1 or count, ...)
end

local function timer_of(fname, val, ...)
    if type(val) == "number" then return timers[val] end
    if type(val) == "function" then return find_timer(val, ...) end
    check.fail(fname, 1, "timer", "a timer id or a function", val)
end

--- Stops a timer given by id, or by function and arguments. Returns true if a timer
--- was stopped. Once it returns, the timer's function is not called again.
---@param val integer|function
---@return boolean
function sys.timerStop(val, ...)
    local t = timer_of("sys.timerStop", val, ...)
    if not t then return false end
    stop_timer(t)
    return true
end

--- Stops every timer of function `fn`, whatever its arguments. Returns how many.
---@param fn function
---@return integer
function sys.timerStopAll(fn)
    check.func("sys.timerStopAll", 1, "fn", fn)
    local set, count = timers_of[fn], 0
    if set then
        for t in pairs(set) do
            stop_timer(t)
            count = count + 1
        end
    end
    return count
end

--- True if the timer (by id, or by function and arguments) is pending.
---@param val integer|function
---@return boolean
function sys.timerIsActive(val, ...)
    return timer_of("sys.timerIsActive", val, ...) ~= nil
end

local function fire_timer(t, due, now)
    timers_fired = timers_fired + 1
    local remaining = t.remaining
    if remaining == 1 then
        forget_timer(t)
    else
        if remaining > 1 then t.remaining = remaining - 1 end
        local ms = t.ms
        local late = (now - due) & MASK -- how late this call is (due is never after now)
        local missed = late // ms
        if missed > 0 then
            t.overruns = t.overruns + missed
            timer_overruns = timer_overruns + missed
        end
        t.seq = next_seq()
        schedule((due + (missed + 1) * ms) & MASK, t.seq, t)
    end
    if slice_hook then slice_hook(t) end
    local started = trace_hook and micros()
    local args, ok, trace = t.args, nil, nil
    caught_message = nil
    if args then
        ok, trace = xpcall(t.fn, with_traceback, unpack(args, 1, args.n))
    else
        ok, trace = xpcall(t.fn, with_traceback)
    end
    if started then trace_hook("timer", "timer " .. t.id, started, (micros() - started) & MASK) end
    if not ok then
        report("timer", "timer " .. t.id .. " -> " .. source_of(t.fn), caught(trace))
    end
end


------------------------------------------------------------------------------------
-- Task handles: sys.task(fn, options, ...) and the error policies
------------------------------------------------------------------------------------

local ERROR_POLICIES = { stop = true, restart = true, reboot = true }
local HANDLE_OPTIONS = { name = true, priority = true, on_error = true, backoff = true, backoff_max = true }

-- An error raised with sys.nonfatal(message): logged and counted, then the task is
-- rescheduled (a periodic job goes on with its next tick, a task restarts after its
-- back-off) whatever its error policy.
local NonFatal = {}
NonFatal.__index = NonFatal
NonFatal.__tostring = function(e) return "non-fatal: " .. tostring(e.message) end

--- An error value for `error(sys.nonfatal("sensor timeout"))`: a failure the task can
--- recover from by running again (see sys.task's error policies).
---@param message any
---@return table
function sys.nonfatal(message)
    return setmetatable({ message = message }, NonFatal)
end

local function is_nonfatal(err) return getmetatable(err) == NonFatal end

Task.__index = Task

local PRIORITY_NAMES = '"critical", "connectivity", "normal" or "background"'

local function tier_of(fname, n, priority)
    local tier = readyq.TIERS[priority]
    if not tier then check.fail(fname, n, "priority", PRIORITY_NAMES, priority) end
    return tier
end

-- Starts (or restarts) the handle's function as a new task.
local function start_handle(handle)
    local co = new_task(handle.name, handle.fn)
    set_tier(co, handle.tier)
    handles[co] = handle
    handle.co, handle.final = co, nil
    resume(co, unpack(handle.args, 1, handle.args.n))
end

local function restart_after_backoff(handle)
    if handle.final == "restarting" then start_handle(handle) end
end

-- The back-off before the next restart: `backoff`, doubled for each failure in a row,
-- at most `backoff_max`.
local function backoff_ms(handle)
    local ms = handle.backoff * (1 << math.min(handle.failures - 1, 20))
    return ms < handle.backoff_max and ms or handle.backoff_max
end

-- Reports a failure of a handle's task or job and applies its policy. Returns
-- "again" with the back-off in ms when it is to run again, or "stop".
local function apply_error_policy(handle, err, trace)
    handle.errors = handle.errors + 1
    handle.failures = handle.failures + 1
    local nonfatal = is_nonfatal(err)
    report("task", handle.name, nonfatal and err.message or err, trace)
    if nonfatal or handle.on_error == "restart" then return "again", backoff_ms(handle) end
    if handle.on_error == "reboot" then rtos.reboot() end
    return "stop"
end

task_failed = function(handle, err, trace)
    if apply_error_policy(handle, err, trace) == "stop" then
        handle.final = "failed"
        return
    end
    handle.final = "restarting"
    sys.timerStart(restart_after_backoff, backoff_ms(handle), handle)
end

task_ended = function(handle)
    handle.final, handle.failures = handle.final or "done", 0
end

-- A handle for `fn` with the options of sys.task, checked; not started yet. Errors
-- blame the line that called the public function `fname`, `depth` calls up.
local function new_handle(fname, n, fn, options, depth)
    local function fail(name, requirement, value)
        check.fail(fname, n, name, requirement, value, 5 + depth)
    end
    options = options or {}
    if type(options) ~= "table" then fail("options", "a table or nil", options) end
    for key, value in pairs(options) do
        if not HANDLE_OPTIONS[key] then fail("options." .. tostring(key), "a known option", value) end
    end
    local name = options.name
    if name ~= nil and type(name) ~= "string" then fail("options.name", "a string", name) end
    local on_error = options.on_error or "stop"
    if not ERROR_POLICIES[on_error] then fail("options.on_error", '"stop", "restart" or "reboot"', on_error) end
    local tier = readyq.TIERS[options.priority or "normal"]
    if not tier then fail("options.priority", PRIORITY_NAMES, options.priority) end
    local function ms_option(key, default)
        local value = options[key]
        if value == nil then return default end
        if type(value) ~= "number" or not (value >= 1 and value <= MAX_MS) then
            fail("options." .. key, "a number >= 1 and <= " .. MAX_MS, value)
        end
        return ceil(value)
    end
    return setmetatable({
        fn = fn, name = name or ("task@" .. source_of(fn)),
        tier = tier,
        on_error = on_error,
        backoff = ms_option("backoff", 1000),
        backoff_max = ms_option("backoff_max", 60000),
        failures = 0, errors = 0, overruns = 0, slices = 0, run_ms = 0, run_us_part = 0, run_us_max = 0,
        ready_wait_ms = 0,
        ticks = 0,
    }, Task)
end

--- Starts `fn(...)` as a task with options and returns its handle:
--- `name` (default: where fn is defined), `priority` ("critical", "connectivity",
--- "normal" (default), "background"), `on_error` ("stop" (default): a failed task ends;
--- "restart": it starts again after `backoff` ms (default 1000), doubled for each failure
--- in a row up to `backoff_max` (default 60000); "reboot": rtos.reboot()).
---@param fn function
---@param options? {name?: string, priority?: string, on_error?: string, backoff?: integer, backoff_max?: integer}
---@return sys.Task
function sys.task(fn, options, ...)
    check.func("sys.task", 1, "fn", fn)
    local handle = new_handle("sys.task", 2, fn, options, 0)
    handle.args = pack(...)
    start_handle(handle)
    return handle
end

--- "running", "ready" (due, waiting for its turn), "sleeping" (until a deadline),
--- "waiting" (for a message), "restarting" (in its back-off), or how it ended:
--- "done", "failed", "cancelled".
---@return string
function Task:state()
    return tasks[self.co] == nil and (self.final or "done") or state_of(self.co)
end

--- The task's priority tier name.
---@return string
function Task:priority() return readyq.NAMES[self.tier] end

--- Moves the task to another priority tier; it takes effect at its next wake-up.
---@param priority string
function Task:setPriority(priority)
    self.tier = tier_of("Task:setPriority", 1, priority)
    if tasks[self.co] ~= nil then set_tier(self.co, self.tier) end
end

--- Cancels the task: it never runs again (a pending restart is dropped too).
---@return boolean cancelled false if it had ended already
function Task:cancel()
    local live = tasks[self.co] ~= nil
    if not live and self.final ~= "restarting" then return false end
    self.final = "cancelled"
    if live then sys.taskCancel(self.co) end
    return true
end

--- The task's statistics: slices (times it ran), run_ms (time spent running),
--- run_us_max (its longest slice), ready_wait_ms (time due but not yet running),
--- errors, overruns and ticks (periodic jobs). Counts are modulo 2^31, as on the
--- device, whose integers are 32-bit.
---@return table
function Task:stats()
    return {
        name = self.name, state = self:state(), priority = self:priority(),
        slices = self.slices & MASK, run_ms = self.run_ms & MASK, run_us_max = self.run_us_max,
        ready_wait_ms = self.ready_wait_ms & MASK, errors = self.errors & MASK,
        overruns = self.overruns & MASK, ticks = self.ticks & MASK,
    }
end

--- Changes a periodic job's interval (sys.every); it takes effect from the next tick.
---@param ms integer
function Task:setInterval(ms)
    if not self.interval then error("Task:setInterval: " .. self.name .. " is not a periodic job (sys.every)", 2) end
    self.interval = check.ms("Task:setInterval", 1, "ms", ms, 1, MAX_MS)
end

Task.__tostring = function(t) return "task " .. t.name .. " (" .. t:state() .. ")" end

sys.every = require("sys.periodic")(sys, {
    millis = millis,
    sleep_until = function(due)
        schedule_wake(current, due)
        return co_yield()
    end,
    call = function(fn, ...)
        if slice_hook then slice_hook(fn) end
        caught_message = nil
        return xpcall(fn, with_traceback, ...)
    end,
    caught = caught,
    apply_error_policy = apply_error_policy,
    count_overruns = function(n) timer_overruns = timer_overruns + n end,
    name_of = function(kind, fn) return kind .. "@" .. source_of(fn) end,
    start_job = function(loop, options, fields, ...)
        local handle = new_handle("sys.every", 3, loop, options, 1)
        for key, value in pairs(fields) do handle[key] = value end
        handle.args = pack(handle, ...)
        start_handle(handle)
        return handle
    end,
})

------------------------------------------------------------------------------------
-- The loop
------------------------------------------------------------------------------------

-- Moves the tasks and timers due at `now` from the heap to the ready queue, then runs
-- ready work, highest tier first (with aging, sys/ready.lua), at most TURN_BUDGET items
-- before the loop polls the rtos queue again. What they schedule is pending until the
-- next flush, so it runs in a later turn: a task looping on sys.wait(0) cannot starve
-- incoming messages.
local TURN_BUDGET = 64
local ready_push, ready_take = ready.push, ready.take

local function run_due(now)
    if tiered == 0 and ready.size() == 0 then
        -- Every task is in the normal tier, so the ready queue would be a plain FIFO in
        -- heap order: run the due entries straight from the heap.
        for _ = 1, TURN_BUDGET do
            local due, s, item = heap.peek()
            if not due or (now - due) & MASK >= HALF then return end
            heap.pop()
            executed = executed + 1
            if type(item) == "thread" then
                if tasks[item] == s then
                    tasks[item] = false
                    local handle = handles[item]
                    if handle then handle.ready_wait_ms = handle.ready_wait_ms + ((now - due) & MASK) end
                    resume(item)
                else
                    stale = stale - 1
                end
            elseif item.seq == s then
                fire_timer(item, due, now)
            else
                stale = stale - 1
            end
            if mq_head < mq_tail then dispatch() end
        end
        return
    end
    while true do
        local due, s, item = heap.peek()
        if not due or (now - due) & MASK >= HALF then break end -- empty, or due after now
        heap.pop()
        if type(item) == "thread" then
            if tasks[item] == s then
                tasks[item] = -s
                local handle = handles[item]
                if handle then handle.due = due end
                ready_push(task_tiers[item] or NORMAL, item, s)
            else
                stale = stale - 1
            end
        elseif item.seq == s then
            item.seq, item.due = -s, due
            ready_push(item.tier, item, s)
        else
            stale = stale - 1
        end
    end
    for _ = 1, TURN_BUDGET do
        local item, s = ready_take()
        if not item then return end
        executed = executed + 1
        if type(item) == "thread" then
            if tasks[item] == -s then
                tasks[item] = false
                local handle = handles[item]
                if handle then handle.ready_wait_ms = handle.ready_wait_ms + ((millis() - handle.due) & MASK) end
                resume(item)
            end
        elseif item.seq == -s then
            fire_timer(item, item.due, now)
        end
        if mq_head < mq_tail then dispatch() end
    end
end

-- The due time of the earliest live deadline, or nil.
local function next_due()
    flush()
    while true do
        local due, s, item = heap.peek()
        if not due or is_live(s, item) then return due end
        heap.pop()
        stale = stale - 1
    end
end

-- The runtime's start on the rtos clock, and a recorder's tap on what the loop receives.
local started_ms, receive_tap = millis(), nil

local function handle_incoming(id, ...)
    if id == nil then return (...) end -- timeout: nil; "idle" or "stop": the loop ends
    rtos_messages = rtos_messages + 1
    if receive_tap then receive_tap(id, ...) end
    if id == MSG_TIMER then
        publish(sys.RTOS_TIMER_TOPIC, ...)
    else
        publish(id, ...)
    end
end

local function turn()
    dispatch()
    run_due(millis())
    local due = next_due()
    local timeout = INF_TIMEOUT
    if ready.size() > 0 then
        timeout = 0 -- ready work left over from this turn's budget
    elseif due then
        timeout = (due - millis()) & MASK
        if timeout >= HALF then timeout = 0 end -- already due
    end
    if slice_hook then slice_hook(nil) end -- blocking is not running
    return handle_incoming(receive(timeout))
end

local running = false
local MAX_FAILED_TURNS = 100

--- Runs the event loop. On a device it never returns; it returns "idle" when the
--- backend can prove nothing more can happen (the simulator) and "stop" when the host
--- stops the runtime.
---@return "idle"|"stop"
function sys.run()
    local _, is_main = co_running()
    if not is_main then error("sys.run: must be called from the main script, not from a task", 2) end
    if running then error("sys.run: the loop is already running", 2) end
    running = true
    local ok, reason
    local failures = 0
    repeat
        caught_message = nil
        ok, reason = xpcall(turn, with_traceback)
        if ok then
            failures = 0
        else
            -- A failed turn (out of memory, say) is reported and the loop goes on; a loop
            -- that fails turn after turn is broken, and spinning would only hide it.
            failures = failures + 1
            local message, trace = caught(reason)
            report("runtime", "sys.run", message, trace)
            if failures >= MAX_FAILED_TURNS then
                running = false
                error("sys.run: " .. failures .. " turns of the loop failed in a row; the last error: "
                    .. tostring(message), 2)
            end
            reason = nil
        end
    until reason
    running = false
    return reason
end

------------------------------------------------------------------------------------
-- Task mailboxes (LuatOS sysplus): sys.taskInitEx, sendMsg, waitMsg
------------------------------------------------------------------------------------

local mailbox = require("sys.mailbox")({
    start_task = start_task,
    running_task = running_task,
    suspend = suspend,
    -- A mailbox outlives a task cancelled with sys.taskCancel; a sendMsg to it must not
    -- schedule the dead task (which would resurrect it as a live task that fails).
    wake = function(co) if tasks[co] ~= nil then schedule_wake(co, millis()) end end,
    ticks_add = sys.ticksAdd,
    ticks_diff = sys.ticksDiff,
    cancel_task = sys.taskCancel,
})
sys.taskInitEx = mailbox.taskInitEx
sys.sendMsg = mailbox.sendMsg
sys.waitMsg = mailbox.waitMsg
sys.cleanMsg = mailbox.cleanMsg
sys.taskDel = mailbox.taskDel
sys.setMailboxLimit = mailbox.setLimit

------------------------------------------------------------------------------------
-- Introspection
------------------------------------------------------------------------------------

-- What a task, timer or subscriber is called in reports.
local function label_of(what)
    local kind = type(what)
    if kind == "thread" then return task_label(what) end
    if kind == "function" then return source_of(what) end
    return "timer " .. what.id .. " -> " .. source_of(what.fn)
end

--- Sets the watchdog for tasks and callbacks that run too long without yielding (see
--- sys/watchdog.lua): sys.setWatchdog(1000, 4000) reports at 1 s and raises an error in
--- the culprit at 4 s, before ESP-IDF's task watchdog (5 s). Off by default: its count
--- hook puts Lua's interpreter on its slower, traced path (bench/runtime.py measures it).
sys.setWatchdog = require("sys.watchdog")(sys, {
    micros = micros,
    label_of = label_of,
    set_slice_hook = function(hook) slice_hook = hook end,
    set_task_hook = function(hook) task_hook = hook end,
    tasks = function() return tasks end,
})

--- Sets a function called for every task switch, timer firing and message dispatch:
--- `fn(kind, name, start_us, duration_us)` with kind "run" (a task ran), "timer" or
--- "message" (duration 0); times from rtos.micros(). nil removes it.
---@param fn fun(kind: string, name: string, start_us: integer, duration_us: integer)|nil
function sys.setTrace(fn)
    if fn ~= nil and type(fn) ~= "function" then check.fail("sys.setTrace", 1, "fn", "a function or nil", fn, 3) end
    trace_hook = fn
end

--- Sets `fn(id, ...)`, called with every message the loop receives from rtos.receive
--- before it is published (id is rtos.MSG_TIMER for an rtos timer); nil removes it.
--- Returns rtos.millis() at the runtime's start. `luasys record`'s tap (recorder.lua).
---@param fn fun(id: string|integer, ...)|nil
---@return integer started_ms
function sys.setReceiveTap(fn)
    if fn ~= nil and type(fn) ~= "function" then check.fail("sys.setReceiveTap", 1, "fn", "a function or nil", fn, 3) end
    receive_tap = fn
    return started_ms
end

sys.describe = require("sys.describe")({
    millis = millis,
    ticks_diff = sys.ticksDiff,
    tasks = function() return tasks end,
    timers = function() return timers end,
    ready_size = function() return ready.size() end,
    handle_of = function(co) return handles[co] end,
    label_of = label_of,
    state_of = state_of,
    tier_of = function(co) return task_tiers[co] or NORMAL end,
    waiting_on = function(co) return waiting_on[co] end,
    each_entry = function(visit)
        heap.each(function(due, s, item) if is_live(s, item) then visit(due, item) end end)
        for i = 1, pending_n do
            if is_live(pending_seq[i], pending_items[i]) then visit(pending_due[i], pending_items[i]) end
        end
    end,
    each_ready = function(visit)
        ready.each(function(item, token, _, waited)
            local entry = type(item) == "thread" and tasks[item] or item.seq
            if entry == -token then visit(item, waited) end
        end)
    end,
})

local function live_pending()
    local count = 0
    for i = 1, pending_n do
        if is_live(pending_seq[i], pending_items[i]) then count = count + 1 end
    end
    return count
end

--- The runtime's counters. Counts are modulo 2^31 on every backend, as they must be
--- on the device, whose integers are 32-bit.
---@return table
function sys.stats()
    return {
        tasks_live = live_tasks, tasks_created = tasks_created & MASK, tasks_ended = tasks_ended & MASK,
        scheduled = seq_total() & MASK, executed = executed & MASK,
        task_errors = task_errors & MASK, callback_errors = callback_errors & MASK,
        published = published & MASK, delivered = delivered & MASK, unheard = unheard & MASK,
        rtos_messages = rtos_messages & MASK,
        timers_active = timer_count, timers_fired = timers_fired & MASK, timer_overruns = timer_overruns & MASK,
        deadlines_pending = heap.size() - stale + live_pending(),
        mailbox_full = mailbox.counters.full & MASK, mailbox_discarded = mailbox.counters.discarded & MASK,
        queue = rtos.queue_stats(),
    }
end

return sys
