-- Task mailboxes, LuatOS's sysplus API: a task started with sys.taskInitEx(fn, name)
-- owns a bounded FIFO of messages that others fill with sys.sendMsg(name, ...) and it
-- reads with sys.waitMsg(name, target, ms).
--
-- Unlike LuatOS, a mailbox is bounded (a full one refuses the message: sendMsg
-- returns false and the refusal is counted), and a message that waitMsg skips while it
-- looks for `target` goes to the task's callback or, with no callback, is counted and
-- logged rather than dropped without a word.

local core = require "sys.core"

local sys, later = require "sys", core.later
local millis = rtos.millis
local type, tostring, error, ceil, math_type = type, tostring, error, math.ceil, math.type
local MAX_MS, INT_MAX = core.heap.MAX_MS, core.heap.INT_MAX

-- Counters read by sys.stats.
local mailbox = { full = 0, discarded = 0 }
local boxes = {}
local default_limit = 64

local function check_name(fname, name)
    local t = type(name)
    if t ~= "string" and (t ~= "number" or name ~= name) then
        later("sys.check", "fail", fname, 1, "name", "be a string or a number", name)
    end
    return name
end

--- Starts `fn(...)` as a task with a mailbox called `name`. `cb(msg)` receives the
--- messages waitMsg skips.
---@param fn function
---@param name string|number
---@param cb? fun(msg: table)
---@return thread task
function sys.taskInitEx(fn, name, cb, ...)
    if type(fn) ~= "function" then later("sys.check", "func", "sys.taskInitEx", 1, "fn", fn) end
    if type(name) ~= "string" and (type(name) ~= "number" or name ~= name) then
        later("sys.check", "fail", "sys.taskInitEx", 2, "name", "be a string or a number", name, 3)
    end
    if cb ~= nil and type(cb) ~= "function" then later("sys.check", "func", "sys.taskInitEx", 3, "cb", cb) end
    -- The mailbox knows its task before the task first runs: the task may sys.taskDel
    -- its own name, or be sent to, before its first wait.
    local box = { head = 1, tail = 1, limit = default_limit, cb = cb }
    boxes[name] = box
    local co = core.new_task(tostring(name), fn)
    box.task = co
    core.resume(co, ...)
    return co
end

--- Puts {p1, p2, p3, p4} into the mailbox `name`. Returns true, or false and the
--- reason ("no such mailbox", "mailbox full").
---@param name string|number
---@return boolean ok
---@return string? reason
function sys.sendMsg(name, p1, p2, p3, p4)
    local box = boxes[check_name("sys.sendMsg", name)]
    if not box then return false, "no such mailbox" end
    if box.tail - box.head >= box.limit then
        mailbox.full = mailbox.full + 1
        return false, "mailbox full"
    end
    box[box.tail] = { p1, p2, p3, p4 }
    box.tail = box.tail + 1
    local waiter = box.waiter
    if waiter then
        box.waiter = nil
        -- A mailbox outlives a task cancelled with sys.taskCancel; a sendMsg to it must
        -- not schedule the dead task (which would resurrect it as a live task that fails).
        if core.tasks[waiter] ~= nil then core.schedule(waiter, millis()) end
    end
    return true
end

--- Waits for a message in mailbox `name` whose first value is `target` (any message
--- when `target` is nil), at most `ms` milliseconds (no limit when `ms` is nil or 0).
--- Returns the message table, or nil on timeout (as LuatOS's sys.waitMsg does).
---@param name string|number
---@param target any
---@param ms? number
---@return table|nil
function sys.waitMsg(name, target, ms)
    local co = core.running_task("sys.waitMsg")
    local box = boxes[check_name("sys.waitMsg", name)]
    if not box then
        error("sys.waitMsg: no mailbox named " .. later("sys.check", "shown", name)
            .. "; start the task with sys.taskInitEx(fn, name, cb)", 2)
    end
    local deadline
    if ms ~= nil and ms ~= 0 then
        if type(ms) ~= "number" or not (ms >= 0 and ms <= MAX_MS) then
            later("sys.check", "ms", "sys.waitMsg", 3, "ms", ms, 0, MAX_MS)
        end
        deadline = sys.ticksAdd(millis(), ceil(ms))
    end
    while true do
        while box.head < box.tail do
            local head = box.head
            local msg = box[head]
            box[head], box.head = nil, head + 1
            if target == nil or msg[1] == target then return msg end
            if box.cb then
                box.cb(msg)
            else
                mailbox.discarded = mailbox.discarded + 1
                require("log").warn("sys", "waitMsg: task " .. tostring(name) .. " discarded message "
                    .. tostring(msg[1]) .. " while waiting for " .. tostring(target)
                    .. " (give sys.taskInitEx a callback to handle such messages)")
            end
        end
        box.head, box.tail = 1, 1
        local remaining
        if deadline then
            remaining = sys.ticksDiff(deadline, millis())
            if remaining <= 0 then return nil end
        end
        box.waiter = co
        core.suspend(co, remaining)
        box.waiter = nil
    end
end

--- Empties the mailbox. Returns false if there is none.
---@param name string|number
---@return boolean
function sys.cleanMsg(name)
    local box = boxes[check_name("sys.cleanMsg", name)]
    if not box then return false end
    for i = box.head, box.tail - 1 do box[i] = nil end
    box.head, box.tail = 1, 1
    return true
end

--- Removes the mailbox and cancels its task (a task deleting
--- itself stops at its next wait). Returns false if there is no such mailbox.
---@param name string|number
---@return boolean
function sys.taskDel(name)
    local box = boxes[check_name("sys.taskDel", name)]
    if not box then return false end
    boxes[name] = nil
    sys.taskCancel(box.task)
    return true
end

--- LuatOS's sys.taskCB: hands `msg` to the callback the mailbox's task was started
--- with (sys.taskInitEx's `cb`); logs an error if there is no such mailbox or callback.
---@param name string|number
---@param msg any
function sys.taskCB(name, msg)
    local box = boxes[check_name("sys.taskCB", name)]
    if box and box.cb then
        box.cb(msg)
        return
    end
    require("log").error("sys", "taskCB: " .. (box and "the task of mailbox " or "no mailbox ")
        .. later("sys.check", "shown", name) .. (box and " has no callback (sys.taskInitEx's cb)" or ""))
end

--- Sets the most messages a mailbox holds; for one
--- mailbox, or, without `name`, the default for mailboxes created later (64).
---@param limit integer
---@param name? string|number
function sys.setMailboxLimit(limit, name)
    if math_type(limit) ~= "integer" or limit < 1 or limit > INT_MAX then
        limit = later("sys.check", "integer", "sys.setMailboxLimit", 1, "limit", limit, 1, INT_MAX)
    end
    if name == nil then
        default_limit = limit
        return
    end
    local box = boxes[name]
    if not box then error("sys.setMailboxLimit: no mailbox named " .. later("sys.check", "shown", name), 2) end
    box.limit = limit
end

return mailbox
