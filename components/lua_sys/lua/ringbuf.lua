-- ringbuf: a fixed-capacity message ring buffer.
--
-- A message is an id (1..65535) and a string. Capacity is counted in bytes, as a
-- byte ring on the wire would count them: each message costs its data length plus
-- OVERHEAD bytes (2 for the id, 2 for the length). The accounting is exact; the
-- Lua memory actually used per message is larger and documented in docs/ringbuf.md.
--
-- Storage is two parallel arrays (`ids`, `data`) used as a queue over the index
-- range head..tail. Taking a message out of the middle (`pull`) only clears its
-- slot: a lazy deletion. Cleared slots, and the slots below `head` left behind by
-- `get`, are reclaimed in one pass when they outnumber the live messages, which
-- keeps `put` and `get` O(1) amortised and the arrays at most about twice the
-- number of live messages.

local check = require "sys.check"

local OVERHEAD = 4
local ID_MAX = 65535
-- The length field is 2 bytes wide, whatever the capacity.
local DATA_MAX = 65535

local NEW_OPTIONS = { overwrite = true }

local ringbuf = { OVERHEAD = OVERHEAD }

---@class ringbuf.Ring
---@field private _capacity integer   bytes
---@field private _overwrite boolean  evict the oldest messages instead of refusing
---@field private _ids (integer|nil)[] nil marks a free slot
---@field private _data (string|nil)[]
---@field private _head integer        index of the oldest live message (when any)
---@field private _tail integer        index of the newest slot in use
---@field private _live integer        live messages
---@field private _used integer        bytes used by live messages
---@field private _waiters integer     tasks blocked in wait()
---@field private _topic string|nil    wake-up topic, made on the first wait()
---@field private _serial integer      makes the topic unique per buffer
local Ring = {}
Ring.__index = Ring

local rings_made = 0

--- Creates a ring buffer holding at most `capacity` bytes of messages.
---@param capacity integer bytes, >= ringbuf.OVERHEAD
---@param opts? {overwrite?: boolean} overwrite: evict the oldest messages when full
---@return ringbuf.Ring
function ringbuf.new(capacity, opts)
    capacity = check.integer("ringbuf.new", 1, "capacity", capacity, OVERHEAD, nil, 2)
    check.type("ringbuf.new", 2, "opts", opts, "table", true, 2)
    local overwrite = false
    if opts then
        check.fields("ringbuf.new", 2, "opts", opts, NEW_OPTIONS, 2)
        overwrite = check.type("ringbuf.new", 2, "opts.overwrite", opts.overwrite, "boolean", true, 2) or false
    end
    rings_made = rings_made + 1
    return setmetatable({
        _capacity = capacity, _overwrite = overwrite,
        _ids = {}, _data = {}, _head = 1, _tail = 0, _live = 0, _used = 0,
        _waiters = 0, _serial = rings_made,
    }, Ring)
end

-- Moves the live messages down to 1..live, dropping every cleared slot.
local function compact(rb)
    local ids, data = rb._ids, rb._data
    local to = 0
    for from = rb._head, rb._tail do
        local id = ids[from]
        if id then
            to = to + 1
            if to ~= from then
                ids[to], data[to] = id, data[from]
                ids[from], data[from] = nil, nil
            end
        end
    end
    rb._head, rb._tail = 1, to
end

-- Clears slot i, keeps head on a live message, and compacts when the cleared
-- slots (everything in 1..tail that is not live) outnumber the live ones.
local function remove_at(rb, i)
    local ids, data = rb._ids, rb._data
    rb._used = rb._used - #data[i] - OVERHEAD
    rb._live = rb._live - 1
    ids[i], data[i] = nil, nil
    if rb._live == 0 then
        rb._head, rb._tail = 1, 0
        return
    end
    if i == rb._head then
        local head = i + 1
        while not ids[head] do head = head + 1 end
        rb._head = head
    elseif i == rb._tail then
        local tail = i - 1
        while not ids[tail] do tail = tail - 1 end
        rb._tail = tail
    end
    if rb._tail > 2 * rb._live then compact(rb) end
end

--- Appends a message. A full buffer refuses it, or, when created with
--- `overwrite`, evicts as many of the oldest messages as it takes.
---@param id integer 1..65535
---@param data string
---@return boolean ok
---@return integer|string evicted_or_reason messages evicted (ok), or "full"
function Ring:put(id, data)
    id = check.integer("ringbuf.put", 1, "id", id, 1, ID_MAX, 2)
    check.type("ringbuf.put", 2, "data", data, "string", nil, 2)
    local cost = #data + OVERHEAD
    if cost > self._capacity or #data > DATA_MAX then
        check.fail("ringbuf.put", 2, "data", string.format("be at most %d bytes",
            math.min(self._capacity - OVERHEAD, DATA_MAX)), data, 3, #data .. " bytes")
    end
    local evicted = 0
    if self._used + cost > self._capacity then
        if not self._overwrite then return false, "full" end
        repeat
            remove_at(self, self._head)
            evicted = evicted + 1
        until self._used + cost <= self._capacity
    end
    local tail = self._tail + 1
    self._ids[tail], self._data[tail] = id, data
    self._tail = tail
    self._live = self._live + 1
    self._used = self._used + cost
    if self._live == 1 and self._waiters > 0 then
        -- Waiters only block on an empty buffer, so this transition is the one
        -- moment that has to wake them; later puts find them already woken.
        require("sys").publish(self._topic)
    end
    return true, evicted
end

--- Takes the oldest message.
---@return integer|nil id nil when empty
---@return string|nil data
function Ring:get()
    if self._live == 0 then return nil end
    local head = self._head
    local id, data = self._ids[head], self._data[head]
    remove_at(self, head)
    return id, data
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
    id = check.integer("ringbuf.pull", 1, "id", id, 1, ID_MAX, 2)
    local ids = self._ids
    for i = self._head, self._tail do
        if ids[i] == id then
            local data = self._data[i]
            remove_at(self, i)
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

--- Number of messages held.
---@return integer
function Ring:len() return self._live end

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
---@param timeout? integer ms >= 0; nil waits with no limit
---@return integer|nil id nil on timeout
---@return string|nil data
function Ring:wait(timeout)
    if timeout ~= nil then check.integer("ringbuf.wait", 1, "timeout", timeout, 0, nil, 2) end
    if self._live > 0 then return self:get() end
    local sys, millis = require "sys", rtos.millis
    self._topic = self._topic or ("ringbuf#" .. self._serial)
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

return ringbuf
