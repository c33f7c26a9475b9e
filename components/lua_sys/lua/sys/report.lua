-- Error reporting, loaded at the first error. The core counts every error itself,
-- allocating nothing (core.report), and then has this module tell about it: the
-- traceback cut to the user's frames, the log line, the report published on
-- sys.ERROR_TOPIC; and sys.run's own errors (a misplaced call, a loop that fails turn
-- after turn).

local core = require "sys.core"
local labels = require "sys.labels"

local type, tostring, pcall, error = type, tostring, pcall, error
local traceback, getinfo = debug.traceback, debug.getinfo
local sys = core.sys

local report = {}

--- An error value as text, whatever it is: an error object whose __tostring raises (or
--- returns no string) must not fail the reporting of its own error. A string is
--- returned as it is, allocating nothing.
---@return string
function report.error_text(err)
    if type(err) == "string" then return err end
    local ok, text = pcall(tostring, err)
    if ok and type(text) == "string" then return text end
    return "(a " .. type(err) .. " error value whose __tostring failed)"
end
local error_text = report.error_text

local LEVELS_SHOWN = 21 -- traceback() elides the middle of longer stacks

--- The traceback of error `err`, cut below the frame of `calling` (the function
--- core.call runs), whose callers are the loop's own frames, so it shows the user's
--- code only. (Found by identity, not by name: the runtime may be stripped bytecode.)
--- The core's message handler tail-calls this, so level 2 is the frame that raised.
---@return string
function report.traceback(err, calling)
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

--- What failed task `co` is called in its report, and its traceback.
---@return string name
---@return string traceback
function report.describe(co, err)
    return labels.task_label(co), traceback(co, error_text(err))
end

--- Logs a counted error and publishes it on sys.ERROR_TOPIC. `name` names what failed;
--- with `owner` (a subscriber, a timer) it is a topic, or nil, and the owner's label
--- is added. Without a traceback the error's text stands for it.
---@param kind string "task", "timer", "subscriber", "runtime"
function report.tell(kind, name, message, trace, owner)
    if owner then
        local label = labels.label_of(owner)
        name = name == nil and label or tostring(name) .. " -> " .. label
    end
    trace = trace or error_text(message)
    require("log").error("sys", kind .. " '" .. name .. "' failed: " .. trace)
    -- An error inside an error subscriber is logged and counted but not published
    -- again: that would feed the subscriber its own failure forever.
    if core.delivering ~= sys.ERROR_TOPIC then
        sys.publish(sys.ERROR_TOPIC, { kind = kind, name = name, message = error_text(message), traceback = trace })
    end
end

--- The error of a call that only a task can make (core.running_task tail-calls this:
--- level 3 is the caller of the public function `fname`).
function report.outside_task(fname)
    error(fname .. ": called outside a task; only code running inside sys.taskInit(fn) can wait", 3)
end

--- sys.run's error for a call it refuses: from a task, or while the loop runs. (This
--- and loop_broken are tail calls of sys.run's: level 2 is its caller.)
function report.refuse_run(is_main)
    if not is_main then error("sys.run: must be called from the main script, not from a task", 2) end
    error("sys.run: the loop is already running", 2)
end

--- sys.run's error when `failures` turns of the loop failed in a row, the last with `err`:
--- a loop that fails turn after turn is broken, and spinning would only hide it.
function report.loop_broken(failures, err)
    error("sys.run: " .. failures .. " turns of the loop failed in a row; the last error: " .. error_text(err), 2)
end

return report
