-- sys.waitUntilExt and sys.waitUntilMsg, the rarer variants of sys.waitUntil (which
-- is in the core). Loaded on first use (sys.lua).

local core = require "sys.core"

local sys, later = require "sys", core.later
local type = type
local waiting_on, MAX_MS = core.waiting_on, core.heap.MAX_MS

-- Subscribes a waiting task for one message on `topic` (unless it is subscribed to
-- it for good already) and suspends it, with a deadline when `ms` is given.
local function wait_for(co, topic, ms)
    if core.subscribe_one(topic, co, true) then waiting_on[co] = topic end
    return core.suspend(co, ms)
end

-- A wait that ended some other way than by a message on `topic` (a timeout, say)
-- takes the task out of the list itself.
local function end_wait(co, topic)
    if waiting_on[co] then
        waiting_on[co] = nil
        core.unsubscribe_one(topic, co)
    end
end

local function until_ext_result(co, topic, first, ...)
    end_wait(co, topic)
    if first == nil then return false end
    return first, ...
end

--- Like sys.waitUntil, but returns the topic and arguments, or false on timeout.
---@param topic string|number
---@param ms? number
---@return any topic_or_false
---@return any ...
function sys.waitUntilExt(topic, ms)
    local co = core.running_task("sys.waitUntilExt")
    local kind = type(topic)
    if kind ~= "string" and (kind ~= "number" or topic ~= topic) then later("sys.check", "topic", "sys.waitUntilExt", 1, topic) end
    if ms ~= nil and (type(ms) ~= "number" or not (ms >= 0 and ms <= MAX_MS)) then
        later("sys.check", "ms", "sys.waitUntilExt", 2, "ms", ms, 0, MAX_MS)
    end
    return until_ext_result(co, topic, wait_for(co, topic, ms))
end

local function until_msg_result(co, topic, _, ...)
    end_wait(co, topic)
    return ...
end

--- Waits, with no time limit, for a message on `topic`; returns its arguments.
---@param topic string|number
---@return any ...
function sys.waitUntilMsg(topic)
    local co = core.running_task("sys.waitUntilMsg")
    local kind = type(topic)
    if kind ~= "string" and (kind ~= "number" or topic ~= topic) then later("sys.check", "topic", "sys.waitUntilMsg", 1, topic) end
    return until_msg_result(co, topic, wait_for(co, topic))
end
