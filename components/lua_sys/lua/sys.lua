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

-- Every live task is a key of `tasks`. Its value is the heap key of the entry that
-- will wake it while it sleeps with a deadline, and false otherwise: one hash entry
-- per task, which is most of what a parked task costs beyond its coroutine.
local tasks = {}
local task_names = {} -- [co] = name, for named tasks only
local cancelled = setmetatable({}, { __mode = "k" })
local live_tasks = 0
local current         -- the task running now; nil while the loop itself runs

-- Heap keys are due * SEQ_SPAN + seq: ordered by due time, then by scheduling order.
-- seq restarts (and the live keys are renumbered, in order) when it reaches SEQ_SPAN,
-- so ties stay in scheduling order forever; due times stay below 2^41 ms (69 years).
local SEQ_SPAN = 1 << 22
local MAX_MS = check.MAX_MS
local heap = deadlines.new()
local heap_push = heap.push
local seq = 0
local stale = 0       -- heap entries nobody will recognise any more
local renumbered = 0  -- how many times renumber() ran

local function is_live(key, item)
    if type(item) == "thread" then return tasks[item] == key end
    return item.key == key
end

local function set_owner_key(item, key)
    if type(item) == "thread" then tasks[item] = key else item.key = key end
end

-- Gives the live entries keys 1, 2, 3... within their due times, in heap order.
local function renumber()
    local due, items = {}, {}
    while heap.size() > 0 do
        local key, item = heap.pop()
        if is_live(key, item) then
            due[#due + 1], items[#items + 1] = key // SEQ_SPAN, item
        end
    end
    for i = 1, #items do
        local key = due[i] * SEQ_SPAN + i
        set_owner_key(items[i], key)
        heap.push(key, items[i])
    end
    seq, stale, renumbered = #items, 0, renumbered + 1
end

local function new_key(due)
    seq = seq + 1
    if seq == SEQ_SPAN then renumber() seq = seq + 1 end
    return due * SEQ_SPAN + seq
end

local function drop_stale_entry()
    stale = stale + 1
    if stale > 64 and stale * 2 > heap.size() then
        heap.compact(is_live)
        stale = 0
    end
end

local function schedule_wake(co, due)
    if tasks[co] then drop_stale_entry() end
    local key = new_key(due)
    heap.push(key, co)
    tasks[co] = key
end

local function cancel_wake(co)
    if tasks[co] then
        tasks[co] = false
        drop_stale_entry()
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
    for co, key in pairs(tasks) do live[co] = key end
    tasks, tasks_peak = live, live_tasks
end

local function describe_failure(co, err)
    return task_label(co), traceback(co, tostring(err))
end

local function end_task(co)
    if tasks[co] == nil then return end
    if tasks[co] then drop_stale_entry() end
    tasks[co], task_names[co] = nil, nil
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
    -- A running task has no pending wake-up, so there is no old entry to drop.
    seq = seq + 1
    if seq == SEQ_SPAN then
        renumber()
        seq = seq + 1
    end
    local key = (millis() + ceil(ms)) * SEQ_SPAN + seq
    heap_push(key, co)
    tasks[co] = key
    return co_yield()
end

-- Suspends `co` until it is resumed, with a deadline when `ms` is given.
local function suspend(co, ms)
    if ms then schedule_wake(co, millis() + ceil(ms)) end
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
local subs = {}
-- Emptied lists are kept for reuse: a task that loops on sys.waitUntil(topic)
-- subscribes and unsubscribes on every wait, and should not allocate a list each time.
local spare_lists, SPARE_LISTS_MAX = {}, 16

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
        subs[topic] = nil
        if #spare_lists < SPARE_LISTS_MAX then spare_lists[#spare_lists + 1] = list end
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

local function subscribe_one(topic, callback)
    local list = subs[topic]
    if not list then
        local spares = #spare_lists
        if spares > 0 then
            list, spare_lists[spares] = spare_lists[spares], nil
        else
            list = { n = 0, busy = 0, holes = false }
        end
        subs[topic] = list
    end
    for i = 1, list.n do
        if list[i] == callback then return end
    end
    list.n = list.n + 1
    list[list.n] = callback
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
    if not list then
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

-- Ends a wait on `topic`: drops the temporary subscription and turns what resumed
-- the task (nothing on timeout; topic, args... for a message) into the result.
local function until_result(co, topic, first, ...)
    unsubscribe_one(topic, co)
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
    subscribe_one(topic, co)
    return until_result(co, topic, suspend(co, ms))
end

local function until_ext_result(co, topic, first, ...)
    unsubscribe_one(topic, co)
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
    subscribe_one(topic, co)
    return until_ext_result(co, topic, suspend(co, ms))
end

local function until_msg_result(co, topic, _, ...)
    unsubscribe_one(topic, co)
    return ...
end

--- Waits, with no time limit, for a message on `topic`; returns its arguments.
---@param topic string|number
---@return any ...
function sys.waitUntilMsg(topic)
    local co = running_task("sys.waitUntilMsg")
    check.topic("sys.waitUntilMsg", 1, topic)
    subscribe_one(topic, co)
    return until_msg_result(co, topic, co_yield())
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
---@field key integer|nil  key of its heap entry; nil once stopped
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
    t.key = nil
    timer_count = timer_count - 1
end

local function stop_timer(t)
    forget_timer(t)
    drop_stale_entry()
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
    t.key = new_key(millis() + ms)
    heap.push(t.key, t)
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
        local next_due = due + ms
        if next_due <= now then
            local missed = (now - due) // ms
            t.overruns = t.overruns + missed
            timer_overruns = timer_overruns + missed
            next_due = due + (missed + 1) * ms
        end
        t.key = new_key(next_due)
        heap.push(t.key, t)
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

-- Wakes the tasks and fires the timers due at `now`. Entries scheduled during this
-- pass (a task doing sys.wait(0), say) wait for the next turn, so the rtos queue is
-- always polled in between and a busy task cannot starve incoming messages.
local function run_due(now)
    local last_key = (now + 1) * SEQ_SPAN -- keys below it are due
    local limit, era = seq, renumbered
    while true do
        local key, item = heap.peek()
        if not key or key >= last_key or key % SEQ_SPAN > limit or renumbered ~= era then return end
        heap.pop()
        if type(item) == "thread" then
            if tasks[item] == key then
                tasks[item] = false
                resume(item)
            else
                stale = stale - 1
            end
        elseif item.key == key then
            fire_timer(item, key // SEQ_SPAN, now)
        else
            stale = stale - 1
        end
        if mq_head < mq_tail then dispatch() end
    end
end

local function next_due()
    while true do
        local key, item = heap.peek()
        if not key then return nil end
        if is_live(key, item) then return key // SEQ_SPAN end
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
        timeout = due - millis()
        if timeout < 0 then timeout = 0 end
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

--- The runtime's counters.
---@return table
function sys.stats()
    return {
        tasks_live = live_tasks, tasks_created = tasks_created, tasks_ended = tasks_ended,
        task_errors = task_errors, callback_errors = callback_errors,
        published = published, delivered = delivered, unheard = unheard,
        rtos_messages = rtos_messages,
        timers_active = timer_count, timers_fired = timers_fired, timer_overruns = timer_overruns,
        deadlines_pending = heap.size() - stale,
        mailbox_full = mailbox.counters.full, mailbox_discarded = mailbox.counters.discarded,
        queue = rtos.queue_stats(),
    }
end

return sys
