-- sys's core: the state every part of sys shares (tasks, the deadline heap, the message
-- queue, the hooks) and the loop's hot path, kernel and publish/subscribe together
-- because they share it. It holds what a script of tasks, waits and messages needs,
-- and nothing else: the other parts of sys load on first use (sys.lua) and use this
-- table's fields directly; what the core needs only when something goes wrong or wants
-- upkeep (the argument checks, error reports, the upkeep of the heap and of what a
-- burst left behind) it loads then (core.later).
--
-- One loop runs everything. Each turn it
--   1. delivers every published message, in publish order, to subscribers in
--      subscription order, and what they publish in turn up to a bound (the rest
--      waits for the next turn: tasks that answer each other's messages for ever must
--      not keep the timers and the rtos queue waiting);
--   2. wakes the tasks and fires the timers that were due when the turn began, in
--      deadline order (ties in the order they were scheduled; by priority tier once
--      sys/ready.lua is in use), delivering what each publishes before the next runs;
--   3. blocks in rtos.receive until the next deadline, and publishes what arrives.
-- Sleeping tasks and Lua timers are entries in one deadline heap (sys/heap.lua), not
-- OS timers, so their number is bounded by memory alone.

local rtos = rtos
local heap = require "sys.heap"

local co_status, co_running, co_yield = coroutine.status, coroutine.running, coroutine.yield
local co_close = coroutine.close -- Lua 5.4+
local select, type, xpcall, pcall, require = select, type, xpcall, pcall, require
local unpack = table.unpack
local millis, receive = rtos.millis, rtos.receive
local push, pop = heap.push, heap.pop
local MASK, HALF, MAX_MS, BURST = heap.MASK, heap.HALF, heap.MAX_MS, heap.BURST

---@class sys
local sys = {
    --- Topic of the event published for every error caught in a task or callback.
    ERROR_TOPIC = "SYS_ERROR",
    --- Topic under which `rtos` timer expiries (rtos.MSG_TIMER) are published.
    RTOS_TIMER_TOPIC = "RTOS_TIMER",
}

-- Every live task is a key of `tasks`. Its value is the seq of the deadline entry that
-- will wake it while that entry is in the heap, minus that seq once the entry has
-- moved to a ready queue (sys/ready.lua), and false otherwise: one hash entry per task,
-- which is most of what a parked task costs beyond its coroutine. (Timers keep the same
-- in `t.seq`.) `core.tasks` is this table; it is replaced when it shrinks.
local tasks = {}
local names = {} -- [co] = name, for named tasks only
-- [co] = topic while a task waits in sys.waitUntil*(topic): delivery takes the task out
-- of the list itself, so the common path needs no unsubscribe.
local waiting_on = {}
-- [topic] = its subscribers (see "Publish / subscribe" below)
local subs = {}
-- Tasks cancelled while running (sys/cancel.lua), ended at their next wait.
local cancelled = setmetatable({}, { __mode = "k" })
local handles = {} -- [co] = handle, for tasks started with sys.task or sys.every (sys/tasks.lua)
-- `resume(co, ...)` runs a task's slice: coroutine.resume, until sys/slices.lua puts
-- in its place one that times it. The others are set by the parts that need them:
-- `slice(owner)` is told when a task or callback starts running (sys/watchdog.lua),
-- `trace(kind, name, start_us, duration_us)` is the trace hook, `task(co)` is told of
-- every new task, `receive(id, ...)` of every message rtos.receive returns (a
-- recorder's tap, sys.setReceiveTap).
local hooks = { resume = coroutine.resume }
-- The counters behind sys.stats() (sys/observe.lua).
local count = {
    tasks_live = 0, tasks_created = 0, tasks_ended = 0, task_errors = 0, callback_errors = 0,
    published = 0, delivered = 0, unheard = 0, rtos_messages = 0, executed = 0,
}

local core = {
    sys = sys, heap = heap, hooks = hooks, count = count, tasks = tasks, task_names = names,
    waiting_on = waiting_on, cancelled = cancelled, handles = handles,
    started_ms = millis(), -- the runtime's start on the rtos clock
}

--- Calls function `name` of `module`, loaded then: how the core reaches what it needs
--- only when something goes wrong or wants upkeep. A tail call, so an error raised there
--- blames the same caller as if raised here. The parts of sys test their arguments
--- inline and call sys/check.lua's checkers through this only when a quick test fails
--- (`later("sys.check", kind, ...)`), so a right call never loads the checks.
local function later(module, name, ...)
    return require(module)[name](...)
end
core.later = later


------------------------------------------------------------------------------------
-- Errors: caught, counted, then logged with a traceback and published (sys/report.lua,
-- loaded at the first error); never fatal.
------------------------------------------------------------------------------------

local current -- the task running now; nil while the loop itself runs

-- Every xpcall below sets `calling` to the function it runs and clears
-- `caught_message`: the message handler records the error value there, and
-- sys/report.lua cuts the traceback below `calling`. Lua does not call the message
-- handler for an out-of-memory error, so then the value xpcall returns (Lua's
-- message) is all there is.
local caught_message, calling

local function with_traceback(err)
    caught_message = err
    return later("sys.report", "traceback", err, calling)
end

--- Reports a caught error: counts it, logs it, publishes it on sys.ERROR_TOPIC
--- (sys/report.lua's tell says how `name` and `owner` name what failed). Counting
--- allocates nothing, so every error is counted; telling about it allocates, and after
--- an out-of-memory error that can fail too: then collect what the failed code left
--- and try once more.
---@param kind string "task", "timer", "subscriber", "runtime"
function core.report(kind, name, message, trace, owner)
    local counter = kind == "task" and "task_errors" or "callback_errors"
    count[counter] = count[counter] + 1
    if not pcall(later, "sys.report", "tell", kind, name, message, trace, owner) then
        collectgarbage()
        pcall(later, "sys.report", "tell", kind, name, message, trace, owner)
    end
end
local report = core.report

--- Runs `fn(...)` for `owner` (a timer, a job, a subscriber) as the loop runs a slice:
--- returns true and fn's first result, or false, the error value and the traceback.
function core.call(owner, fn, ...)
    if hooks.slice then hooks.slice(owner) end
    caught_message, calling = nil, fn
    local ok, result = xpcall(fn, with_traceback, ...)
    if hooks.slice then hooks.slice(current) end -- the slice has ended: back to the task, if any
    if ok then return true, result end
    if caught_message == nil then return false, result, result end -- out of memory
    return false, caught_message, result
end
local call = core.call

------------------------------------------------------------------------------------
-- Tasks and their deadlines
------------------------------------------------------------------------------------

-- Deadline entries are (due, seq, item); seq numbers every scheduling, so it orders
-- ties and identifies the entry: an owner (a task in `tasks`, a timer in `t.seq`)
-- keeps the seq of its one live entry, and entries it no longer holds are stale.
-- An entry scheduled during a turn has a seq above `turn_seq`, and a due time no
-- earlier than the turn's start, so it comes out after everything that was due when
-- the turn began: the loop stops there, and it runs in a later turn.
local turn_seq = 0

-- An entry (s, item) is live while its owner holds s: `tasks[item] == s` for a task,
-- `item.seq == s` for a timer (a table, never a key of `tasks`). The test is written
-- out where it runs (twice in the loop below, once in sys/upkeep.lua): it is on the
-- path of every wake-up.

--- The owner of the entry `s` has let go of it (it holds another seq, or none): one in
--- the heap stays there, stale, and the heap is compacted once such entries are the
--- majority.
function core.drop(s)
    if s > 0 then
        local stale = heap.stale + 1
        heap.stale = stale
        if stale > 64 and stale * 2 > heap.n then later("sys.upkeep", "compact") end
    end
end
local drop = core.drop

--- Schedules `item` (a task or a timer) at time `due`: it takes a new seq, and a task's
--- wake-up replaces the one it had.
function core.schedule(item, due)
    local s = heap.seq + 1
    heap.seq = s
    if type(item) == "thread" then
        local old = tasks[item]
        tasks[item] = s
        if old then drop(old) end
    else
        item.seq = s
    end
    push(due, s, item)
end

--- Drops task `co`'s pending wake-up, if it has one (it is being resumed otherwise).
local function cancel_wake(co)
    local s = tasks[co]
    if s then
        tasks[co] = false
        return drop(s)
    end
end
core.cancel_wake = cancel_wake

local tasks_peak = 0 -- most live tasks since `tasks` was last rebuilt

-- Drops a task that has ended (returned, failed, or cancelled) from the books. Its
-- coroutine is left as it is.
local function forget_task(co)
    local s = tasks[co]
    if s == nil then return end
    core.unsubscribe_one(waiting_on[co], co)
    tasks[co], names[co], waiting_on[co], handles[co] = nil, nil, nil, nil
    if s then drop(s) end
    local live = count.tasks_live - 1
    count.tasks_live, count.tasks_ended = live, count.tasks_ended + 1
    -- A table's hash part never shrinks when keys are removed, so after a burst of
    -- tasks the table is rebuilt at its live size (sys/upkeep.lua).
    if tasks_peak > BURST and live < tasks_peak // 4 then
        tasks, tasks_peak = later("sys.upkeep", "copy", tasks), live
        core.tasks = tasks
    end
end

core.forget_task = forget_task

-- A task that has failed and is not closed yet. The first call after a task's
-- out-of-memory error can itself fail for want of memory (to grow the loop's stack for
-- it) while the task still holds what it allocated; sys.run then finishes the task's
-- failure, lower on the stack.
local dying

-- Ends task `co`, which failed with `err`: closes it, tells about it, forgets it.
local function end_failed(co, err)
    -- A task that died of out-of-memory still holds what it allocated on its stack:
    -- it is closed first, which makes that garbage, and collected, so the report can
    -- allocate (its traceback is given up: building one is what would fail). Lua
    -- collects by itself when an allocation fails, but not when it grows a stack, nor
    -- for its libraries' buffers. Any other failure is described from the stack, then
    -- closed.
    local handle, oom = handles[co], err == "not enough memory" -- lstate.h's MEMERRMSG
    if oom and co_close then
        co_close(co)
        collectgarbage()
    end
    dying = nil
    local described, name, trace = pcall(later, "sys.report", "describe", co, err)
    if not described then name, trace = "task", nil end
    if not oom and co_close then co_close(co) end
    forget_task(co)
    if handle then core.handle_failed(handle, err, trace) else report("task", name, err, trace) end
end

-- A waiting task yields `core` (nothing a task returns), so that resume knows it is
-- alive without asking coroutine.status (a C call on the path of every wake-up).

--- Runs task `co` until it waits or ends; errors are reported. Returns what
--- coroutine.resume returned first (a task yields no values): true, or false and the error.
local function resume(co, ...)
    local outer = current
    current = co
    if hooks.slice then hooks.slice(co) end
    local ok, err = hooks.resume(co, ...)
    current = outer
    if hooks.slice then hooks.slice(outer) end -- the slice has ended
    if ok then
        if err ~= core and co_status(co) == "dead" then
            local handle = handles[co]
            forget_task(co)
            if handle then core.handle_returned(handle) end
        elseif cancelled[co] then -- it cancelled itself (sys/cancel.lua, loaded then)
            core.kill_task(co)
        end
        return true
    end
    dying = co
    end_failed(co, err)
    return false, err
end
core.resume = resume

--- The calling task; raises the standard error naming `fname` outside a task.
---@return thread
function core.running_task(fname)
    local co = current
    if co == nil or co ~= co_running() then return later("sys.report", "outside_task", fname) end
    return co
end
local running_task = core.running_task

--- Creates a task for `fn`, not started yet; `name` is a string, or nil for an
--- unnamed task.
---@return thread
function core.new_task(name, fn)
    local co = coroutine.create(fn)
    if hooks.task then hooks.task(co) end
    if hooks.trace then core.traced_fns[co] = fn end
    tasks[co] = false
    names[co] = name
    local live = count.tasks_live + 1
    count.tasks_live, count.tasks_created = live, count.tasks_created + 1
    if live > tasks_peak then tasks_peak = live end
    return co
end
local new_task = core.new_task

--- Creates a task running `fn(...)` and starts it at once: it runs until its first
--- wait before taskInit returns.
---@param fn function
---@return thread task
function sys.taskInit(fn, ...)
    if type(fn) ~= "function" then later("sys.check", "func", "sys.taskInit", 1, "fn", fn) end
    local co = new_task(nil, fn)
    resume(co, ...)
    return co
end

--- Suspends `co` until it is resumed, with a deadline when `ms` is given.
local function suspend(co, ms)
    if ms then
        -- core.schedule, inlined (the path of every wait with a deadline): a running
        -- task has no wake-up scheduled, so there is no old entry to drop.
        local s = heap.seq + 1
        heap.seq = s
        tasks[co] = s
        push((millis() + (-(-ms // 1) | 0)) & MASK, s, co) -- math.ceil(ms), without a C call
    end
    return co_yield(core)
end
core.suspend = suspend

--- Suspends the calling task for at least `ms` milliseconds. Returns nothing when the
--- time is up, or the topic and arguments of a message that woke the task earlier
--- (a task subscribed with sys.subscribe(topic, task)).
---@param ms number
---@return any ...
function sys.wait(ms)
    local co = current
    if co == nil or co ~= co_running() then running_task("sys.wait") end
    if type(ms) ~= "number" or not (ms >= 0 and ms <= MAX_MS) then later("sys.check", "ms", "sys.wait", 1, "ms", ms, 0, MAX_MS) end
    -- A tail call: suspend takes over this frame's CallInfo, and Lua keeps one spare
    -- CallInfo per coroutine for calls nested deeper than its final yield, so a flat
    -- wait saves 64 bytes per parked task.
    return suspend(co, ms)
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
-- The common case takes no list: while a task waiting in sys.waitUntil*(topic) is the
-- topic's only subscriber, subs[topic] is that task itself (so subs[topic] is a task
-- only if waiting_on[task] == topic), and delivery just takes it out. A second
-- subscriber makes a list, the task first. A list that empties is dropped, so topics
-- used once (a request id, say) cost nothing lasting.

--- Publishes a message: every subscriber of `topic` gets it from the loop, in
--- subscription order, after the current task or callback has yielded or returned.
---@param topic string|number
function sys.publish(topic, ...)
    if subs[topic] == nil then -- a topic with subscribers was tested when they subscribed
        local kind = type(topic)
        if kind ~= "string" and (kind ~= "number" or topic ~= topic) then later("sys.check", "topic", "sys.publish", 1, topic) end
    end
    local n = select("#", ...)
    local q, t = mq, mq_tail
    q[t], q[t + 1] = n, topic
    for i = 1, n do q[t + 1 + i] = (select(i, ...)) end
    mq_tail = t + 2 + n
    count.published = count.published + 1
end
local publish = sys.publish

-- Takes the subscriber in slot `i` (when given) out of `topic`'s `list` and closes the
-- gaps, and drops the list once it is empty; while a delivery uses the list, only marks
-- the slot in `list.gone`, and the delivery closes the gaps when it ends.
local function compact_list(topic, list, i)
    local gone = list.gone
    if i then
        if list.busy > 0 then
            gone = gone or {}
            gone[i], list.gone, list.holes = true, gone, true
            return
        end
        list[i] = false
    end
    local kept = 0
    for slot = 1, list.n do
        local s = list[slot]
        if s and not (gone and gone[slot]) then
            kept = kept + 1
            list[kept] = s
        end
    end
    if kept == 0 then
        subs[topic] = nil
        return
    end
    for slot = kept + 1, list.n do list[slot] = nil end
    list.n, list.holes, list.gone = kept, false, nil
end

--- Adds `callback` to `topic`'s subscribers; false if it was subscribed already.
--- `waiting`: `callback` is a task subscribing for one message (sys.waitUntil*).
---@return boolean
function core.subscribe_one(topic, callback, waiting)
    local list = subs[topic]
    if type(list) ~= "table" then -- none yet, or a task waiting alone
        if list == callback then return false end
        if waiting and not list then
            subs[topic] = callback
            return true
        end
        list = { n = list and 1 or 0, busy = 0, holes = false, list }
        subs[topic] = list
    else
        local gone = list.gone
        for i = 1, list.n do
            if list[i] == callback and not (gone and gone[i]) then return false end
        end
    end
    local n = list.n + 1
    list.n, list[n] = n, callback
    return true
end
local subscribe_one = core.subscribe_one

--- Removes `callback` from `topic`'s subscribers.
function core.unsubscribe_one(topic, callback)
    local list = subs[topic]
    if list == callback then -- a task waiting alone
        subs[topic] = nil
    elseif type(list) == "table" then
        local gone = list.gone
        for i = 1, list.n do
            if list[i] == callback and not (gone and gone[i]) then return compact_list(topic, list, i) end
        end
    end
end
local unsubscribe_one = core.unsubscribe_one

-- sys.subscribe or sys.unsubscribe: applies `action` to each topic of `topic` (one, or a
-- list), all checked before any is applied.
local function for_each_topic(fname, action)
    return function(topic, callback)
        local topics = type(topic) == "table" and topic or { topic }
        local kind = type(callback)
        local valid = (kind == "function" or kind == "thread") and topics[1] ~= nil
        for _, each in ipairs(topics) do
            kind = type(each)
            if kind ~= "string" and (kind ~= "number" or each ~= each) then valid = false end
        end
        if not valid then later("sys.check", "subscription", fname, topic, callback) end
        for _, each in ipairs(topics) do action(each, callback) end
    end
end

--- Subscribes `callback` to `topic` (or to each topic of a list). A function is
--- called with the message's arguments; a task is resumed with the topic and the
--- arguments. Subscribing the same callback twice to a topic has no further effect.
---@type fun(topic: string|number|(string|number)[], callback: function|thread)
sys.subscribe = for_each_topic("sys.subscribe", subscribe_one)

--- Removes a subscription made with sys.subscribe.
---@type fun(topic: string|number|(string|number)[], callback: function|thread)
sys.unsubscribe = for_each_topic("sys.unsubscribe", unsubscribe_one)

-- Delivers every published message, in publish order, each to its topic's subscribers
-- in subscription order.
local function dispatch()
    -- A subscriber or task may run a nested loop (sys.safeRun) while its message is
    -- being delivered: the nested dispatch delivers what was published since, and
    -- leaves the queue's indices to the outer one, which still reads its message.
    local outer = core.delivering
    -- What is published meanwhile is delivered up to 256 slots past what was queued (a
    -- message takes two and one per argument): 64 to 128 messages, about as many as a
    -- turn's due work (TURN_BUDGET).
    local chain_end = mq_tail + 256
    while mq_head < mq_tail and mq_head < chain_end do
        local q, h = mq, mq_head
        local n, topic = q[h], q[h + 1]
        local first, last = h + 2, h + 1 + n
        mq_head = last + 1
        if hooks.trace then hooks.trace("message", tostring(topic), rtos.micros(), 0) end
        core.delivering = topic
        local list = subs[topic]
        if waiting_on[list] == topic then
            -- The common case: a task waiting alone in sys.waitUntil*(topic) (so suspended
            -- and not cancelled). It stops waiting, and then runs.
            subs[topic], waiting_on[list] = nil, nil
            count.delivered = count.delivered + 1
            cancel_wake(list)
            if n == 0 then resume(list, topic) else resume(list, topic, unpack(q, first, last)) end
        elseif not list then
            count.unheard = count.unheard + 1
        else
            local busy = list.busy
            list.busy = busy + 1
            -- Subscribers added during delivery start with the next message; functions
            -- removed during it still get this one. A task removed during it does not:
            -- it has stopped waiting for the topic, and resuming it would hand it a
            -- message it no longer waits for.
            for i = 1, list.n do
                local s = list[i]
                if s then
                    if type(s) == "function" then
                        count.delivered = count.delivered + 1
                        local ok, message, trace = call(s, s, unpack(q, first, last))
                        if not ok then report("subscriber", topic, message, trace, s) end
                    else
                        local gone = list.gone
                        local status = not (gone and gone[i]) and co_status(s) -- nil: unsubscribed during this delivery
                        if status == "suspended" and not cancelled[s] then
                            count.delivered = count.delivered + 1
                            if waiting_on[s] == topic then
                                waiting_on[s] = nil
                                list[i], list.holes = false, true
                            end
                            cancel_wake(s)
                            resume(s, topic, unpack(q, first, last))
                        elseif status == "dead" or cancelled[s] then
                            compact_list(topic, list, i)
                        end
                    end
                end
            end
            list.busy = busy -- a nested delivery (sys.safeRun) has put back what it took
            if busy == 0 and list.holes then compact_list(topic, list) end
        end
        for i = h, last do q[i] = nil end
    end
    core.delivering = outer
    if outer ~= nil then return end
    if mq_head == mq_tail then
        if mq_tail > BURST then mq = {} end
        mq_head, mq_tail = 1, 1
    else -- what a chain left: moved to the front, nils over the rest
        table.move(mq, mq_head, mq_tail + mq_head - 2, 1)
        mq_head, mq_tail = 1, mq_tail - mq_head + 1
    end
end

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
    if co == nil or co ~= co_running() then running_task("sys.waitUntil") end
    local kind = type(topic)
    if kind ~= "string" and (kind ~= "number" or topic ~= topic) then later("sys.check", "topic", "sys.waitUntil", 1, topic) end
    if ms ~= nil and (type(ms) ~= "number" or not (ms >= 0 and ms <= MAX_MS)) then
        later("sys.check", "ms", "sys.waitUntil", 2, "ms", ms, 0, MAX_MS)
    end
    if subs[topic] == nil then
        subs[topic], waiting_on[co] = co, topic -- the common case, core.subscribe_one's first
    elseif subscribe_one(topic, co, true) then
        waiting_on[co] = topic
    end
    return until_result(co, topic, suspend(co, ms))
end

------------------------------------------------------------------------------------
-- The loop
------------------------------------------------------------------------------------

--- The next entry that was due when the turn began (at `now`), taken out of the heap:
--- its item, due time and seq, or nothing. Entries due at the same time come out in
--- the order they were scheduled.
---@return any item
---@return integer? due
---@return integer? seq
function core.take_from_heap(now)
    while heap.n > 0 do
        local due, s = heap.dues[1], heap.seqs[1]
        if (now - due) & MASK >= HALF or s > turn_seq then return end -- due later, or scheduled this turn
        local _, _, item = pop()
        if tasks[item] == s or type(item) == "table" and item.seq == s then return item, due, s end -- live
        heap.stale = heap.stale - 1
    end
end
-- How the loop takes due work: straight from the heap, until a task leaves the normal
-- priority tier; then sys/ready.lua puts its tiered queue here.
core.take_due = core.take_from_heap

-- A turn runs the tasks and timers due when it began, at most TURN_BUDGET of them
-- before the loop polls the rtos queue again. What they schedule runs in a later turn:
-- a task looping on sys.wait(0) cannot starve incoming messages.
local TURN_BUDGET = 64

local function handle_incoming(id, ...)
    if id == nil then return (...) end -- timeout: nil; "idle" or "stop": the loop ends
    count.rtos_messages = count.rtos_messages + 1
    if hooks.receive then hooks.receive(id, ...) end
    publish(id == rtos.MSG_TIMER and sys.RTOS_TIMER_TOPIC or id, ...)
end

--- One turn of the loop (LuatOS's sys.safeRun): returns "idle" or "stop" when the loop
--- is to end, else nothing.
function core.turn()
    -- Seqs are renumbered between turns once they pass 2^29, so they stay below 2^30
    -- and compare right (sys/heap.lua).
    if heap.seq >= HALF >> 1 then later("sys.upkeep", "renumber") end
    turn_seq = heap.seq
    local now = millis()
    dispatch()
    local take, budget_spent = core.take_due, true
    for _ = 1, TURN_BUDGET do
        local item, due = take(now)
        if not item then
            budget_spent = false
            break
        end
        count.executed = count.executed + 1
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
    local timeout = 0 -- the turn's budget ran out, or a chain of messages did: work is left
    if not budget_spent and mq_head == mq_tail then
        timeout = rtos.INF_TIMEOUT
        while heap.n > 0 do -- until the earliest live deadline
            local s, item = heap.seqs[1], heap.items[1]
            if tasks[item] == s or type(item) == "table" and item.seq == s then -- live
                timeout = (heap.dues[1] - millis()) & MASK
                if timeout >= HALF then timeout = 0 end -- already due
                break
            end
            pop()
            heap.stale = heap.stale - 1
        end
    end
    if hooks.slice then hooks.slice(nil) end -- blocking is not running
    return handle_incoming(receive(timeout))
end
local turn = core.turn

local running = false
local MAX_FAILED_TURNS = 100

--- Runs the event loop. On a device it never returns; it returns "idle" when the
--- backend can prove nothing more can happen (the simulator) and "stop" when the host
--- stops the runtime.
---@return "idle"|"stop"
function sys.run()
    local _, is_main = co_running()
    if running or not is_main then return later("sys.report", "refuse_run", is_main) end
    running = true
    local failures, ok, reason, trace = 0, nil, nil, nil
    repeat
        ok, reason, trace = call(nil, turn)
        if ok then
            failures = 0
        else
            core.delivering = nil -- the failure ended any delivery in progress
            -- A turn that failed because a task's failure did (see `dying`) is that
            -- task's failure. Any other failed turn (out of memory, say) is reported and
            -- the loop goes on; a loop that fails turn after turn is broken, and spinning
            -- would only hide it.
            if not (dying and pcall(end_failed, dying, reason)) then
                failures = failures + 1
                report("runtime", "sys.run", reason, trace)
                if failures >= MAX_FAILED_TURNS then
                    running = false
                    return later("sys.report", "loop_broken", failures, reason)
                end
            end
            reason = nil
        end
    until reason
    running = false
    return reason
end

return core
