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

local caught_message
local function with_traceback(err)
    caught_message = err
    return user_frames(traceback(tostring(err), 2))
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
-- will wake it while it sleeps with a deadline, and false otherwise: one hash entry
-- per task, which is most of what a parked task costs beyond its coroutine.
local tasks = {}
local task_names = {} -- [co] = name, for named tasks only
-- [co] = topic while a task waits in sys.waitUntil*(topic): delivery takes the task out
-- of the list itself, so the common path needs no unsubscribe.
local waiting_on = {}
local cancelled = setmetatable({}, { __mode = "k" })
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
local seq = 0
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
    if s <= flushed_seq then
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
    schedule(due, s, co)
    tasks[co] = s
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
    tasks[co], task_names[co], waiting_on[co] = nil, nil, nil
    live_tasks = live_tasks - 1
    tasks_ended = tasks_ended + 1
    if tasks_peak > 64 and live_tasks < tasks_peak // 4 then shrink_task_table() end
end

local function close_task(co)
    end_task(co)
    cancelled[co] = true
    if co_close then co_close(co) end
end

local function resume(co, ...)
    local outer = current
    current = co
    local ok, err = co_resume(co, ...)
    current = outer
    if ok then
        if co_status(co) == "dead" then
            end_task(co)
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
        report("task", name, err, trace)
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

-- Creates and starts a task; `name` is a string, or nil for an unnamed task.
local function start_task(name, fn, ...)
    local co = co_create(fn)
    tasks[co] = false
    task_names[co] = name
    live_tasks = live_tasks + 1
    if live_tasks > tasks_peak then tasks_peak = live_tasks end
    tasks_created = tasks_created + 1
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
    -- schedule_wake, inlined: Lua keeps one spare CallInfo per coroutine for calls
    -- nested deeper than its final yield, so a flat sys.wait saves 64 bytes per task.
    -- A running task has no wake-up scheduled, so there is no old entry to drop.
    local s = seq + 1
    if s >= SEQ_RENUMBER_AT then s = next_seq() else seq = s end
    local n = pending_n + 1
    pending_n = n
    pending_due[n], pending_seq[n], pending_items[n] = (millis() + ceil(ms)) & MASK, s, co
    tasks[co] = s
    if n >= pending_sweep_at then sweep_pending() end
    return co_yield()
end

-- Suspends `co` until it is resumed, with a deadline when `ms` is given.
local function suspend(co, ms)
    if ms then schedule_wake(co, (millis() + ceil(ms)) & MASK) end
    return co_yield()
end

--- Cancels a task: it never runs again; its pending wake-up is dropped and its
--- subscriptions go with its next message. A task may cancel itself: it stops at its
--- next wait.
---@param co thread
function sys.taskCancel(co)
    if type(co) ~= "thread" then check.fail("sys.taskCancel", 1, "task", "a task", co) end
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
    check.topic("sys.publish", 1, topic)
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

--- Subscribes `callback` to `topic` (or to each topic of a list). A function is
--- called with the message's arguments; a task is resumed with the topic and the
--- arguments. Subscribing the same callback twice to a topic has no further effect.
---@param topic string|number|(string|number)[]
---@param callback function|thread
function sys.subscribe(topic, callback)
    check.subscriber("sys.subscribe", 2, callback)
    if type(topic) == "table" then
        for _, each in ipairs(topic) do subscribe_one(check.topic("sys.subscribe", 1, each), callback) end
    else
        subscribe_one(check.topic("sys.subscribe", 1, topic), callback)
    end
end

--- Removes a subscription made with sys.subscribe.
---@param topic string|number|(string|number)[]
---@param callback function|thread
function sys.unsubscribe(topic, callback)
    check.subscriber("sys.unsubscribe", 2, callback)
    if type(topic) == "table" then
        for _, each in ipairs(topic) do unsubscribe_one(check.topic("sys.unsubscribe", 1, each), callback) end
    else
        unsubscribe_one(check.topic("sys.unsubscribe", 1, topic), callback)
    end
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
                local ok, trace = xpcall(s, with_traceback, unpack(mq, first, last))
                if not ok then
                    report("subscriber", tostring(topic) .. " -> " .. source_of(s), caught_message, trace)
                end
            else
                local status = co_status(s)
                if status == "suspended" and not cancelled[s] then
                    delivered = delivered + 1
                    if waiting_on[s] == topic then
                        waiting_on[s] = nil
                        list[i], list.holes = false, true
                    end
                    local entry = tasks[s]
                    if entry then
                        tasks[s] = false
                        drop_entry(entry)
                    end
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
    if t ~= "string" and (t ~= "number" or topic ~= topic) then check.topic(fname, 1, topic) end
    if ms ~= nil and (type(ms) ~= "number" or not (ms >= 0 and ms <= MAX_MS)) then
        check.ms(fname, 2, "ms", ms, 0, MAX_MS)
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
-- into waitUntil's result.
local function until_result(co, topic, first, ...)
    end_wait(co, topic)
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
    return until_result(co, topic, wait_for(co, topic, ms))
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
    last_timer_id = last_timer_id + 1
    local t = {
        id = last_timer_id, fn = fn, ms = ms, remaining = remaining, overruns = 0,
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
    count = check.integer("sys.timerAdvStart", 3, "count", count, -1, 2 ^ 31 - 1)
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
    local args, ok, trace = t.args, nil, nil
    if args then
        ok, trace = xpcall(t.fn, with_traceback, unpack(args, 1, args.n))
    else
        ok, trace = xpcall(t.fn, with_traceback)
    end
    if not ok then
        report("timer", "timer " .. t.id .. " -> " .. source_of(t.fn), caught_message, trace)
    end
end

------------------------------------------------------------------------------------
-- The loop
------------------------------------------------------------------------------------

-- Wakes the tasks and fires the timers due at `now`. What they schedule is pending
-- until the next flush, so it runs in a later turn (a task looping on sys.wait(0)
-- cannot starve incoming messages: the rtos queue is polled in between).
local function run_due(now)
    while true do
        local due, s, item = heap.peek()
        if not due or (now - due) & MASK >= HALF then return end -- empty, or due after now
        heap.pop()
        if type(item) == "thread" then
            if tasks[item] == s then
                tasks[item] = false
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

local function handle_incoming(id, ...)
    if id == nil then return (...) end -- timeout: nil; "idle" or "stop": the loop ends
    rtos_messages = rtos_messages + 1
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
    if due then
        timeout = (due - millis()) & MASK
        if timeout >= HALF then timeout = 0 end -- already due
    end
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
        ok, reason = xpcall(turn, with_traceback)
        if ok then
            failures = 0
        else
            -- A failed turn (out of memory, say) is reported and the loop goes on; a loop
            -- that fails turn after turn is broken, and spinning would only hide it.
            failures = failures + 1
            report("runtime", "sys.run", caught_message, reason)
            if failures >= MAX_FAILED_TURNS then
                running = false
                error("sys.run: " .. failures .. " turns of the loop failed in a row; the last error: "
                    .. tostring(caught_message), 2)
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
    wake = function(co) schedule_wake(co, millis()) end,
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

local function live_pending()
    local count = 0
    for i = 1, pending_n do
        if is_live(pending_seq[i], pending_items[i]) then count = count + 1 end
    end
    return count
end

--- The runtime's counters.
---@return table
function sys.stats()
    return {
        tasks_live = live_tasks, tasks_created = tasks_created, tasks_ended = tasks_ended,
        task_errors = task_errors, callback_errors = callback_errors,
        published = published, delivered = delivered, unheard = unheard,
        rtos_messages = rtos_messages,
        timers_active = timer_count, timers_fired = timers_fired, timer_overruns = timer_overruns,
        deadlines_pending = heap.size() - stale + live_pending(),
        mailbox_full = mailbox.counters.full, mailbox_discarded = mailbox.counters.discarded,
        queue = rtos.queue_stats(),
    }
end

return sys
