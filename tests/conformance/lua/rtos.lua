-- The rtos contract itself (docs/rtos-contract.md), through sys and directly.
local T = require "harness"

T.case("rtos.post delivers through the queue as a sys message", function()
    local got
    sys.subscribe("sensor", function(...) got = table.pack(...) end)
    T.eq(table.pack(rtos.post("sensor", 21, 1.5, true, "ok")), { n = 1, true })
    sys.run()
    T.eq(got, { n = 4, 21, 1.5, true, "ok" })
    T.eq(math.type(got[1]), "integer")
    T.eq(math.type(got[2]), "float")
end)

T.case("binary strings and nils survive the queue", function()
    local got
    sys.subscribe("bin", function(...) got = table.pack(...) end)
    rtos.post("bin", "a\0b\255", nil, "")
    sys.run()
    T.eq(got, { n = 3, "a\0b\255", nil, "" })
end)

T.case("message limits are enforced with clear errors", function()
    T.raises("rtos.post: argument #1 'name' must be a string of 1..15 bytes, no NUL (got \"\")", rtos.post, "")
    T.raises("rtos.post: argument #1 'name' must be a string of 1..15 bytes", rtos.post, string.rep("n", 16))
    T.raises("rtos.post: argument #1 'name' must be a string of 1..15 bytes", rtos.post, 5)
    T.raises("rtos.post: too many arguments (5 > 4)", rtos.post, "x", 1, 2, 3, 4, 5)
    T.raises("rtos.post: string arguments total 33 bytes (> 32)", rtos.post, "x", string.rep("s", 20), string.rep("t", 13))
    T.raises("rtos.post: argument #2", rtos.post, "x", {})
    T.ok(rtos.post(string.rep("n", 15), string.rep("s", 32)), "the limits themselves are allowed")
    sys.run()
end)

T.case("a full queue refuses posts, counts them, and the counters add up", function()
    local capacity = rtos.queue_stats().capacity
    T.eq(capacity, rtos.QUEUE_CAPACITY)
    local delivered = 0
    sys.subscribe("flood", function() delivered = delivered + 1 end)
    local accepted, refused = 0, 0
    for i = 1, capacity + 10 do
        local ok, reason = rtos.post("flood", i)
        if ok then accepted = accepted + 1 else
            refused = refused + 1
            T.eq(reason, "queue full")
        end
    end
    T.eq(accepted, capacity)
    T.eq(refused, 10)
    local s = rtos.queue_stats()
    T.eq(s.dropped, 10)
    T.eq(s.depth, capacity)
    T.eq(s.high_water, capacity)
    sys.run()
    s = rtos.queue_stats()
    T.eq(delivered, capacity)
    T.eq(s.posted, s.received + s.depth)
    T.eq(s.depth, 0)
end)

T.case("rtos timers arrive as RTOS_TIMER messages with the firings left", function()
    local got = {}
    sys.subscribe("RTOS_TIMER", function(id, remaining) got[#got + 1] = id .. ":" .. remaining end)
    T.eq(rtos.timer_start(7, 5, 3), 1)
    T.eq(rtos.timer_start(8, 30), 1)
    sys.run()
    T.eq(got, { "7:2", "7:1", "7:0", "8:0" })
end)

T.case("timer_stop is deterministic", function()
    local got = {}
    sys.subscribe("RTOS_TIMER", function(id) got[#got + 1] = id end)
    rtos.timer_start(1, 5, -1)
    sys.taskInit(function()
        sys.wait(12)
        T.eq(rtos.timer_stop(1), true)
        T.eq(rtos.timer_stop(1), false)
    end)
    sys.run()
    T.ok(#got >= 1 and #got <= 2, "fired " .. #got .. " times before the stop")
end)

T.case("restarting an active timer id replaces it", function()
    local got = 0
    sys.subscribe("RTOS_TIMER", function() got = got + 1 end)
    rtos.timer_start(3, 10)
    rtos.timer_start(3, 20)
    sys.run()
    T.eq(got, 1)
end)

-- LuatOS's sys.lua starts its timers with `if 1 ~= rtos.timer_start(...)`: the result
-- is the number 1 or 0, and a start that cannot be honoured is a 0, never an error.
T.case("rtos timer slots are limited and a start that fails returns 0", function()
    for id = 1, rtos.TIMER_MAX do T.eq(rtos.timer_start(id, 1000000), 1) end
    T.eq(rtos.timer_start(rtos.TIMER_MAX + 1, 10), 0)
    T.eq(rtos.timer_start(1, 1000), 1, "restarting an active id needs no new slot")
    for id = 1, rtos.TIMER_MAX do T.eq(rtos.timer_stop(id), true) end
    T.eq(rtos.timer_stop(rtos.TIMER_MAX + 1), false, "the refused start left no timer")
    sys.run()
end)

T.case("timer_start with ms 0, negative or past 2^31-1 returns 0 and starts nothing", function()
    local fired = 0
    sys.subscribe("RTOS_TIMER", function() fired = fired + 1 end)
    T.eq(rtos.timer_start(1, 0), 0)
    T.eq(rtos.timer_start(2, -5), 0)
    T.eq(rtos.timer_start(3, 0x80000000), 0)
    T.eq(rtos.timer_start(3, 2 ^ 40), 0, "a whole float past a 32-bit Lua's integers too")
    T.eq(rtos.timer_start(3, -2 ^ 40), 0)
    T.raises("rtos.timer_start: argument #2 'ms' must be an integer (got ", rtos.timer_start, 3, math.huge)
    T.eq({ rtos.timer_stop(1), rtos.timer_stop(2), rtos.timer_stop(3) }, { false, false, false })
    sys.run()
    T.eq(fired, 0)
end)

T.case("rtos argument errors name the function and the argument", function()
    T.raises("rtos.timer_start: argument #1 'id' must be an integer 1..2147483647 (got 0)", rtos.timer_start, 0, 10)
    T.raises("rtos.timer_start: argument #2 'ms' must be an integer (got 1.5)", rtos.timer_start, 1, 1.5)
    T.raises("rtos.timer_start: argument #2 'ms' must be an integer (got \"10\")", rtos.timer_start, 1, "10")
    T.raises("rtos.timer_start: argument #3 'repeat' must be an integer >= -1 (got -2)", rtos.timer_start, 1, 5, -2)
    T.raises("rtos.timer_stop: argument #1 'id' must be an integer 1..2147483647", rtos.timer_stop, "x")
    T.raises("rtos.receive: argument #1 'timeout' must be an integer >= 0 or rtos.INF_TIMEOUT (got -2)",
        rtos.receive, -2)
    T.raises("rtos.meminfo: argument #1 'kind' must be \"lua\", \"sys\" or \"psram\" (got \"heap\")",
        rtos.meminfo, "heap")
    -- The whole string is the kind: C once compared up to the first NUL (strcmp).
    for _, kind in ipairs({ "lua\0x", "sys\0", "psram\0\0", "" }) do
        local shown = kind:match("^[^\0]*")
        T.raises("rtos.meminfo: argument #1 'kind' must be \"lua\", \"sys\" or \"psram\" (got \"" .. shown .. "\")",
            rtos.meminfo, kind)
    end
end)

-- The seam, exactly: every backend raises these very texts, as strings. (The simulator
-- once showed Python type names, "(got nil)" for no value, took a timeout of 2^40,
-- did not cut long strings and raised userdata.)
T.case("rtos errors are the same strings on every backend", function()
    local function message(fn, ...)
        local ok, err = pcall(fn, ...)
        T.ok(not ok, "no error")
        T.eq(type(err), "string")
        return err
    end
    local long = string.rep("x", 30)
    local cases = {
        { "rtos.timer_start: argument #1 'id' must be an integer 1..2147483647 (got 0)", rtos.timer_start, 0, 5 },
        { "rtos.timer_start: argument #1 'id' must be an integer 1..2147483647 (got no value)", rtos.timer_start },
        { "rtos.timer_start: argument #2 'ms' must be an integer (got 1.5)", rtos.timer_start, 1, 1.5 },
        { "rtos.timer_start: argument #2 'ms' must be an integer (got table)", rtos.timer_start, 1, {} },
        { "rtos.timer_start: argument #3 'repeat' must be an integer >= -1 (got -2)", rtos.timer_start, 1, 5, -2 },
        { "rtos.timer_stop: argument #1 'id' must be an integer 1..2147483647 (got \"a\")", rtos.timer_stop, "a" },
        { "rtos.timer_stop: argument #1 'id' must be an integer 1..2147483647 (got \"" .. string.rep("x", 24)
            .. "...\")", rtos.timer_stop, long },
        { "rtos.timer_stop: argument #1 'id' must be an integer 1..2147483647 (got function)", rtos.timer_stop, print },
        { "rtos.timer_stop: argument #1 'id' must be an integer 1..2147483647 (got thread)", rtos.timer_stop,
            coroutine.create(print) },
        { "rtos.timer_stop: argument #1 'id' must be an integer 1..2147483647 (got true)", rtos.timer_stop, true },
        { "rtos.receive: argument #1 'timeout' must be an integer >= 0 or rtos.INF_TIMEOUT (got no value)",
            rtos.receive },
        -- 2^31 is a float in the device's 32-bit Lua: shown as its tostring
        { "rtos.receive: argument #1 'timeout' must be an integer >= 0 or rtos.INF_TIMEOUT (got "
            .. tostring(2147483648) .. ")", rtos.receive, 2147483648 },
        { "rtos.post: too many arguments (5 > 4)", rtos.post, "x", 1, 2, 3, 4, 5 },
        { "rtos.post: argument #1 'name' must be a string of 1..15 bytes, no NUL (got \"aaaaaaaaaaaaaaaa\")",
            rtos.post, ("a"):rep(16) },
        { "rtos.post: argument #1 'name' must be a string of 1..15 bytes, no NUL (got \"a\")", rtos.post, "a\0b" },
        { "rtos.post: argument #1 'name' must be a string of 1..15 bytes, no NUL (got no value)", rtos.post },
        { "rtos.post: string arguments total 40 bytes (> 32)", rtos.post, "x", ("a"):rep(20), ("b"):rep(20) },
        { "rtos.post: argument #2 'arg' must be nil, boolean, number or string (got table)", rtos.post, "x", {} },
        { "rtos.post: argument #3 'arg' must be nil, boolean, number or string (got function)", rtos.post, "x", 1,
            print },
        { "rtos.meminfo: argument #1 'kind' must be \"lua\", \"sys\" or \"psram\" (got \"x\")", rtos.meminfo, "x" },
        { "rtos.meminfo: argument #1 'kind' must be \"lua\", \"sys\" or \"psram\" (got 5)", rtos.meminfo, 5 },
        { "rtos.console_reply: argument #1 'tag' must be a string (got no value)", rtos.console_reply },
        { "rtos.console_reply: argument #1 'tag' must be a string (got 5)", rtos.console_reply, 5, true, "x" },
        { "rtos.console_reply: argument #3 'text' must be a string (got no value)", rtos.console_reply, "t1", false },
        { "rtos.console_reply: argument #3 'text' must be a string (got table)", rtos.console_reply, "t1", true,
            {} },
    }
    for _, case in ipairs(cases) do
        T.eq(message(table.unpack(case, 2)), case[1])
    end
    T.eq(message(rtos.receive, nil),
        "rtos.receive: argument #1 'timeout' must be an integer >= 0 or rtos.INF_TIMEOUT (got nil)")
    T.eq(rtos.VERSION, nil, "no rtos.VERSION: rtos.version() says it")
    T.eq(type(rtos.console_read), "function")
    T.eq(type(rtos.console_reply), "function")
    if math.maxinteger > 2147483647 then -- with 32-bit integers (the device's Lua) 2^40 is no integer at all
        T.eq(rtos.timer_start(1, 1 << 40), 0, "a period past 2^31-1 starts nothing")
    end
end)

-- Found by fuzzing (tests/fuzz/corpus/rtos/regress-long-string-in-error): a string
-- argument over 24 bytes made the C binding raise "invalid option '%.' to
-- 'lua_pushfstring'" instead of its own message.
T.case("rtos argument errors show a long string argument", function()
    local long = string.rep("x", 40)
    T.raises("rtos.timer_stop: argument #1 'id' must be an integer 1..2147483647 (got \"" .. string.rep("x", 24),
        rtos.timer_stop, long)
    T.raises("rtos.meminfo: argument #1 'kind' must be \"lua\", \"sys\" or \"psram\" (got \"" .. string.rep("x", 24),
        rtos.meminfo, long)
    local err = T.raises("rtos.post: argument #1 'name' must be a string of 1..15 bytes", rtos.post, long)
    T.ok(err:find("(got \"" .. string.rep("x", 24), 1, true), err)
end)

T.case("receive returns nothing on timeout and the message otherwise", function()
    T.eq(table.pack(rtos.receive(0)), { n = 0 })
    rtos.post("direct", 1)
    T.eq(table.pack(rtos.receive(0)), { n = 2, "direct", 1 })
end)

T.case("clocks are monotonic integers", function()
    local m1, u1 = rtos.millis(), rtos.micros()
    T.eq(math.type(m1), "integer")
    T.eq(math.type(u1), "integer")
    local m2, u2 = rtos.millis(), rtos.micros()
    T.ok(m2 >= m1 and u2 >= u1)
end)

-- On a 32-bit Lua a byte count past 2^31-1 (a PC's memory) comes out as a float.
local function is_count(n) return type(n) == "number" and n >= 0 and n % 1 == 0 end

T.case("meminfo reports the Lua heap, with a total also when it is uncapped", function()
    local total, used, max_used = rtos.meminfo()
    T.ok(is_count(total) and total > 0, "total " .. tostring(total))
    T.ok(math.type(used) == "integer" and used > 0 and max_used >= used and total >= used,
        used .. " " .. max_used .. " " .. total)
    local big = {}
    for i = 1, 20000 do big[i] = i end
    local _, used2, max2 = rtos.meminfo("lua")
    T.ok(used2 > used and max2 >= used2)
    T.ok(#big == 20000)
    T.eq(select("#", rtos.meminfo(nil)), 3)
end)

T.case("meminfo reports the system heap and PSRAM as LuatOS does", function()
    local total, used, max_used = rtos.meminfo("sys")
    T.ok(is_count(total) and total > 0, "sys total " .. tostring(total))
    T.ok(is_count(used) and used <= total and max_used >= used and max_used <= total,
        "sys " .. tostring(used) .. " " .. tostring(max_used))
    local p_total, p_used, p_max = rtos.meminfo("psram")
    T.ok(is_count(p_total) and is_count(p_used) and is_count(p_max) and p_used <= p_total)
    if rtos.bsp() == "PC" then T.eq({ p_total, p_used, p_max }, { 0, 0, 0 }, "no PSRAM on a PC") end
end)

T.case("bsp, buildDate and firmware describe the platform", function()
    local bsp = rtos.bsp()
    T.ok(bsp == "PC" or bsp:match("^ESP32%w*$"), bsp)
    T.ok(rtos.buildDate():match("^%u%l%l [ %d]%d %d%d%d%d$"), rtos.buildDate())
    T.eq(rtos.firmware(), rtos.version() .. "_" .. bsp)
end)

T.case("version(true) adds a type number and the integer width", function()
    local version, number, bits = rtos.version(true)
    T.eq(version, rtos.version())
    T.eq(number, 0)
    T.eq(bits, math.maxinteger == 0x7fffffff and 32 or 64)
    T.eq(select("#", rtos.version()), 1)
    T.eq(select("#", rtos.version(false)), 1)
end)

T.case("nop does nothing and autoCollectMem accepts LuatOS's settings", function()
    T.eq(select("#", rtos.nop()), 0)
    T.eq(select("#", rtos.autoCollectMem()), 0)
    T.eq(select("#", rtos.autoCollectMem(100, 80, 90)), 0)
    T.eq(select("#", rtos.autoCollectMem(0, 50, 95)), 0)
    T.raises("rtos.autoCollectMem: argument #1 'period' must be an integer 0..60000 (got 60001)",
        rtos.autoCollectMem, 60001)
    T.raises("rtos.autoCollectMem: argument #2 'warning_level' must be an integer 50..95 (got 40)",
        rtos.autoCollectMem, 100, 40)
    T.raises("rtos.autoCollectMem: argument #3 'force_level' must be above warning_level (got 90)",
        rtos.autoCollectMem, 100, 95)
end)

T.case("standy is a clear error", function()
    T.raises("rtos.standy: not supported: LuaSys does not put the chip to sleep from Lua (LuatOS "
        .. "deprecates rtos.standy too); use ESP-IDF's sleep functions from C", rtos.standy, 1000)
end)

T.case("setPaths puts LuatOS path templates before the script search path", function()
    local before = package.path
    rtos.setPaths("/sdcard/user/%s.luac", nil, "/lfs2/100%%/%s.lua")
    T.ok(package.path:find("/sdcard/user/?.luac;/lfs2/100%/?.lua;", 1, true), package.path)
    T.ok(package.path:sub(-#before) == before or package.path:find(before:sub(-30), 1, true), package.path)
    rtos.setPaths("/other/%s.lua")
    T.ok(package.path:find("/other/?.lua;", 1, true), package.path)
    T.ok(not package.path:find("/sdcard/", 1, true), "each call replaces the last one's templates")
    rtos.setPaths()
    T.eq(package.path, before)
    T.raises("rtos.setPaths: argument #1 'path' must be a path template with exactly one %s and no ';' or '?' (got \"/sd/main.lua\")",
        rtos.setPaths, "/sd/main.lua")
    T.raises("rtos.setPaths: argument #2 'path'", rtos.setPaths, "/a/%s", "/b/%s/%s")
    T.raises("rtos.setPaths: argument #1 'path'", rtos.setPaths, "/a/%d/%s")
    T.raises("rtos.setPaths: argument #1 'path'", rtos.setPaths, "/a/%s;/b/%s")
    T.raises("rtos.setPaths: argument #1 'path' must be a path template with exactly one %s and no ';' or '?' (got 5)",
        rtos.setPaths, 5)
end)

T.case("a module is found through a setPaths template", function()
    local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
    T.ok(not pcall(require, "luatos_setpaths_probe"), "the probe is not on the default path")
    rtos.setPaths(here .. "/setpaths/%s.lua")
    T.eq(require "luatos_setpaths_probe", "found it")
end)

T.case("version and constants", function()
    T.ok(rtos.version():match("^LuaSys%-%d+%.%d+%.%d+$"), rtos.version())
    T.eq({ rtos.MSG_TIMER, rtos.INF_TIMEOUT, rtos.NAME_MAX, rtos.ARGS_MAX, rtos.STRING_BYTES_MAX },
        { 1, -1, 15, 4, 32 })
    T.ok(rtos.TIMER_MAX >= 1 and rtos.QUEUE_CAPACITY >= 1)
end)
