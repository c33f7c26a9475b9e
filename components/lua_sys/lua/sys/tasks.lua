-- Task handles: sys.task(fn, options, ...), their priorities and error policies, and
-- sys.nonfatal. Loaded on first use (sys.lua); sys/periodic.lua builds on it.

local core = require "sys.core"
local labels = require "sys.labels"
require "sys.slices" -- handles' statistics

local sys = require "sys"
local type, tostring, pairs, setmetatable, getmetatable = type, tostring, pairs, setmetatable, getmetatable
local unpack, pack, ceil = table.unpack, table.pack, math.ceil
local MASK, MAX_MS, later = core.heap.MASK, core.heap.MAX_MS, core.later

local tasks = {}

--- Priority tier numbers by name, highest first; the numbers stay internal.
tasks.TIERS = { critical = 1, connectivity = 2, normal = 3, background = 4 }
tasks.NAMES = { "critical", "connectivity", "normal", "background" }
local NORMAL = tasks.TIERS.normal
tasks.NORMAL = NORMAL
local PRIORITY_NAMES = 'be "critical", "connectivity", "normal" or "background"'

local ERROR_POLICIES = { stop = true, restart = true, reboot = true }
--- The options of sys.task (sys.every takes them and `policy`).
tasks.HANDLE_OPTIONS = { name = true, priority = true, on_error = true, backoff = true, backoff_max = true }
local HANDLE_OPTIONS = tasks.HANDLE_OPTIONS

---@class sys.Task
---@field co thread       the task's coroutine (a new one after each restart)
---@field name string
local Task = {}
Task.__index = Task
core.Task = Task

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

-- A handle's task runs in priority tier handle.tier (sys/ready.lua reads it). The first
-- task outside the normal tier brings in the tiered ready queue.
local function use_tier(tier)
    if tier ~= NORMAL then require "sys.ready" end
    return tier
end

-- Starts (or restarts) the handle's function as a new task.
local function start_handle(handle)
    local co = core.new_task(handle.name, handle.fn)
    core.handles[co] = handle
    handle.co, handle.final = co, nil
    core.resume(co, unpack(handle.args, 1, handle.args.n))
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

--- Reports a failure of a handle's task or job and applies its policy. Returns
--- "again" with the back-off in ms when it is to run again, and whether the error was
--- non-fatal (sys.nonfatal: a periodic job then skips the back-off), or "stop".
---@return "again"|"stop"
---@return integer? backoff_ms
---@return boolean? nonfatal
function tasks.apply_error_policy(handle, err, trace)
    handle.errors = handle.errors + 1
    handle.failures = handle.failures + 1
    local nonfatal = getmetatable(err) == NonFatal
    core.report("task", handle.name, nonfatal and err.message or err, trace)
    if nonfatal or handle.on_error == "restart" then return "again", backoff_ms(handle), nonfatal end
    if handle.on_error == "reboot" then rtos.reboot() end
    return "stop"
end

-- The core calls these when a handle's task fails or returns.
function core.handle_failed(handle, err, trace)
    local verdict, backoff = tasks.apply_error_policy(handle, err, trace)
    if verdict == "stop" then
        handle.final = "failed"
        return
    end
    handle.final = "restarting"
    sys.timerStart(restart_after_backoff, backoff, handle)
end

function core.handle_returned(handle)
    handle.final, handle.failures = handle.final or "done", 0
end

-- A handle for `fn` with the options of sys.task, checked; not started yet. Errors
-- blame the line that called the public function `fname`, `depth` calls up.
local function new_handle(fname, n, fn, options, depth)
    local function fail(name, requirement, value)
        later("sys.check", "fail", fname, n, name, requirement, value, 5 + depth)
    end
    options = options or {}
    if type(options) ~= "table" then fail("options", "be a table or nil", options) end
    for key, value in pairs(options) do
        if not HANDLE_OPTIONS[key] then fail("options." .. tostring(key), "be a known option", value) end
    end
    local name = options.name
    if name ~= nil and type(name) ~= "string" then fail("options.name", "be a string", name) end
    local on_error = options.on_error or "stop"
    if not ERROR_POLICIES[on_error] then fail("options.on_error", 'be "stop", "restart" or "reboot"', on_error) end
    local tier = tasks.TIERS[options.priority or "normal"]
    if not tier then fail("options.priority", PRIORITY_NAMES, options.priority) end
    local function ms_option(key, default)
        local value = options[key]
        if value == nil then return default end
        if type(value) ~= "number" or not (value >= 1 and value <= MAX_MS) then
            fail("options." .. key, "be a number >= 1 and <= " .. MAX_MS, value)
        end
        return ceil(value)
    end
    return setmetatable({
        fn = fn, name = name or ("task@" .. labels.source_of(fn)),
        tier = use_tier(tier),
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
    if type(fn) ~= "function" then later("sys.check", "func", "sys.task", 1, "fn", fn) end
    local handle = new_handle("sys.task", 2, fn, options, 0)
    handle.args = pack(...)
    start_handle(handle)
    return handle
end

--- Starts `loop(handle, ...)` as the task of a periodic job (sys/periodic.lua) with the
--- options of sys.task and the job's `fields`; returns its handle. Errors blame the
--- caller of sys.every.
---@return sys.Task
function tasks.start_job(loop, options, fields, ...)
    local handle = new_handle("sys.every", 3, loop, options, 1)
    for key, value in pairs(fields) do handle[key] = value end
    handle.args = pack(handle, ...)
    start_handle(handle)
    return handle
end

--- "running", "ready" (due, waiting for its turn), "sleeping" (until a deadline),
--- "waiting" (for a message), "restarting" (in its back-off), or how it ended:
--- "done", "failed", "cancelled".
---@return string
function Task:state()
    return core.tasks[self.co] == nil and (self.final or "done") or labels.state_of(self.co)
end

--- The task's priority tier name.
---@return string
function Task:priority() return tasks.NAMES[self.tier] end

--- Moves the task to another priority tier; it takes effect at its next wake-up.
---@param priority string
function Task:setPriority(priority)
    local tier = tasks.TIERS[priority]
    if not tier then later("sys.check", "fail", "Task:setPriority", 1, "priority", PRIORITY_NAMES, priority, 3) end
    self.tier = use_tier(tier)
end

--- Cancels the task: it never runs again (a pending restart is dropped too).
---@return boolean cancelled false if it had ended already
function Task:cancel()
    local live = core.tasks[self.co] ~= nil
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
    if type(ms) ~= "number" or not (ms >= 1 and ms <= MAX_MS) then later("sys.check", "ms", "Task:setInterval", 1, "ms", ms, 1, MAX_MS) end
    self.interval = ceil(ms)
end

Task.__tostring = function(t) return "task " .. t.name .. " (" .. t:state() .. ")" end

return tasks
