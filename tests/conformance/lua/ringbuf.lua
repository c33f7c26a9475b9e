-- Conformance cases for ringbuf (components/lua_sys/lua/ringbuf.lua).
local T = require "harness"
local ringbuf = require "ringbuf"

T.case("ringbuf put get peek in order", function()
    local rb = ringbuf.new(64)
    T.eq({ rb:put(1, "one") }, { true, 0 })
    T.eq({ rb:put(2, "two") }, { true, 0 })
    T.eq({ rb:peek() }, { 1, "one" })
    T.eq(rb:len(), 2)
    T.eq({ rb:get() }, { 1, "one" })
    T.eq({ rb:get() }, { 2, "two" })
    T.eq(rb:get(), nil, "get on empty")
    T.eq(rb:peek(), nil, "peek on empty")
    T.eq(rb:len(), 0)
end)

T.case("ringbuf capacity is exact bytes plus overhead", function()
    T.eq(ringbuf.OVERHEAD, 4)
    local rb = ringbuf.new(20)
    T.eq(rb:capacity(), 20)
    T.ok(rb:put(1, "12345678"), "12 bytes")
    T.ok(rb:put(2, "1234"), "8 bytes")
    T.eq(rb:bytes_used(), 20, "exactly full")
    T.eq({ rb:put(3, "") }, { false, "full" }, "even an empty message costs 4 bytes")
    T.eq(rb:list(), { 1, 2 }, "a refused put changes nothing")
    rb:get()
    T.eq(rb:bytes_used(), 8)
    T.ok(rb:put(3, "12345678"), "space freed by get is reusable")
    T.eq(rb:bytes_used(), 20)
end)

T.case("ringbuf overwrite evicts the oldest and reports how many", function()
    local rb = ringbuf.new(24, { overwrite = true })
    rb:put(1, "aaaa") -- 8 bytes each
    rb:put(2, "bbbb")
    rb:put(3, "cccc")
    T.eq({ rb:put(4, "dddd") }, { true, 1 })
    T.eq(rb:list(), { 2, 3, 4 })
    T.eq({ rb:put(5, "0123456789ab") }, { true, 2 }, "16 bytes need two evictions")
    T.eq(rb:list(), { 4, 5 })
    T.eq(rb:bytes_used(), 24)
end)

T.case("ringbuf pull takes the oldest message with an id and keeps the rest", function()
    local rb = ringbuf.new(128)
    rb:put(1, "a1")
    rb:put(2, "b1")
    rb:put(3, "c1")
    rb:put(2, "b2")
    T.eq(rb:pull(2), "b1")
    T.eq(rb:list(), { 1, 3, 2 })
    T.eq(rb:pull(9), nil, "unknown id")
    T.eq(rb:bytes_used(), 3 * (2 + 4), "pulled bytes are freed at once")
    T.eq(rb:pull(1), "a1", "pull at the head")
    T.eq(rb:pull(2), "b2", "pull at the tail")
    T.eq({ rb:peek() }, { 3, "c1" })
    T.eq(rb:len(), 1)
end)

-- Mixed put/get/pull against a plain list model, long enough to cross many
-- compactions with holes at the head, in the middle and at the tail.
T.case("ringbuf lazy deletion and compaction keep order and accounting", function()
    local rb = ringbuf.new(600)
    local model = {}
    local seed = 12345
    local function rand(n) -- an LCG: math.random differs between Lua versions
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed % n + 1
    end
    for step = 1, 5000 do
        local op = rand(10)
        if op <= 5 then
            local id, data = rand(8), string.rep("x", rand(20) - 1)
            local used = 0
            for _, m in ipairs(model) do used = used + #m[2] + 4 end
            local ok, reason = rb:put(id, data)
            if used + #data + 4 <= 600 then
                T.ok(ok, "put fits at step " .. step)
                model[#model + 1] = { id, data }
            else
                T.eq(reason, "full", "step " .. step)
            end
        elseif op <= 7 then
            local id, data = rb:get()
            local m = table.remove(model, 1)
            T.eq({ id, data }, m and { m[1], m[2] } or {}, "get at step " .. step)
        else
            local id = rand(8)
            local expected
            for i, m in ipairs(model) do
                if m[1] == id then expected = table.remove(model, i)[2]; break end
            end
            T.eq(rb:pull(id), expected, "pull at step " .. step)
        end
        local ids, used = {}, 0
        for i, m in ipairs(model) do ids[i], used = m[1], used + #m[2] + 4 end
        T.eq(rb:list(), ids, "list at step " .. step)
        T.eq(rb:bytes_used(), used, "bytes at step " .. step)
    end
end)

T.case("ringbuf clear empties the buffer", function()
    local rb = ringbuf.new(32)
    rb:put(1, "x")
    rb:put(2, "y")
    rb:clear()
    T.eq(rb:len(), 0)
    T.eq(rb:bytes_used(), 0)
    T.eq(rb:list(), {})
    T.ok(rb:put(3, "z"))
    T.eq({ rb:get() }, { 3, "z" })
end)

T.case("ringbuf rejects bad arguments", function()
    T.raises("ringbuf.new: argument #1 'capacity' must be an integer >= 4 (got 3)",
        ringbuf.new, 3)
    T.raises("ringbuf.new: argument #1 'capacity' must be an integer >= 4 (got 10.5)",
        ringbuf.new, 10.5)
    T.raises("ringbuf.new: argument #2 'opts' must be a table or nil (got true)",
        ringbuf.new, 10, true)
    T.raises("ringbuf.new: argument #2 'opts.overwrite' must be a boolean or nil (got 1)",
        ringbuf.new, 10, { overwrite = 1 })
    T.raises("ringbuf.new: argument #2 'opts.overwirte' must not be set: no such field (got true)",
        ringbuf.new, 10, { overwirte = true })
    local rb = ringbuf.new(16)
    T.raises("ringbuf.put: argument #1 'id' must be an integer 1..65535 (got 0)",
        rb.put, rb, 0, "x")
    T.raises("ringbuf.put: argument #1 'id' must be an integer 1..65535 (got 65536)",
        rb.put, rb, 65536, "x")
    T.raises("ringbuf.put: argument #1 'id' must be an integer 1..65535 (got \"1\")",
        rb.put, rb, "1", "x")
    T.raises("ringbuf.put: argument #2 'data' must be a string (got table)",
        rb.put, rb, 1, {})
    T.raises("ringbuf.put: argument #2 'data' must be at most 12 bytes (got 13 bytes)",
        rb.put, rb, 1, string.rep("x", 13))
    T.raises("ringbuf.pull: argument #1 'id' must be an integer 1..65535 (got -1)",
        rb.pull, rb, -1)
    T.raises("ringbuf.wait: argument #1 'timeout' must be an integer 0..536870912 (got -5)",
        rb.wait, rb, -5)
    T.eq({ rb:put(2.0, "") }, { true, 0 }, "an integral float id is accepted")
    T.eq(math.type((rb:get())), "integer", "and stored as an integer")
    T.ok(rb:put(1, string.rep("x", 12)), "exactly the capacity fits")
    -- The error blames the line that called put, not a line inside ringbuf.
    local line = debug.getinfo(1, "l").currentline; local _, err = pcall(function() rb:put(0, "") end)
    T.ok(err:find(":" .. line .. ":", 1, true), "blames the caller: " .. err)
    -- Also from the methods and messages that load on first use (ringbuf/rarer.lua).
    line = debug.getinfo(1, "l").currentline; local _, long = pcall(function() rb:put(1, string.rep("x", 13)) end)
    T.ok(long:find(":" .. line .. ":", 1, true), "blames the caller: " .. long)
end)

T.case("ringbuf puts and gets from ringbuf.lua alone", function()
    local rb = ringbuf.new(64, { overwrite = true })
    T.eq({ rb:put(7, "a") }, { true, 0 })
    T.eq({ rb:get() }, { 7, "a" })
    T.eq(rb:len(), 0)
    T.eq(package.loaded["ringbuf.rarer"], nil, "new, put, get and len load no ringbuf/rarer.lua")
    T.eq(package.loaded["sys.check"], nil, "nor, called rightly, sys/check.lua")
end)

-- The arguments are checked inline, and sys.check decides what the quick tests leave
-- to it: both paths must accept the same.
T.case("ringbuf accepts integral floats and any valid options", function()
    local rb = ringbuf.new(8.0, {})
    T.eq(math.type(rb:capacity()), "integer")
    T.eq({ rb:put(1, "1234"), rb:put(2, "") }, { true, false, "full" })
    rb = ringbuf.new(8, { overwrite = true, [1] = "not an option name" })
    T.eq({ rb:put(1, "1234") }, { true, 0 })
    T.eq({ rb:put(2, "1234") }, { true, 1 }, "overwrite, from the checked path")
    local refusing = ringbuf.new(8, { overwrite = false })
    refusing:put(1, "1234")
    T.eq({ refusing:put(2, "") }, { false, "full" })
    T.eq(rb:pull(2.0), "1234")
    local waited = "not run"
    sys.taskInit(function() waited = rb:wait(0.0) end)
    sys.run()
    T.eq(waited, nil, "an empty ring and a zero timeout")
end)

T.case("ringbuf wait returns a message put later by another task", function()
    local rb = ringbuf.new(64)
    local got = {}
    sys.taskInit(function()
        for _ = 1, 3 do
            local id, data = rb:wait(1000)
            got[#got + 1] = { id, data }
        end
    end)
    sys.timerStart(function() rb:put(7, "late") end, 50)
    sys.timerStart(function()
        rb:put(8, "a")
        rb:put(9, "b")
    end, 100)
    sys.run()
    T.eq(got, { { 7, "late" }, { 8, "a" }, { 9, "b" } })
end)

T.case("ringbuf wait returns at once when data is there and nil on timeout", function()
    local rb = ringbuf.new(64)
    rb:put(1, "ready")
    local results = {}
    sys.taskInit(function()
        results[1] = { rb:wait(100) }
        results[2] = { rb:wait(30) }
        results[3] = { rb:wait(0) }
    end)
    sys.run()
    T.eq(results, { { 1, "ready" }, {}, {} })
end)

-- A timeout is a duration like any other: at most sys's longest (sys.heap.MAX_MS).
-- Past 2^30 ms the deadline was half the clock's circle away and wait returned nil at
-- once; between 2^29 and 2^30 the error named sys.waitUntil.
T.case("ringbuf wait takes timeouts up to sys's longest and names itself outside a task", function()
    local MAX_MS = require("sys.heap").MAX_MS
    local rb = ringbuf.new(64)
    T.raises("ringbuf.wait: called outside a task", rb.wait, rb)
    rb:put(1, "there")
    T.raises("ringbuf.wait: called outside a task", rb.wait, rb, 0)
    rb:clear()
    local got
    sys.taskInit(function()
        T.raises("ringbuf.wait: argument #1 'timeout' must be an integer 0..536870912 (got 1073741824)",
            rb.wait, rb, 1 << 30)
        T.raises("ringbuf.wait: argument #1 'timeout' must be an integer 0..536870912 (got 536870913)",
            rb.wait, rb, MAX_MS + 1)
        got = { rb:wait(MAX_MS) }
    end)
    sys.timerStart(function() rb:put(5, "late") end, 20)
    sys.run()
    T.eq(got, { 5, "late" }, "the longest timeout waits")
end)

T.case("ringbuf wait shares messages between several waiting tasks", function()
    local rb = ringbuf.new(64)
    local got = {}
    for name in ("ABC"):gmatch(".") do
        sys.taskInit(function()
            local id = rb:wait(300)
            got[#got + 1] = name .. ":" .. tostring(id)
        end)
    end
    sys.timerStart(function()
        rb:put(1, "x")
        rb:put(2, "y")
    end, 20)
    sys.run()
    table.sort(got)
    -- Two messages for three tasks: each message goes to exactly one task and
    -- the third task times out.
    local ids = {}
    for _, s in ipairs(got) do ids[#ids + 1] = s:match(":(.*)") end
    table.sort(ids)
    T.eq(ids, { "1", "2", "nil" })
end)
