-- LuatOS's sys members that its scripts and C-library wrappers use beyond the
-- documented API: sys.safeRun, sys.coresume, sys.check_task and sys.cwaitMt (behind
-- the global sys_cw). Loaded on first use (sys.lua); docs/differences-from-luatos.md
-- says how each maps onto LuaSys.

local core = require "sys.core"

local sys = require "sys"
local type, select, rawget, setmetatable, tostring = type, select, rawget, setmetatable, tostring
local co_resume, co_status = coroutine.resume, coroutine.status
local unpack, pack, traceback = table.unpack, table.pack, debug.traceback

local luatos = {}

--- One turn of the loop, for scripts that run their own: delivers what was published,
--- runs the tasks and timers that are due, waits for the next message or deadline and
--- publishes what arrives. Returns nothing while the loop goes on, and "idle" or
--- "stop" when the backend ends the run (hosts only; a device never stops).
---@return "idle"|"stop"|nil
function sys.safeRun()
    return core.turn()
end

-- A plain coroutine (not a task) resumed through sys.coresume: its error is reported
-- like a task's, and coroutine.resume's results are passed on.
local function report_failure(co, ok, ...)
    if not ok then
        local err = ...
        core.report("task", tostring(co), err, traceback(co, require("sys.report").error_text(err)))
    end
    return ok, ...
end

--- Resumes `co` with `...`. A task's wait ends early and returns `...`, as when a
--- message it subscribed to arrives (sys.wait returns them; sys.waitUntil returns
--- true and them). Errors are reported, never raised. Returns what coroutine.resume
--- returns: true, or false and the error.
---@param co thread
---@return boolean ok
---@return any ...
function sys.coresume(co, ...)
    if type(co) ~= "thread" then core.later("sys.check", "fail", "sys.coresume", 1, "co", "be a task", co, 3) end
    if core.tasks[co] == nil then return report_failure(co, co_resume(co, ...)) end
    if co_status(co) ~= "suspended" then return false, "cannot resume non-suspended coroutine" end
    core.cancel_wake(co)
    local ok, err = core.resume(co, ...)
    if ok then return true end
    return false, err
end

--- The calling task; raises an error naming sys.check_task outside a task.
---@return thread
function sys.check_task()
    return core.running_task("sys.check_task")
end

-- sys_cw(topic, ...) is the result of an asynchronous call: `.wait()` waits (in a
-- task) for a message on `topic` and returns its arguments, `.cb(f)` calls f with them
-- from a new task. With values after `topic` the result is ready: both hand those over
-- at once.
local makers = {}

function makers.wait(topic, ready)
    return function()
        if ready then return unpack(ready, 1, ready.n) end
        return sys.waitUntilMsg(topic)
    end
end

function makers.cb(topic, ready)
    return function(f)
        if type(f) ~= "function" then core.later("sys.check", "func", "sys_cw(topic).cb", 1, "f", f) end
        sys.taskInit(function()
            if ready then return f(unpack(ready, 1, ready.n)) end
            f(sys.waitUntilMsg(topic))
        end)
    end
end

--- The metatable of sys_cw's results (LuatOS exposes it as sys.cwaitMt).
sys.cwaitMt = setmetatable({
    __index = function(result, key)
        local make = makers[key]
        if make then return make(rawget(result, "w"), rawget(result, "r")) end
    end,
}, { __index = makers })

--- sys_cw(topic, ...): see above.
---@param topic string|number
---@return table
function luatos.cw(topic, ...)
    return setmetatable({ w = topic, r = select("#", ...) > 0 and pack(...) or nil }, sys.cwaitMt)
end

return luatos
