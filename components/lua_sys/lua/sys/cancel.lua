-- sys.taskCancel. Loaded on first use (sys.lua).

local core = require "sys.core"

local sys = require "sys"
local co_status, co_close = coroutine.status, coroutine.close -- close: Lua 5.4+

--- Cancels a task that is not running: forgets it and closes its coroutine, which
--- frees its stack at once.
function core.kill_task(co)
    core.forget_task(co)
    core.cancelled[co] = true
    if co_close then co_close(co) end
end

--- Cancels a task (or a sys.Task handle): it never runs again; its pending wake-up is
--- dropped and its subscriptions go with its next message. A task may cancel itself:
--- it stops at its next wait. Returns false if it had ended already.
---@param co thread|sys.Task
---@return boolean
function sys.taskCancel(co)
    if type(co) ~= "thread" then
        if core.Task and getmetatable(co) == core.Task then return co:cancel() end
        require("sys.check").fail("sys.taskCancel", 1, "task", "be a task", co, 3)
    end
    if core.tasks[co] == nil then return false end
    if co_status(co) == "suspended" then core.kill_task(co) else core.cancelled[co] = true end
    return true
end
