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
--
-- The rarer methods (peek, pull, list, clear, wait, bytes_used, capacity), the checks
-- of unusual options and the message of an oversized put are in ringbuf/rarer.lua,
-- loaded the first time one is looked up.

-- Arguments are checked inline. sys.check, with its messages, is loaded only when a
-- quick test fails, and decides: it raises the error, or accepts what the quick test
-- leaves to it (an integral float id, an unusual option table). A right call never
-- loads it.
local math_type = math.type

local OVERHEAD = 4
local ID_MAX = 65535
-- The length field is 2 bytes wide, whatever the capacity.
local DATA_MAX = 65535

local ringbuf = { OVERHEAD = OVERHEAD, ID_MAX = ID_MAX, DATA_MAX = DATA_MAX }

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
local Ring = {}
Ring.__index = Ring

--- Creates a ring buffer holding at most `capacity` bytes of messages.
---@param capacity integer bytes, >= ringbuf.OVERHEAD
---@param opts? {overwrite?: boolean} overwrite: evict the oldest messages when full
---@return ringbuf.Ring
function ringbuf.new(capacity, opts)
    if math_type(capacity) ~= "integer" or capacity < OVERHEAD then
        capacity = require("sys.check").integer("ringbuf.new", 1, "capacity", capacity, OVERHEAD, nil, 2)
    end
    local overwrite = false
    if opts ~= nil then
        -- Quick: {} or {overwrite = <boolean>}.
        local key = type(opts) == "table" and next(opts)
        if key == nil or key == "overwrite" and type(opts.overwrite) == "boolean" and next(opts, key) == nil then
            overwrite = key ~= nil and opts.overwrite
        else
            overwrite = Ring._options(opts)
        end
    end
    return setmetatable({
        _capacity = capacity, _overwrite = overwrite,
        _ids = {}, _data = {}, _head = 1, _tail = 0, _live = 0, _used = 0,
        _waiters = 0,
    }, Ring)
end

-- Clears slot i, keeps head on a live message, and, when the cleared slots
-- (everything in 1..tail that is not live) outnumber the live ones, moves the live
-- messages down to 1..live.
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
    if rb._tail > 2 * rb._live then
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
end
Ring._remove_at = remove_at

--- Appends a message. A full buffer refuses it, or, when created with
--- `overwrite`, evicts as many of the oldest messages as it takes.
---@param id integer 1..65535
---@param data string
---@return boolean ok
---@return integer|string evicted_or_reason messages evicted (ok), or "full"
function Ring:put(id, data)
    if math_type(id) ~= "integer" or id < 1 or id > ID_MAX then
        id = require("sys.check").integer("ringbuf.put", 1, "id", id, 1, ID_MAX, 2)
    end
    if type(data) ~= "string" then require("sys.check").type("ringbuf.put", 2, "data", data, "string", nil, 2) end
    local cost = #data + OVERHEAD
    if cost > self._capacity or #data > DATA_MAX then self:_too_long(data) end
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

--- Number of messages held.
---@return integer
function Ring:len() return self._live end

setmetatable(Ring, {
    __index = function(_, name)
        local fn = require("ringbuf.rarer")[name]
        Ring[name] = fn
        return fn
    end,
})

return ringbuf
