-- The rarer methods of ringbuf's rings (peek, pull, list, clear, wait, bytes_used,
-- capacity), the checks of unusual options and the error of an oversized put:
-- ringbuf.lua looks them up here the first time a ring needs one. Arguments are checked
-- as in ringbuf.lua: inline, sys.check only when a quick test fails.

local ringbuf = require "ringbuf"

local math_type = math.type
local MAX_MS, running_task = require("sys.heap").MAX_MS, require("sys.core").running_task

local topics_made = 0 -- numbers the wake-up topics, one per ring first waited on

---@class ringbuf.Ring
local Ring = {}

-- ringbuf.new's options when they are not {} or {overwrite = <boolean>}: checked by
-- sys.check, which raises or accepts them. Returns the overwrite flag.
function Ring._options(opts)
    local check, fields = require "sys.check", { overwrite = true }
    check.type("ringbuf.new", 2, "opts", opts, "table", true, 3)
    check.fields("ringbuf.new", 2, "opts", opts, fields, 3)
    return check.type("ringbuf.new", 2, "opts.overwrite", opts.overwrite, "boolean", true, 3) or false
end

-- Raises put's error for `data` that could never fit.
function Ring:_too_long(data)
    require("sys.check").fail("ringbuf.put", 2, "data", string.format("be at most %d bytes",
        math.min(self._capacity - ringbuf.OVERHEAD, ringbuf.DATA_MAX)), data, 4, #data .. " bytes")
end

--- Returns the oldest message without taking it.
---@return integer|nil id nil when empty
---@return string|nil data
function Ring:peek()
    if self._live == 0 then return nil end
    return self._ids[self._head], self._data[self._head]
end

--- Takes the oldest message with this id, leaving the others in place. O(n).
---@param id integer 1..65535
---@return string|nil data nil when no message has this id
function Ring:pull(id)
    if math_type(id) ~= "integer" or id < 1 or id > ringbuf.ID_MAX then
        id = require("sys.check").integer("ringbuf.pull", 1, "id", id, 1, ringbuf.ID_MAX, 2)
    end
    local ids = self._ids
    for i = self._head, self._tail do
        if ids[i] == id then
            local data = self._data[i]
            self:_remove_at(i)
            return data
        end
    end
    return nil
end

--- The ids of the messages, oldest first.
---@return integer[]
function Ring:list()
    local out, ids = {}, self._ids
    for i = self._head, self._tail do
        if ids[i] then out[#out + 1] = ids[i] end
    end
    return out
end

--- Bytes used: the data lengths plus ringbuf.OVERHEAD per message.
---@return integer
function Ring:bytes_used() return self._used end

--- The capacity in bytes given to ringbuf.new.
---@return integer
function Ring:capacity() return self._capacity end

--- Drops every message and releases the arrays that held them.
function Ring:clear()
    self._ids, self._data = {}, {}
    self._head, self._tail, self._live, self._used = 1, 0, 0, 0
end

--- Takes the oldest message, waiting for one if the buffer is empty. Only from a
--- task. Several tasks may wait on one buffer; each message goes to one of them.
---@param timeout? integer ms, 0..sys.heap.MAX_MS (2^29); nil waits with no limit
---@return integer|nil id nil on timeout
---@return string|nil data
function Ring:wait(timeout)
    if timeout ~= nil and (math_type(timeout) ~= "integer" or timeout < 0 or timeout > MAX_MS) then
        timeout = require("sys.check").integer("ringbuf.wait", 1, "timeout", timeout, 0, MAX_MS, 2)
    end
    running_task("ringbuf.wait")
    if self._live > 0 then return self:get() end
    local sys, millis = require "sys", rtos.millis
    if not self._topic then
        topics_made = topics_made + 1
        self._topic = "ringbuf#" .. topics_made
    end
    local deadline = timeout and sys.ticksAdd(millis(), timeout)
    repeat
        local left = deadline and sys.ticksDiff(deadline, millis())
        if left and left <= 0 then return nil end
        self._waiters = self._waiters + 1
        -- pcall: if waitUntil raises (say, called outside a task), the count
        -- must not stay raised. (A task cancelled while it waits does leave it
        -- raised; the cost is a wake-up message nobody hears, now and then.)
        local ok, err = pcall(sys.waitUntil, self._topic, left)
        self._waiters = self._waiters - 1
        if not ok then error(err, 0) end
        -- Another waiter may have taken the message first: then wait again.
    until self._live > 0
    return self:get()
end

return Ring
