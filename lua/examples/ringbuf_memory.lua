-- ringbuf example: what a message costs in Lua memory, measured.
--
--   luasys sim lua/examples/ringbuf_memory.lua --virtual-time
--
-- The byte capacity of a ring counts data + ringbuf.OVERHEAD per message; the Lua
-- heap pays more: two array slots per message plus the data string itself. The
-- figures in docs/ringbuf.md come from this script.

local ringbuf = require "ringbuf"

local N = 1000

local function kib() return collectgarbage("count") end

local function settle()
    collectgarbage()
    collectgarbage()
end

for _, len in ipairs { 0, 16, 64 } do
    -- Distinct strings, made before measuring the slots and during it for the total.
    local strings = {}
    for i = 1, N do strings[i] = string.format("%08d", i):rep(9):sub(1, len) end
    local rb = ringbuf.new(N * (len + ringbuf.OVERHEAD))
    settle()
    local before = kib()
    for i = 1, N do rb:put(1, strings[i]) end
    settle()
    local slots = (kib() - before) * 1024 / N
    strings, rb = nil, nil
    settle()
    before = kib()
    rb = ringbuf.new(N * (len + ringbuf.OVERHEAD))
    for i = 1, N do rb:put(1, string.format("%08d", i):rep(9):sub(1, len)) end
    settle()
    local total = (kib() - before) * 1024 / N
    log.info("ringbuf", _VERSION, string.format("%2d-byte data: %5.1f bytes/message (slots %4.1f, string %4.1f)",
        len, total, slots, total - slots))
    rb = nil
    settle()
end
