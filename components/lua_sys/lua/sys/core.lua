-- sys's core: the state every part of sys shares (tasks, the deadline heap, the message
-- queue, the hooks) and the loop's hot path, kernel and publish/subscribe together
-- because they share it. The other parts of sys (sys/timers.lua, sys/tasks.lua, ...)
-- load on first use (sys.lua) and use this table's fields directly.
--
-- One loop runs everything. Each turn it
--   1. delivers every published message, in publish order, to subscribers in
--      subscription order;
--   2. wakes the tasks and fires the timers that were due when the turn began, in
--      deadline order (ties in the order they were scheduled; by priority tier once
--      sys/ready.lua is in use), delivering what each publishes before the next runs;
--   3. blocks in rtos.receive until the next deadline, and publishes what arrives.
-- Sleeping tasks and Lua timers are entries in one deadline heap (sys/heap.lua), not
-- OS timers, so their number is bounded by memory alone.

local rtos = rtos
local log = require "log"
local check = require "sys.check"
local new_heap = require "sys.heap"

local co_create, co_resume, co_status, co_running, co_yield =
    coroutine.create, coroutine.resume, coroutine.status, coroutine.running, coroutine.yield
local co_close = coroutine.close -- Lua 5.4+
local select, type, tostring, xpcall, error, pairs, ipairs, pcall =
    select, type, tostring, xpcall, error, pairs, ipairs, pcall
local unpack, ceil, math_type = table.unpack, math.ceil, math.type
local traceback, getinfo = debug.traceback, debug.getinfo
local millis, micros, receive = rtos.millis, rtos.micros, rtos.receive
local MSG_TIMER, INF_TIMEOUT = rtos.MSG_TIMER, rtos.INF_TIMEOUT

---@class sys
local sys = {}

--- Topic of the event published for every error caught in a task or callback.
sys.ERROR_TOPIC = "SYS_ERROR"
--- Topic under which `rtos` timer expiries (rtos.MSG_TIMER) are published.
sys.RTOS_TIMER_TOPIC = "RTOS_TIMER"
local ERROR_TOPIC = sys.ERROR_TOPIC

-- Times count modulo 2^31, as rtos.millis() does; see sys/heap.lua.
local MASK, HALF = 0x7FFFFFFF, 0x40000000
-- The one policy for giving a burst's memory back: an array part never shrinks by
-- itself, so a structure whose arrays grew past BURST slots is replaced by a fresh one
-- once it empties. Below that, keeping the arrays saves reallocating them every turn.
local BURST = 256

local core = {
    sys = sys, MASK = MASK, HALF = HALF, BURST = BURST,
    -- Set by sys/watchdog.lua and sys.setTrace: `slice(owner)` is told when a task or
    -- callback starts running, `trace(kind, name, start_us, duration_us)` when it ran,
    -- `task(co)` of every new task, `receive(id, ...)` of every message rtos.receive
    -- returns (a recorder's tap, sys.setReceiveTap).
    hooks = {},
    started_ms = millis(), -- the runtime's start on the rtos clock
    tiered = 0, -- live tasks outside the normal priority tier (sys/tasks.lua)
}
local hooks = core.hooks

-- Counters behind sys.stats(); locals because they sit on hot paths.
local tasks_created, tasks_ended, task_errors, callback_errors = 0, 0, 0, 0
local published, delivered, unheard, rtos_messages = 0, 0, 0, 0
local executed = 0 -- task wake-ups and timer firings the loop ran

------------------------------------------------------------------------------------
-- Errors: caught, logged with a traceback, counted, published; never fatal.
------------------------------------------------------------------------------------

local publish -- defined with the messages below
local delivering_errors = false -- true while ERROR_TOPIC subscribers run

-- Every xpcall below sets `calling` to the function it runs and clears
-- `caught_message`: with_traceback records the error value there, and cuts the
-- traceback below `calling`, whose callers are the loop's own frames, so it shows the
-- user's code only. (Found by identity, not by name: the runtime may be stripped
-- bytecode.) Lua does not call the message handler for an out-of-memory error, so then
-- the value xpcall returns is all there is, and `caught` says so.
local caught_message, calling

-- An error value as text, whatever it is: an error object whose __tostring raises (or
-- returns no string) must not fail the reporting of its own error. A string is returned
-- as it is, allocating nothing: out-of-memory is reported through here, and a pcall
-- (a new CallInfo) or a concatenation could fail again and lose the report.
-- The message of Lua's memory errors (lstate.h's MEMERRMSG).
local OUT_OF_MEMORY = "not enough memory"

local function error_text(err)
    if type(err) == "string" then return err end
    local ok, text = pcall(tostring, err)
    if ok and type(text) == "string" then return text end
    return "(a " .. type(err) .. " error value whose __tostring failed)"
end
core.error_text = error_text

local LEVELS_SHOWN = 21 -- traceback() elides the middle of longer stacks
local function with_traceback(err)
    caught_message = err
    local trace = traceback(error_text(err), 2)
    local level = 2
    repeat
        local info = getinfo(level, "f")
        if not info or level > LEVELS_SHOWN then return trace end
        level = level + 1
    until info.func == calling
    -- The message, "stack traceback:", then the frames of levels 2..level-1.
    local cut = 0
    for _ = 1, level do
        cut = trace:find("\n", cut + 1, true)
        if not cut then return trace end
    end
    return trace:sub(1, cut - 1)
end

-- The error value and the traceback of a failed xpcall that returned `trace`.
local function caught(trace)
    if caught_message == nil then return trace, error_text(trace) end
    return caught_message, trace
end

--- Where function `fn` is defined: "file.lua:12".
function core.source_of(fn)
    local info = getinfo(fn, "S")
    return info.short_src .. ":" .. info.linedefined
end
local source_of = core.source_of

local function log_and_publish(kind, name, message, trace)
    log.error("sys", kind .. " '" .. name .. "' failed: " .. trace)
    -- An error inside an error subscriber is logged and counted but not published
    -- again: that would feed the subscriber its own failure forever.
    if not delivering_errors then
        publish(ERROR_TOPIC, { kind = kind, name = name, message = error_text(message), traceback = trace })
    end
end

--- Reports a caught error: counts it, logs it, publishes it on sys.ERROR_TOPIC.
--- Counting allocates nothing, so every error is counted; telling about it allocates,
--- and after an out-of-memory error that can fail too: then collect what the failed
--- code left and try once more.
---@param kind string "task", "timer", "subscriber", "runtime"
function core.report(kind, name, message, trace)
    if kind == "task" then task_errors = task_errors + 1 else callback_errors = callback_errors + 1 end
    if not pcall(log_and_publish, kind, name, message, trace) then
        collectgarbage()
        pcall(log_and_publish, kind, name, message, trace)
    end
end
local report = core.report

local current -- the task running now; nil while the loop itself runs

--- Runs callback `fn(...)` of `owner` (a timer, a job) as the loop runs a slice:
--- returns true, or false, the error value and the traceback.
function core.call(owner, fn, ...)
    if hooks.slice then hooks.slice(owner) end
    caught_message, calling = nil, fn
    local ok, trace = xpcall(fn, with_traceback, ...)
    if hooks.slice then hooks.slice(current) end -- the slice has ended: back to the task, if any
    if ok then return true end
    return false, caught(trace)
end

------------------------------------------------------------------------------------
-- Tasks and their deadlines
------------------------------------------------------------------------------------

-- Every live task is a key of `tasks`. Its value is the seq of the deadline entry that
-- will wake it while that entry is pending or in the heap, minus that seq once the
-- entry has moved to a ready queue (sys/ready.lua), and false otherwise: one hash entry
-- per task, which is most of what a parked task costs beyond its coroutine. (Timers
-- keep the same in `t.seq`.) `core.tasks` is this table; it is replaced when it shrinks.
local tasks = {}
local task_names = {} -- [co] = name, for named tasks only
local task_tiers = {} -- [co] = ready-queue tier, for tasks not in the normal tier
-- [co] = topic while a task waits in sys.waitUntil*(topic): delivery takes the task out
-- of the list itself, so the common path needs no unsubscribe.
local waiting_on = {}
local cancelled = setmetatable({}, { __mode = "k" })
local handles = {} -- [co] = handle, for tasks started with sys.task or sys.every
core.tasks, core.task_tiers, core.waiting_on, core.handles = tasks, task_tiers, waiting_on, handles
local live_tasks = 0

-- Deadline entries are (due, seq, item); seq numbers every scheduling, so it orders
-- ties and identifies the entry: an owner (a task in `tasks`, a timer in `t.seq`)
-- keeps the seq of its one live entry, and entries it no longer holds are stale.
-- Durations are capped at 2^29 ms and seqs renumbered before they span 2^30, so every
-- comparison is taken within half the circle.
--
-- A deadline scheduled during a turn first waits in the `pending` arrays and enters
-- the heap only when the loop is about to block (flush). So a wait that ends within
-- the turn that started it (a request answered at once, a timer stopped right away)
-- never touches the heap, and nothing scheduled during a turn can run in that turn.
local MAX_MS = check.MAX_MS
local SEQ_RENUMBER_AT = HALF
local heap = new_heap(BURST)
local heap_peek, heap_pop = heap.peek, heap.pop
core.heap = heap
local seq = 0
local seq_base = 0 -- seqs given out before the last renumbering (sys.stats().scheduled)
local flushed_seq = 0 -- entries with a larger seq are still pending
local pending_due, pending_seq, pending_items, pending_n = {}, {}, {}, 0
local stale = 0 -- heap entries nobody will recognise any more

--- True while the entry `s` is the one its owner (a task or a timer) holds.
local function is_live(s, item)
    if type(item) == "thread" then return tasks[item] == s end
    return item.seq == s
end
core.is_live = is_live

local function flush()
    local push = heap.push
    for i = 1, pending_n do
        local s, item = pending_seq[i], pending_items[i]
        if is_live(s, item) then push(pending_due[i], s, item) end
        pending_due[i], pending_seq[i], pending_items[i] = nil, nil, nil
    end
    if pending_n * 3 > BURST then pending_due, pending_seq, pending_items = {}, {}, {} end
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
        local due, s, item = heap_pop()
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

--- A new seq for an entry about to be scheduled.
---@return integer
function core.next_seq()
    seq = seq + 1
    if seq >= SEQ_RENUMBER_AT then
        renumber()
        seq = seq + 1
    end
    return seq
end
local next_seq = core.next_seq

--- Schedules entry `s` for `item` (whose owner holds `s` already) at time `due`.
function core.schedule(due, s, item)
    local n = pending_n + 1
    pending_n = n
    pending_due[n], pending_seq[n], pending_items[n] = due, s, item
    if n >= pending_sweep_at then sweep_pending() end
end
local schedule = core.schedule

--- The owner of the entry `s` no longer wants it. A pending entry is simply not
--- flushed; one already in the heap is counted, and the heap is compacted once such
--- entries are the majority.
function core.drop_entry(s)
    if s > 0 and s <= flushed_seq then
        stale = stale + 1
        if stale > 64 and stale * 2 > heap.size() then
            heap.compact(is_live)
            stale = 0
        end
    end
end
local drop_entry = core.drop_entry

--- Schedules task `co` to wake at `due`, replacing its wake-up if it had one.
function core.schedule_wake(co, due)
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
--- Drops task `co`'s pending wake-up, if it has one (it is being resumed otherwise).
core.cancel_wake = cancel_wake

--- Visits every live deadline entry, in no order: `visit(due, item)`.
function core.each_deadline(visit)
    heap.each(function(due, s, item) if is_live(s, item) then visit(due, item) end end)
    for i = 1, pending_n do
        if is_live(pending_seq[i], pending_items[i]) then visit(pending_due[i], pending_items[i]) end
    end
end

-- Where a task's function was defined, read from the bottom of its (dead) stack.
-- While a trace hook is set, each new task's function (weak keys: gone with the task),
-- so that its label is the same before its first slice and after its last.
local traced_fns = setmetatable({}, { __mode = "k" })

local function task_origin(co)
    local level, info = 0, nil
    while true do
        local frame = getinfo(co, level, "S")
        if not frame then break end
        info, level = frame, level + 1
    end
    if info then return info.short_src .. ":" .. info.linedefined end
    -- No frames: not started yet, or ended. While tracing, new tasks keep their function.
    local fn = traced_fns[co]
    info = fn and getinfo(fn, "S")
    return info and (info.short_src .. ":" .. info.linedefined) or tostring(co)
end

--- What a task is called in reports: its name, or where its function is defined.
function core.task_label(co)
    return task_names[co] or ("task@" .. task_origin(co))
end
local task_label = core.task_label

--- What a task, timer or subscriber is called in reports.
function core.label_of(what)
    local kind = type(what)
    if kind == "thread" then return task_label(what) end
    if kind == "function" then return source_of(what) end
    return "timer " .. what.id .. " -> " .. source_of(what.fn)
end

local tasks_peak = 0 -- most live tasks since `tasks` was last rebuilt

-- A Lua table's hash part never shrinks when keys are removed, so after a burst of
-- tasks the table is rebuilt at its live size (amortised O(1) per task).
local function shrink_task_table()
    local live = {}
    for co, s in pairs(tasks) do live[co] = s end
    tasks, tasks_peak = live, live_tasks
    core.tasks = live
end

local function describe_failure(co, err)
    return task_label(co), traceback(co, error_text(err))
end

-- Drops a task that has ended (returned, failed, or cancelled) from the books. Its
-- coroutine is left as it is.
local function forget_task(co)
    local s = tasks[co]
    if s == nil then return end
    if s then drop_entry(s) end
    if task_tiers[co] then core.tiered = core.tiered - 1 end
    tasks[co], task_names[co], task_tiers[co], waiting_on[co], handles[co] = nil, nil, nil, nil, nil
    live_tasks = live_tasks - 1
    tasks_ended = tasks_ended + 1
    if tasks_peak > BURST and live_tasks < tasks_peak // 4 then shrink_task_table() end
end

-- Cancels a task that is not running: forgets it and closes its coroutine, which
-- frees its stack at once.
local function kill_task(co)
    forget_task(co)
    cancelled[co] = true
    if co_close then co_close(co) end
end

local function resume(co, ...)
    local outer = current
    current = co
    local handle = handles[co]
    local trace = hooks.trace
    local started = (handle or trace) and micros()
    -- The label is taken before the slice: a task that ends in it has no frames left.
    local label = trace and task_label(co)
    if hooks.slice then hooks.slice(co) end
    local ok, err = co_resume(co, ...)
    current = outer
    if hooks.slice then hooks.slice(outer) end -- the slice has ended
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
        if trace then trace("run", label, started, ran) end
    end
    if ok then
        if co_status(co) == "dead" then
            forget_task(co)
            if handle then core.handle_returned(handle) end
        elseif cancelled[co] then
            kill_task(co)
        end
    else
        -- A task that died of out-of-memory still holds what it allocated on its stack:
        -- closing it first frees that, so the report can allocate (its traceback is
        -- given up: building one is what would fail). Any other failure is described
        -- from the stack before it is closed.
        local described, name, trace_text
        if err == OUT_OF_MEMORY and co_close then co_close(co) end
        described, name, trace_text = pcall(describe_failure, co, err)
        if not described then name, trace_text = "task", error_text(err) end
        if co_close then co_close(co) end
        forget_task(co)
        if handle then core.handle_failed(handle, err, trace_text) else report("task", name, err, trace_text) end
    end
    return ok, err
end
--- Runs task `co` until it waits or ends; errors are reported. Returns what
--- coroutine.resume returned first (a task yields no values): true, or false and the error.
core.resume = resume

-- Raises "called outside a task", blaming `level` (error()'s level as seen from here).
local function outside_task(fname, level)
    error(fname .. ": called outside a task; only code running inside sys.taskInit(fn) can wait", level)
end

--- The calling task; raises the standard error naming `fname` outside a task.
---@return thread
function core.running_task(fname)
    local co = current
    if co == nil or co ~= co_running() then outside_task(fname, 4) end
    return co
end
local running_task = core.running_task

--- A live task's state: "running", "ready", "sleeping" or "waiting".
function core.state_of(co)
    local entry = tasks[co]
    if co == current or co_status(co) == "normal" then return "running" end
    if entry == false then return "waiting" end
    return entry > 0 and "sleeping" or "ready"
end

--- Creates a task for `fn`, not started yet; `name` is a string, or nil for an
--- unnamed task.
---@return thread
function core.new_task(name, fn)
    local co = co_create(fn)
    if hooks.task then hooks.task(co) end
    if hooks.trace then traced_fns[co] = fn end
    tasks[co] = false
    task_names[co] = name
    live_tasks = live_tasks + 1
    if live_tasks > tasks_peak then tasks_peak = live_tasks end
    tasks_created = tasks_created + 1
    return co
end
local new_task = core.new_task

--- Creates and starts a task.
---@return thread
function core.start_task(name, fn, ...)
    local co = new_task(name, fn)
    resume(co, ...)
    return co
end
local start_task = core.start_task

--- Creates a task running `fn(...)` and starts it at once: it runs until its first
--- wait before taskInit returns.
---@param fn function
---@return thread task
function sys.taskInit(fn, ...)
    check.func("sys.taskInit", 1, "fn", fn)
    return start_task(nil, fn, ...)
end

--- Suspends `co` until it is resumed, with a deadline when `ms` is given.
local function suspend(co, ms)
    if ms then
        -- core.schedule_wake, inlined (the path of every wait with a deadline): a
        -- running task has no wake-up scheduled, so there is no old entry to drop.
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
core.suspend = suspend

--- Suspends the calling task for at least `ms` milliseconds. Returns nothing when the
--- time is up, or the topic and arguments of a message that woke the task earlier
--- (a task subscribed with sys.subscribe(topic, task)).
---@param ms number
---@return any ...
function sys.wait(ms)
    local co = current
    if co == nil or co ~= co_running() then outside_task("sys.wait", 3) end
    if type(ms) ~= "number" or not (ms >= 0 and ms <= MAX_MS) then
        check.ms("sys.wait", 1, "ms", ms, 0, MAX_MS)
    end
    -- A tail call: suspend takes over this frame's CallInfo, and Lua keeps one spare
    -- CallInfo per coroutine for calls nested deeper than its final yield, so a flat
    -- wait saves 64 bytes per parked task.
    return suspend(co, ms)
end

--- Cancels a task (or a sys.Task handle): it never runs again; its pending wake-up is
--- dropped and its subscriptions go with its next message. A task may cancel itself:
--- it stops at its next wait. Returns false if it had ended already.
---@param co thread|sys.Task
---@return boolean
function sys.taskCancel(co)
    if type(co) ~= "thread" then
        if core.Task and getmetatable(co) == core.Task then return co:cancel() end
        check.fail("sys.taskCancel", 1, "task", "be a task", co, 3)
    end
    if tasks[co] == nil then return false end
    if co_status(co) == "suspended" then kill_task(co) else cancelled[co] = true end
    return true
end

--- The signed difference `a - b`, in ms, between two rtos.millis() values, right also
--- across the clock's wrap at 2^31 (like MicroPython's time.ticks_diff). Valid while
--- the two are less than 2^30 ms (12 days) apart.
---@param a integer
---@param b integer
---@return integer
function sys.ticksDiff(a, b)
    if math_type(a) ~= "integer" or math_type(b) ~= "integer" then
        a = check.integer("sys.ticksDiff", 1, "a", a, -check.INT_MAX - 1, check.INT_MAX)
        b = check.integer("sys.ticksDiff", 2, "b", b, -check.INT_MAX - 1, check.INT_MAX)
    end
    return ((a - b + HALF) & MASK) - HALF
end

--- The rtos.millis() value `ms` milliseconds after `t`, wrapping like the clock.
---@param t integer
---@param ms integer
---@return integer
function sys.ticksAdd(t, ms)
    if math_type(t) ~= "integer" or math_type(ms) ~= "integer" then
        t = check.integer("sys.ticksAdd", 1, "t", t, -check.INT_MAX - 1, check.INT_MAX)
        ms = check.integer("sys.ticksAdd", 2, "ms", ms, -check.INT_MAX - 1, check.INT_MAX)
    end
    return (t + ms) & MASK
end

------------------------------------------------------------------------------------
-- Publish / subscribe
------------------------------------------------------------------------------------

-- Published messages wait in one flat array, [count][topic][arg1..argN] each, read
-- from `mq_head` and written at `mq_tail`: O(1) per message, no table per message.
local mq, mq_head, mq_tail = {}, 1, 1

-- subs[topic] is the list of subscribers in subscription order. A message goes to the
-- list as it was when its delivery began, as in LuatOS (which copies the list first):
-- while a list is being delivered to, unsubscribing a function only marks its slot in
-- `list.gone` (it still gets this message), a task that stops waiting leaves a
-- `false` hole, and the list is compacted when delivery is done.
--
-- An emptied list stays in `subs`: a task looping on sys.waitUntil(topic) empties and
-- refills its list on every wait. Empty lists are swept out once there are more than
-- EMPTY_LISTS_MAX of them, so topics used once (a request id, say) cost nothing lasting.
local subs = {}
local empty_lists, EMPTY_LISTS_MAX = 0, 32

--- Publishes a message: every subscriber of `topic` gets it from the loop, in
--- subscription order, after the current task or callback has yielded or returned.
---@param topic string|number
function sys.publish(topic, ...)
    local kind = type(topic)
    if kind ~= "string" and (kind ~= "number" or topic ~= topic) then check.topic("sys.publish", 1, topic) end
    local n = select("#", ...)
    local t = mq_tail
    mq[t], mq[t + 1] = n, topic
    for i = 1, n do mq[t + 1 + i] = (select(i, ...)) end
    mq_tail = t + 2 + n
    published = published + 1
end
publish = sys.publish

local function compact_list(list)
    local kept, gone = 0, list.gone
    for i = 1, list.n do
        local s = list[i]
        if s and not (gone and gone[i]) then
            kept = kept + 1
            list[kept] = s
        end
    end
    for i = kept + 1, list.n do list[i] = nil end
    list.n, list.holes, list.gone = kept, false, nil
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

local function remove_at(list, i)
    if list.busy > 0 then
        local gone = list.gone or {}
        gone[i], list.gone, list.holes = true, gone, true
    else
        list[i] = false
        compact_list(list)
    end
end

--- Adds `callback` to `topic`'s subscribers; false if it was subscribed already.
---@return boolean
function core.subscribe_one(topic, callback)
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
            local gone = list.gone
            for i = 1, n do
                if list[i] == callback and not (gone and gone[i]) then return false end
            end
        end
    end
    n = n + 1
    list.n = n
    list[n] = callback
    return true
end

local subscribe_one = core.subscribe_one

--- Removes `callback` from `topic`'s subscribers.
function core.unsubscribe_one(topic, callback)
    local list = subs[topic]
    if not list then return end
    local gone = list.gone
    for i = 1, list.n do
        if list[i] == callback and not (gone and gone[i]) then return remove_at(list, i) end
    end
end
local unsubscribe_one = core.unsubscribe_one

-- Checks the arguments of sys.subscribe/unsubscribe and applies `action` to each topic.
local function for_each_topic(fname, topic, callback, action)
    if type(callback) ~= "function" and type(callback) ~= "thread" then
        check.fail(fname, 2, "callback", "be a function or a task", callback)
    end
    local topics = type(topic) == "table" and topic or { topic }
    if topics[1] == nil then
        check.fail(fname, 1, "topic", "be a string, a number or a non-empty list of them", topic)
    end
    for _, each in ipairs(topics) do -- all checked before any is applied
        local kind = type(each)
        if kind ~= "string" and (kind ~= "number" or each ~= each) then
            check.fail(fname, 1, "topic", "be a string or a number", each)
        end
    end
    for _, each in ipairs(topics) do action(each, callback) end
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
    -- Subscribers added during delivery start with the next message; functions removed
    -- during it still get this one. A task removed during it does not: it has stopped
    -- waiting for the topic, and resuming it would hand it a message it no longer waits
    -- for.
    for i = 1, list.n do
        local s = list[i]
        if s then
            if type(s) == "function" then
                delivered = delivered + 1
                if hooks.slice then hooks.slice(s) end
                caught_message, calling = nil, s
                local ok, trace = xpcall(s, with_traceback, unpack(mq, first, last))
                if hooks.slice then hooks.slice(current) end -- the slice has ended
                if not ok then
                    report("subscriber", tostring(topic) .. " -> " .. source_of(s), caught(trace))
                end
            else
                local status = co_status(s)
                local gone = list.gone
                if gone and gone[i] then -- unsubscribed during this delivery
                    status = nil
                end
                if status == "suspended" and not cancelled[s] then
                    delivered = delivered + 1
                    if waiting_on[s] == topic then
                        waiting_on[s] = nil
                        list[i], list.holes = false, true
                    end
                    cancel_wake(s)
                    resume(s, topic, unpack(mq, first, last))
                elseif status == "dead" or cancelled[s] then
                    remove_at(list, i)
                end
            end
        end
    end
    list.busy = list.busy - 1
    if list.busy == 0 and list.holes then compact_list(list) end
end

local function dispatch()
    while mq_head < mq_tail do
        local h = mq_head
        local n, topic = mq[h], mq[h + 1]
        mq_head = h + 2 + n
        if hooks.trace then hooks.trace("message", tostring(topic), micros(), 0) end
        if topic == ERROR_TOPIC then
            delivering_errors = true
            deliver(topic, h + 2, h + 1 + n)
            delivering_errors = false
        else
            deliver(topic, h + 2, h + 1 + n)
        end
        for i = h, h + 1 + n do mq[i] = nil end
    end
    if mq_tail > BURST then mq = {} end
    mq_head, mq_tail = 1, 1
end

-- The arguments of the waitUntil family, checked inline on the common path.
function core.check_wait(fname, topic, ms)
    local t = type(topic)
    if t ~= "string" and (t ~= "number" or topic ~= topic) then
        check.fail(fname, 1, "topic", "be a string or a number", topic)
    end
    if ms ~= nil and (type(ms) ~= "number" or not (ms >= 0 and ms <= MAX_MS)) then
        check.fail(fname, 2, "ms", "be a number >= 0 and <= " .. MAX_MS, ms)
    end
end
local check_wait = core.check_wait

-- Turns what resumed the task (nothing on timeout; topic, args... for a message)
-- into waitUntil's result. A wait that ended some other way than by a message on
-- `topic` (a timeout, say) takes the task out of the list itself; delivery did that
-- for a message.
local function until_result(co, topic, first, ...)
    if waiting_on[co] then
        waiting_on[co] = nil
        unsubscribe_one(topic, co)
    end
    if first == nil then return false end
    return true, ...
end

--- Waits for a message on `topic`, at most `ms` milliseconds (no limit without `ms`).
--- Returns true and the message's arguments, or false on timeout. (The variants
--- waitUntilExt and waitUntilMsg are in sys/waits.lua.)
---@param topic string|number
---@param ms? number
---@return boolean ok
---@return any ...
function sys.waitUntil(topic, ms)
    local co = current
    if co == nil or co ~= co_running() then outside_task("sys.waitUntil", 3) end
    check_wait("sys.waitUntil", topic, ms)
    -- Subscribed for one message, unless subscribed to `topic` for good already.
    if subscribe_one(topic, co) then waiting_on[co] = topic end
    return until_result(co, topic, suspend(co, ms))
end

------------------------------------------------------------------------------------
-- The loop
------------------------------------------------------------------------------------

--- The next entry due at `now`, taken out of the heap: its item and due time, or
--- nothing. Entries due at the same time come out in the order they were scheduled.
---@return any item
---@return integer? due
function core.take_from_heap(now)
    while true do
        local due, s, item = heap_peek()
        if not due or (now - due) & MASK >= HALF then return end -- empty, or due after now
        heap_pop()
        if type(item) == "thread" then
            if tasks[item] == s then return item, due, s end
        elseif item.seq == s then
            return item, due, s
        end
        stale = stale - 1
    end
end
-- How the loop takes due work: straight from the heap, until a task leaves the normal
-- priority tier; then sys/ready.lua puts its tiered queue here.
core.take_due = core.take_from_heap

-- Runs the tasks and timers due at `now`, at most TURN_BUDGET items before the loop
-- polls the rtos queue again; returns true if the budget ran out. What they schedule
-- is pending until the next flush, so it runs in a later turn: a task looping on
-- sys.wait(0) cannot starve incoming messages.
local TURN_BUDGET = 64

local function run_due(now)
    local take = core.take_due
    for _ = 1, TURN_BUDGET do
        local item, due = take(now)
        if not item then return false end
        executed = executed + 1
        if type(item) == "thread" then
            tasks[item] = false
            local handle = handles[item]
            if handle then handle.ready_wait_ms = handle.ready_wait_ms + ((millis() - due) & MASK) end
            resume(item)
        else
            core.fire_timer(item, due, now)
        end
        if mq_head < mq_tail then dispatch() end
    end
    return true
end

-- The due time of the earliest live deadline, or nil.
local function next_due()
    flush()
    while true do
        local due, s, item = heap_peek()
        if not due or is_live(s, item) then return due end
        heap_pop()
        stale = stale - 1
    end
end

local function handle_incoming(id, ...)
    if id == nil then return (...) end -- timeout: nil; "idle" or "stop": the loop ends
    rtos_messages = rtos_messages + 1
    if hooks.receive then hooks.receive(id, ...) end
    if id == MSG_TIMER then
        publish(sys.RTOS_TIMER_TOPIC, ...)
    else
        publish(id, ...)
    end
end

local function turn()
    dispatch()
    local busy = run_due(millis())
    local due = next_due()
    local timeout = INF_TIMEOUT
    if busy then
        timeout = 0 -- the turn's budget ran out: due work may be left
    elseif due then
        timeout = (due - millis()) & MASK
        if timeout >= HALF then timeout = 0 end -- already due
    end
    if hooks.slice then hooks.slice(nil) end -- blocking is not running
    return handle_incoming(receive(timeout))
end

--- One turn of the loop (LuatOS's sys.safeRun): returns "idle" or "stop" when the loop
--- is to end, else nothing.
core.turn = turn

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
        caught_message, calling = nil, turn
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
                    .. error_text(message), 2)
            end
            reason = nil
        end
    until reason
    running = false
    return reason
end

--- The core's counters, for sys.stats().
---@return table
function core.counts()
    local pending = 0
    for i = 1, pending_n do
        if is_live(pending_seq[i], pending_items[i]) then pending = pending + 1 end
    end
    return {
        tasks_live = live_tasks, tasks_created = tasks_created & MASK, tasks_ended = tasks_ended & MASK,
        scheduled = (seq_base + seq) & MASK, executed = executed & MASK,
        task_errors = task_errors & MASK, callback_errors = callback_errors & MASK,
        published = published & MASK, delivered = delivered & MASK, unheard = unheard & MASK,
        rtos_messages = rtos_messages & MASK,
        deadlines_pending = heap.size() - stale + pending,
    }
end

return core
