-- The soak: hours of virtual time of a busy application with faults injected, then
-- an audit. Run by tests/reliability/test_soak.py on the simulator in virtual time
-- (globals SOAK_MS, the virtual duration, and SOAK_SEED).
--
-- The application: plain tasks that live a while and are replaced (some cancelled,
-- some failing), sys.task handles in all four priority tiers (restart and stop
-- policies, fatal and non-fatal errors), loop timers (stopped and restarted with new
-- periods, some callbacks failing), sys.every jobs of both policies (some runs
-- longer than their interval, some failing), pub/sub (fixed subscribers, one
-- failing; waiters with timeouts; a topic nobody hears), mailboxes with a small
-- limit (so sends are refused), and, from Python, sparse messages plus floods
-- beyond the queue's depth.
--
-- The audit, after everything has ended: every fixed-rate tick on its grid (skipped
-- ticks counted and matched with the runtime's overrun counters), each delay-policy
-- run exactly its interval after the previous one ended, every counter reconciled
-- with sys.stats(), and the Lua heap back to its baseline. It prints one line
-- "SOAK key=value ..." that the Python side checks, and "SOAK-FAIL what" lines for
-- anything that does not add up.

local END = math.tointeger(SOAK_MS)
local rnd = math.random
local millis = rtos.millis
local diff = sys.ticksDiff

local N_PLAIN, N_HANDLES, N_TIMERS, N_JOBS, N_MAILBOXES = 150, 60, 24, 40, 8
local BACKOFF, MAILBOX_LIMIT = 100, 8
local TIERS = { "critical", "connectivity", "normal", "background" }
local BUS_SUBSCRIBERS = 4

-- Every counter exists before the baseline, so counting allocates nothing new.
local C = {}
for _, k in ipairs { "created", "restarts", "cancels", "err_task", "err_cb", "sys_error_seen",
    "fn_calls", "task_wakes", "bus_pub", "bus_calls", "void_pub", "ping_pub", "ping_calls",
    "mb_attempt", "mb_ok", "mb_full", "mb_recv", "flood_recv", "ext_recv", "timer_ticks",
    "timer_skipped", "timer_restarts", "job_runs", "job_skipped", "drift", "delay_errors",
    "fails" } do
    C[k] = 0
end
local function inc(k, n) C[k] = C[k] + (n or 1) end
local failures = {}
local function fail(what)
    C.fails = C.fails + 1
    if #failures < 20 then failures[#failures + 1] = what end
end

-- Faults. Each raise is counted before it happens.
local function task_fault(nonfatal)
    inc("err_task")
    if nonfatal then error(sys.nonfatal("injected non-fatal fault")) end
    error("injected task fault")
end
local function callback_fault()
    inc("err_cb")
    error("injected callback fault")
end

-- Fixed subscriptions, made before the baseline.
sys.subscribe("SYS_ERROR", function() inc("fn_calls") inc("sys_error_seen") end)
for i = 1, BUS_SUBSCRIBERS do
    sys.subscribe("bus", function(n)
        inc("fn_calls") inc("bus_calls")
        if i == BUS_SUBSCRIBERS and n % 101 == 0 then callback_fault() end
    end)
end
sys.subscribe("ping", function() inc("fn_calls") inc("ping_calls") end)
sys.subscribe("flood", function() inc("fn_calls") inc("flood_recv") end)
sys.subscribe("ext", function(n)
    inc("fn_calls") inc("ext_recv")
    if n % 7 == 0 then callback_fault() end
end)

local function publish(kind, topic, ...)
    inc(kind)
    sys.publish(topic, ...)
end

-- Load every part of sys the soak uses (they load on first use) before the baseline, so
-- the heap figures compare the same code.
local _ = sys.timerStart, sys.task, sys.every, sys.taskInitEx, sys.stats, sys.taskCancel, sys.ticksAdd
require "sys.ready" -- what the first task outside the normal tier loads
require "sys.report" -- what the first error loads (and with it the labels and log)
require "sys.upkeep" -- what the heap's first compaction loads
collectgarbage("collect")
collectgarbage("collect")
local heap_before = collectgarbage("count")
local _, mem_used_before = rtos.meminfo()

local S = { plain = {}, plain_live = 0, timers = {}, jobs = {}, handles = {}, mailboxes = {},
    timer_ids = {} }

-- Something for a worker to do, now and then.
local function chore(i)
    local r = rnd(100)
    if r <= 35 then
        publish("bus_pub", "bus", C.bus_pub, i)
    elseif r <= 45 then
        publish("void_pub", "void", i)
    elseif r <= 60 then
        publish("ping_pub", "ping", i)
    elseif r <= 75 then
        local ok = sys.waitUntil("ping", rnd(10, 2000))
        if ok then inc("task_wakes") end
    elseif r <= 90 then
        if diff(millis(), END) < 0 then
            local name = S.mailboxes[rnd(N_MAILBOXES)]
            for n = 1, rnd(1, 6) do
                inc("mb_attempt")
                local ok, why = sys.sendMsg(name, i, n)
                if ok then
                    inc("mb_ok")
                elseif why == "mailbox full" then
                    inc("mb_full")
                else
                    fail("sendMsg refused: " .. tostring(why))
                end
            end
        end
    end
end

local function past_end() return diff(millis(), END) >= 0 end

-- Plain tasks: live a random while, do chores; some fail, some are cancelled.
local spawn_plain
local function plain_body(co_box, i)
    local lifetime = sys.ticksAdd(millis(), rnd(5000, 120000))
    while true do
        sys.wait(rnd(20, 3000))
        if past_end() or diff(millis(), lifetime) >= 0 then break end
        chore(i)
        if rnd(400) == 1 then
            S.plain[co_box[1]] = nil
            S.plain_live = S.plain_live - 1
            task_fault(false)
        end
    end
    S.plain[co_box[1]] = nil
    S.plain_live = S.plain_live - 1
end
local plain_serial = 0
spawn_plain = function(i)
    local box = {}
    inc("created")
    S.plain_live = S.plain_live + 1
    local co = sys.taskInit(plain_body, box, i)
    box[1] = co
    plain_serial = plain_serial + 1
    S.plain[co] = plain_serial
end
for i = 1, N_PLAIN do spawn_plain(i) end

-- Keeps the plain tasks' population up, and cancels one now and then, chosen by the
-- seeded random numbers among the live ones in the order they were made (not by the
-- order of `pairs` over tasks, which changes from run to run: a seed gives one run).
local spawner = sys.timerLoopStart(function()
    while S.plain_live < N_PLAIN and not past_end() do spawn_plain(rnd(1000)) end
end, 500)
local killer = sys.timerLoopStart(function()
    local live = {}
    for each, serial in pairs(S.plain) do live[#live + 1] = { serial, each } end
    table.sort(live, function(a, b) return a[1] < b[1] end)
    local co = #live > 0 and live[rnd(#live)][2]
    if co then
        S.plain[co] = nil
        S.plain_live = S.plain_live - 1
        if not sys.taskCancel(co) then fail("taskCancel of a live task returned false") end
        inc("cancels")
    end
end, 700)

-- Task handles, in every tier.
for i = 1, N_HANDLES do
    local on_error = i % 3 == 0 and "stop" or "restart"
    inc("created")
    S.handles[i] = sys.task(function()
        while true do
            sys.wait(rnd(50, 2500))
            if past_end() then return end
            chore(1000 + i)
            local r = rnd(300)
            if r == 1 then
                if on_error == "restart" then inc("restarts") end
                task_fault(false)
            elseif r == 2 then
                inc("restarts") -- a non-fatal error restarts whatever the policy
                task_fault(true)
            end
        end
    end, { name = "handle" .. i, priority = TIERS[i % 4 + 1], on_error = on_error, backoff = BACKOFF })
end

-- Loop timers: each tick must land on start + n x period.
local timer_cb
local function start_timer(k)
    local rec = S.timers[k] or {}
    S.timers[k] = rec
    rec.period, rec.start, rec.n = rnd(50, 5000), millis(), 0
    rec.id = sys.timerLoopStart(timer_cb, rec.period, k)
end
timer_cb = function(k)
    local rec = S.timers[k]
    local d = diff(millis(), rec.start)
    if d % rec.period ~= 0 then inc("drift") fail("timer " .. k .. " off its grid by " .. d % rec.period) end
    local n = d // rec.period
    if n <= rec.n then fail("timer " .. k .. " ran tick " .. n .. " after " .. rec.n) end
    inc("timer_skipped", n - rec.n - 1)
    rec.n = n
    inc("timer_ticks")
    if rnd(150) == 1 then callback_fault() end
end
for k = 1, N_TIMERS do start_timer(k) end
local restarter = sys.timerLoopStart(function()
    if past_end() then return end
    local k = rnd(N_TIMERS)
    if not sys.timerStop(S.timers[k].id) then fail("timerStop of a live timer returned false") end
    inc("timer_restarts")
    start_timer(k)
end, 30000)

-- Periodic jobs, both policies; some runs longer than the interval, some failing.
for j = 1, N_JOBS do
    local policy = j % 2 == 0 and "rate" or "delay"
    local rec = { interval = rnd(100, 3000), policy = policy, n = 0, ok_last = true }
    S.jobs[j] = rec
    rec.base = millis() -- a rate job's tick n is due at base + n x interval
    rec.next_at = sys.ticksAdd(millis(), rec.interval) -- a delay job's next run
    inc("created")
    rec.handle = sys.every(rec.interval, function()
        local now = millis()
        rec.end_at = nil
        inc("job_runs")
        if policy == "rate" then
            local d = diff(now, rec.base)
            if d % rec.interval ~= 0 then inc("drift") fail("job " .. j .. " off its grid by " .. d % rec.interval) end
            local n = d // rec.interval
            if n <= rec.n and not (n == 0 and rec.n == -1) then fail("job " .. j .. " ran tick " .. n .. " after " .. rec.n) end
            inc("job_skipped", n - rec.n - 1)
            rec.n = n
        elseif diff(now, rec.next_at) ~= 0 then
            inc("drift") fail("delay job " .. j .. " late by " .. diff(now, rec.next_at))
        end
        if rnd(6) == 1 then sys.wait(rnd(1, 3) * rec.interval + rnd(0, rec.interval)) end
        chore(2000 + j)
        -- A non-fatal failure goes on at the next tick; any other waits out the back-off
        -- (a rate job keeps its grid: the ticks within the back-off are skipped and
        -- counted as overruns). Never twice in a row, so the back-off is not doubled.
        if rec.ok_last and rnd(60) == 1 then
            rec.ok_last = false
            local nonfatal = j % 4 < 2
            if policy == "delay" then
                rec.next_at = sys.ticksAdd(millis(), nonfatal and rec.interval or BACKOFF)
                inc("delay_errors")
            end
            -- Where the runtime resumes the grid: the ticks before it are skipped, seen
            -- by the next run or, if the job is cancelled first, by the audit.
            rec.end_at = nonfatal and millis() or sys.ticksAdd(millis(), BACKOFF)
            task_fault(nonfatal)
        end
        rec.ok_last = true
        rec.next_at = sys.ticksAdd(millis(), rec.interval)
        rec.end_at = millis()
    end, { name = "job" .. j, policy = policy, priority = TIERS[j % 4 + 1], on_error = "restart",
        backoff = BACKOFF })
end

-- Mailboxes: consumers that sometimes dawdle, so the small mailboxes fill up.
for m = 1, N_MAILBOXES do
    local name = "mb" .. m
    S.mailboxes[m] = name
    inc("created")
    sys.taskInitEx(function()
        while true do
            local msg = sys.waitMsg(name, nil, 500)
            if msg then
                inc("mb_recv")
                if rnd(10) == 1 then sys.wait(rnd(100, 1500)) end
            elseif diff(millis(), END) > 4000 then
                return
            end
        end
    end, name, function() fail("the mailbox callback got a message waitMsg skipped") end)
    sys.setMailboxLimit(MAILBOX_LIMIT, name)
end

-- The end: stop what repeats; the tasks see the time and return.
sys.timerStart(function()
    sys.timerStop(spawner) sys.timerStop(killer) sys.timerStop(restarter)
    for k = 1, N_TIMERS do sys.timerStop(S.timers[k].id) end
    for j = 1, N_JOBS do S.jobs[j].handle:cancel() end
end, END)
sys.timerStart(function()
    for m = 1, N_MAILBOXES do
        if not sys.taskDel(S.mailboxes[m]) then fail("taskDel " .. S.mailboxes[m]) end
    end
end, END + 10000)

local result = sys.run()

---------------------------------------------------------------------------------
-- The audit
---------------------------------------------------------------------------------

local st = sys.stats()
local q = st.queue
local function expect(what, actual, expected)
    if actual ~= expected then fail(what .. ": " .. tostring(actual) .. " ~= " .. tostring(expected)) end
end
expect("run result", result, "idle")
expect("SYS_ERROR events", C.sys_error_seen, C.err_task + C.err_cb)
expect("task_errors", st.task_errors, C.err_task)
expect("callback_errors", st.callback_errors, C.err_cb)
expect("tasks created", st.tasks_created, C.created + C.restarts)
expect("tasks created == ended + live", st.tasks_created, st.tasks_ended + st.tasks_live)
expect("tasks live at the end", st.tasks_live, 0)
expect("published", st.published,
    C.bus_pub + C.void_pub + C.ping_pub + st.rtos_messages + C.sys_error_seen)
expect("delivered", st.delivered, C.fn_calls + C.task_wakes)
expect("unheard", st.unheard, C.void_pub)
expect("bus deliveries", C.bus_calls, BUS_SUBSCRIBERS * C.bus_pub)
expect("ping deliveries", C.ping_calls, C.ping_pub)
expect("rtos messages", st.rtos_messages, C.flood_recv + C.ext_recv)
expect("queue: posted == received + depth", q.posted, q.received + q.depth)
expect("queue received", q.received, st.rtos_messages)
expect("queue depth", q.depth, 0)
expect("mailbox attempts", C.mb_attempt, C.mb_ok + C.mb_full)
expect("mailbox_full", st.mailbox_full, C.mb_full)
expect("mailbox received", C.mb_recv, C.mb_ok)
expect("mailbox_discarded", st.mailbox_discarded, 0)
local job_overruns = 0
for j = 1, N_JOBS do
    local s = S.jobs[j].handle:stats()
    job_overruns = job_overruns + s.overruns
    -- Ticks skipped by the last run that ended (or failed: then its back-off counts):
    -- seen by no later run if the job was cancelled first.
    local rec = S.jobs[j]
    if rec.policy == "rate" and rec.end_at then
        local late = diff(rec.end_at, rec.base + (rec.n + 1) * rec.interval)
        if late > 0 then inc("job_skipped", (late - 1) // rec.interval + 1) end
    end
    if S.jobs[j].policy == "delay" and s.overruns ~= 0 then fail("delay job " .. j .. " has overruns") end
end
expect("job overruns", job_overruns, C.job_skipped)
expect("timer_overruns", st.timer_overruns, C.job_skipped + C.timer_skipped)
expect("timers active", st.timers_active, 0)
expect("drift", C.drift, 0)

local report = {}
for k, v in pairs(C) do report[#report + 1] = k .. "=" .. v end
for k, v in pairs(q) do report[#report + 1] = "q_" .. k .. "=" .. v end
for _, k in ipairs { "tasks_created", "tasks_ended", "published", "delivered", "unheard", "executed",
    "timers_fired", "timer_overruns", "deadlines_pending", "tasks_live" } do
    report[#report + 1] = k .. "=" .. st[k]
end
report[#report + 1] = "timers=" .. N_TIMERS
report[#report + 1] = "jobs=" .. N_JOBS
report[#report + 1] = "virtual_ms=" .. millis()
table.sort(report)
local line = "SOAK " .. table.concat(report, " ")
local failed = failures

-- The heap: drop everything the run made, collect, compare with the baseline.
S, st, q, report = nil, nil, nil, nil
collectgarbage("collect")
collectgarbage("collect")
local heap_after = collectgarbage("count")
local _, mem_used_after = rtos.meminfo()
print(line .. string.format(" heap_before_kb=%.1f heap_after_kb=%.1f mem_before=%d mem_after=%d",
    heap_before, heap_after, mem_used_before, mem_used_after))
for _, f in ipairs(failed) do print("SOAK-FAIL " .. f) end
