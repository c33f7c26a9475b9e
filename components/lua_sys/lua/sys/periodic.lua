-- Periodic jobs: sys.every(ms, fn, options, ...). The job is one task that calls fn
-- once per tick, so fn may wait, and two runs of it never overlap.
--
-- Policies (asynctimer's):
--   "rate"  (default) drift-free: tick n is due at start + n * interval, whatever the
--           runs cost. A tick that falls while the previous run is still going is
--           skipped and counted as an overrun; ticks are never run in a burst.
--   "delay" each run starts `interval` ms after the previous one finished.
-- Errors follow the job's error policy (sys.task): a non-fatal error is reported and
-- the job goes on at its next tick; any other error under "restart" is reported and the
-- job goes on after the back-off.
-- Cancelling the handle is final: once cancel returns, no further run starts.

local core = require "sys.core"
local labels = require "sys.labels"
local tasks = require "sys.tasks"
local timers = require "sys.timers"

local sys = require "sys"
local type, tostring, pairs = type, tostring, pairs
local millis, yield = rtos.millis, coroutine.yield
local ticks_add, ticks_diff = sys.ticksAdd, sys.ticksDiff

local POLICIES = { rate = true, delay = true }

-- The job's task: sleep until the next tick, run, account, repeat.
local function job_loop(handle, ...)
    local due = ticks_add(millis(), handle.interval)
    while true do
        core.schedule(handle.co, due)
        yield()
        handle.ticks = handle.ticks + 1
        local ok, message, traceback = core.call(handle.job, handle.job, ...)
        local not_before, backed_off = millis(), false
        if ok then
            handle.failures = 0
        else
            -- A non-fatal error goes on at the next tick; any other (under "restart")
            -- waits out the back-off first.
            local verdict, backoff, nonfatal = tasks.apply_error_policy(handle, message, traceback)
            if verdict == "stop" then
                handle.final = "failed"
                return
            end
            if not nonfatal then not_before, backed_off = ticks_add(not_before, backoff), true end
        end
        local interval = handle.interval
        if handle.policy == "delay" then
            due = backed_off and not_before or ticks_add(not_before, interval)
        else
            due = ticks_add(due, interval)
            local late = ticks_diff(not_before, due)
            if late > 0 then -- ticks before then fell during the run or the back-off: skip them
                local missed = (late - 1) // interval + 1
                handle.overruns = handle.overruns + missed
                timers.overruns = timers.overruns + missed
                due = ticks_add(due, missed * interval)
            end
        end
    end
end

--- Runs `fn(...)` every `ms` milliseconds as a task; returns its handle (sys.Task,
--- plus setInterval). Options: those of sys.task, and `policy` ("rate", the
--- default, or "delay").
---@param ms integer
---@param fn function
---@param options? table
---@return sys.Task
function sys.every(ms, fn, options, ...)
    local later, MAX_MS = core.later, core.heap.MAX_MS
    if type(ms) ~= "number" or not (ms >= 1 and ms <= MAX_MS) then later("sys.check", "ms", "sys.every", 1, "ms", ms, 1, MAX_MS) end
    ms = math.ceil(ms)
    if type(fn) ~= "function" then later("sys.check", "func", "sys.every", 2, "fn", fn) end
    options = options or {}
    if type(options) ~= "table" then later("sys.check", "fail", "sys.every", 3, "options", "be a table or nil", options, 3) end
    local task_options = {}
    for key, value in pairs(options) do
        if key ~= "policy" then
            if not tasks.HANDLE_OPTIONS[key] then
                later("sys.check", "fail", "sys.every", 3, "options." .. tostring(key), "be a known option", value, 3)
            end
            task_options[key] = value
        end
    end
    local policy = options.policy or "rate"
    if not POLICIES[policy] then later("sys.check", "fail", "sys.every", 3, "options.policy", 'be "rate" or "delay"', policy, 3) end
    task_options.name = task_options.name or ("every@" .. labels.source_of(fn))
    -- Not a tail call: new_handle's errors count on this frame to blame our caller.
    local handle = tasks.start_job(job_loop, task_options, { interval = ms, policy = policy, job = fn }, ...)
    return handle
end
