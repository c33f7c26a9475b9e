-- Publish/subscribe: sys.publish, subscribe, unsubscribe, waitUntil, waitUntilExt, waitUntilMsg.
local T = require "harness"

-- The KB the Lua heap keeps after `fn()`, full collections before and after.
local function kb_kept_after(fn)
    collectgarbage()
    collectgarbage()
    local before = collectgarbage("count")
    fn()
    collectgarbage()
    collectgarbage()
    return collectgarbage("count") - before
end

T.case("subscribers run in subscription order, messages in publish order", function()
    local log = {}
    sys.subscribe("A", function(v) log[#log + 1] = "first:" .. v end)
    sys.subscribe("A", function(v) log[#log + 1] = "second:" .. v end)
    sys.subscribe("B", function(v) log[#log + 1] = "b:" .. v end)
    sys.publish("A", 1)
    sys.publish("B", 2)
    sys.publish("A", 3)
    T.eq(log, {}, "publish is asynchronous")
    sys.run()
    T.eq(log, { "first:1", "second:1", "b:2", "first:3", "second:3" })
end)

T.case("arguments arrive exactly, nils included", function()
    local got
    sys.subscribe("M", function(...) got = table.pack(...) end)
    sys.publish("M", nil, 2, nil, "x", false)
    sys.run()
    T.eq(got, { n = 5, [2] = 2, [4] = "x", [5] = false })
end)

T.case("a list of topics subscribes to each; subscribing twice counts once", function()
    local n = 0
    local function cb() n = n + 1 end
    sys.subscribe({ "X", "Y" }, cb)
    sys.subscribe("X", cb)
    sys.publish("X")
    sys.publish("Y")
    sys.run()
    T.eq(n, 2)
    sys.unsubscribe({ "X", "Y" }, cb)
    sys.publish("X")
    sys.publish("Y")
    sys.run()
    T.eq(n, 2)
end)

-- As in LuatOS, which copies the subscriber list before delivering: a message goes to
-- the functions subscribed when its delivery began, once each, even those removed
-- while it is being delivered; the removal counts from the next message.
T.case("a function unsubscribed during delivery still gets that message, not the next", function()
    local log = {}
    local second
    local function first()
        log[#log + 1] = "first"
        sys.unsubscribe("T", first)
        sys.unsubscribe("T", second)
        sys.unsubscribe("T", second) -- a second removal changes nothing
    end
    second = function() log[#log + 1] = "second" end
    local function third() log[#log + 1] = "third" end
    sys.subscribe("T", first)
    sys.subscribe("T", second)
    sys.subscribe("T", third)
    sys.publish("T")
    sys.publish("T")
    sys.run()
    T.eq(log, { "first", "second", "third", "third" })
end)

T.case("a function removed and subscribed again during delivery gets the message once", function()
    local log = {}
    local function again() log[#log + 1] = "again" end
    sys.subscribe("T", function()
        log[#log + 1] = "first"
        sys.unsubscribe("T", again)
        sys.subscribe("T", again)
    end)
    sys.subscribe("T", again)
    sys.subscribe("T", function() log[#log + 1] = "last" end)
    sys.publish("T")
    sys.publish("T")
    sys.run()
    -- The re-subscription moves `again` to the end of the list from the next message on.
    T.eq(log, { "first", "again", "last", "first", "last", "again" })
end)

T.case("a task that stops waiting during delivery is not resumed with that message", function()
    local log = {}
    local waiter
    waiter = sys.taskInit(function()
        local ok = sys.waitUntil("T", 50)
        log[#log + 1] = "waiter " .. tostring(ok)
    end)
    sys.subscribe("T", function()
        log[#log + 1] = "cb"
        sys.unsubscribe("T", waiter) -- the task is no longer a subscriber of T
    end)
    -- The callback was subscribed after the task, so move the task behind it.
    sys.unsubscribe("T", waiter)
    sys.subscribe("T", waiter)
    sys.publish("T")
    sys.run()
    T.eq(log, { "cb", "waiter false" })
end)

T.case("a subscriber added during delivery starts with the next message", function()
    local log = {}
    local function late() log[#log + 1] = "late" end
    sys.subscribe("T", function()
        log[#log + 1] = "early"
        sys.subscribe("T", late)
    end)
    sys.publish("T")
    sys.publish("T")
    sys.run()
    T.eq(log, { "early", "early", "late" })
end)

T.case("messages published by subscribers and tasks are delivered in order", function()
    local log = {}
    sys.subscribe("PING", function(n)
        log[#log + 1] = "ping" .. n
        if n < 3 then sys.publish("PING", n + 1) end
    end)
    sys.taskInit(function()
        sys.publish("PING", 1)
        sys.wait(1)
        log[#log + 1] = "task"
    end)
    sys.run()
    T.eq(log, { "ping1", "ping2", "ping3", "task" })
end)

T.case("waitUntil returns true and the arguments, or false on timeout", function()
    local results = {}
    sys.taskInit(function()
        results[#results + 1] = table.pack(sys.waitUntil("READY", 50))
        results[#results + 1] = table.pack(sys.waitUntil("NEVER", 10))
        results[#results + 1] = table.pack(sys.waitUntil("READY"))
    end)
    sys.taskInit(function()
        sys.wait(5)
        sys.publish("READY", "a", 1)
        sys.wait(30)
        sys.publish("READY", "b")
    end)
    sys.run()
    T.eq(results, { { n = 3, true, "a", 1 }, { n = 1, false }, { n = 2, true, "b" } })
end)

T.case("a waitUntil satisfied early does not leave its timeout behind", function()
    local woke = 0
    sys.taskInit(function()
        for _ = 1, 200 do
            sys.waitUntil("GO", 60000)
            woke = woke + 1
        end
    end)
    sys.taskInit(function()
        for _ = 1, 200 do
            sys.publish("GO")
            sys.wait(0)
        end
    end)
    local start = rtos.millis()
    T.eq(sys.run(), "idle")
    T.eq(woke, 200)
    local took = sys.ticksDiff(rtos.millis(), start)
    T.ok(took < 60000, "the loop waited for stale timeouts: " .. took .. " ms")
end)

-- As in LuatOS, which subscribes the waiting coroutine itself: a task waiting for a
-- topic is a subscriber in its place, and waiting again puts it at the end.
T.case("a task waiting in waitUntil keeps its place among the function subscribers", function()
    local log = {}
    sys.taskInit(function()
        for _ = 1, 2 do
            local _, v = sys.waitUntil("T")
            log[#log + 1] = "task " .. v
        end
    end)
    sys.subscribe("T", function(v) log[#log + 1] = "function " .. v end)
    sys.publish("T", 1)
    sys.publish("T", 2)
    sys.run()
    T.eq(log, { "task 1", "function 1", "function 2", "task 2" })
end)

T.case("deliveries to waiting tasks and to functions are counted; a message to nobody is unheard", function()
    sys.taskInit(function()
        sys.waitUntil("ALONE", 1000) -- the only subscriber of its topic
        sys.waitUntil("SHARED", 1000) -- beside a function
        sys.waitUntil("ALONE") -- with no timeout
    end)
    sys.subscribe("SHARED", function() end)
    sys.taskInit(function()
        sys.publish("ALONE")
        sys.wait(1)
        sys.publish("SHARED")
        sys.wait(1)
        sys.publish("ALONE")
        sys.publish("ALONE") -- nobody waits any more
    end)
    T.eq(sys.run(), "idle")
    local stats = sys.stats()
    T.eq({ stats.published, stats.delivered, stats.unheard, stats.deadlines_pending, stats.tasks_live },
        { 4, 4, 1, 0, 0 })
end)

T.case("a waiting task unsubscribed or cancelled is not resumed; the message is unheard", function()
    local results = {}
    local unsubscribed = sys.taskInit(function()
        results[#results + 1] = sys.waitUntil("U", 50)
    end)
    local cancelled = sys.taskInit(function()
        sys.waitUntil("C")
        results[#results + 1] = "resumed"
    end)
    sys.taskInit(function()
        sys.unsubscribe("U", unsubscribed)
        sys.taskCancel(cancelled)
        sys.publish("U")
        sys.publish("C")
    end)
    T.eq(sys.run(), "idle")
    T.eq(results, { false })
    local stats = sys.stats()
    T.eq({ stats.delivered, stats.unheard }, { 0, 2 })
end)

-- A topic used once (a request id, say) costs nothing lasting, whether a task waited
-- for it alone or beside a function subscriber, removed once the answer came.
T.case("topics used once leave no memory behind", function()
    local function topic(i) return "REQUEST" .. i end
    local answered, heard = 0, 0
    local function on_answer() heard = heard + 1 end
    sys.taskInit(function()
        for i = 1, 3000 do
            local shared = i % 2 == 0
            if shared then sys.subscribe(topic(i), on_answer) end
            sys.publish("ASK", i)
            if sys.waitUntil(topic(i), 1000) then answered = answered + 1 end
            if shared then sys.unsubscribe(topic(i), on_answer) end
        end
    end)
    sys.subscribe("ASK", function(i) sys.publish(topic(i)) end)
    local grown = kb_kept_after(function() T.eq(sys.run(), "idle") end)
    T.eq({ answered, heard }, { 3000, 1500 })
    T.ok(grown < 32, "heap grew by " .. grown .. " KB after 3,000 topics used once")
end)

T.case("waitUntilExt returns the topic and arguments, or false", function()
    local a, b
    sys.taskInit(function()
        a = table.pack(sys.waitUntilExt("E", 50))
        b = table.pack(sys.waitUntilExt("E", 5))
    end)
    sys.publish("E", 7)
    sys.run()
    T.eq(a, { n = 2, "E", 7 })
    T.eq(b, { n = 1, false })
end)

T.case("waitUntilMsg returns just the arguments", function()
    local got
    sys.taskInit(function() got = table.pack(sys.waitUntilMsg("M")) end)
    sys.publish("M", 1, 2)
    sys.run()
    T.eq(got, { n = 2, 1, 2 })
end)

T.case("a task subscribed with sys.subscribe is resumed with topic and arguments", function()
    local got
    local co = sys.taskInit(function() got = table.pack(coroutine.yield()) end)
    sys.subscribe("S", co)
    sys.publish("S", "v")
    sys.run()
    T.eq(got, { n = 2, "S", "v" })
end)

T.case("a message interrupts sys.wait of a subscribed task (LuatOS semantics)", function()
    local got
    local co = sys.taskInit(function() got = table.pack(sys.wait(1000)) end)
    sys.subscribe("WAKE", co)
    sys.timerStart(sys.publish, 5, "WAKE", 1)
    local start = rtos.millis()
    sys.run()
    T.eq(got, { n = 2, "WAKE", 1 })
    T.ok(sys.ticksDiff(rtos.millis(), start) < 1000, "the cancelled wait did not hold the loop")
end)

T.case("an error in a subscriber is reported; the next subscribers still run", function()
    T.expect_errors(1)
    local ran = false
    sys.subscribe("E", function() error("subscriber broke") end)
    sys.subscribe("E", function() ran = true end)
    sys.publish("E")
    sys.run()
    T.ok(ran)
    local report = T.errors()[1]
    T.eq(report.kind, "subscriber")
    T.ok(report.message:find("subscriber broke", 1, true), report.message)
end)

T.case("an error inside a SYS_ERROR subscriber is counted but not published again", function()
    T.expect_errors(1)
    sys.subscribe("SYS_ERROR", function() error("the error handler failed too") end)
    sys.timerStart(function() error("first") end, 1)
    sys.run()
    T.eq(sys.stats().callback_errors, 2)
end)

T.case("publishing to nobody is counted, not an error", function()
    sys.publish("NOBODY", 1)
    sys.run()
    T.eq(sys.stats().unheard, 1)
end)

T.case("bad publish/subscribe arguments name the function and the argument", function()
    T.raises("sys.publish: argument #1 'topic' must be a string or a number (got nil)", sys.publish)
    T.raises("sys.publish: argument #1 'topic' must be a string or a number (got ", sys.publish, 0 / 0)
    T.raises("sys.subscribe: argument #2 'callback' must be a function or a task (got nil)", sys.subscribe, "X")
    T.raises("sys.subscribe: argument #1 'topic' must be a string or a number (got table)",
        sys.subscribe, { {} }, print)
    T.raises("sys.unsubscribe: argument #2 'callback'", sys.unsubscribe, "X", 1)
    sys.taskInit(function()
        T.raises("sys.waitUntil: argument #2 'ms' must be a number >= 0 and <= 536870912 (got -5)", sys.waitUntil, "X", -5)
        T.raises("sys.waitUntil: argument #1 'topic'", sys.waitUntil, nil, 5)
    end)
    sys.run()
end)

T.case("a burst of 100,000 messages is delivered in order and its memory comes back", function()
    local expected, in_order = 1, true
    local grown = kb_kept_after(function()
        sys.subscribe("N", function(i)
            if i ~= expected then in_order = false end
            expected = expected + 1
        end)
        for i = 1, 100000 do sys.publish("N", i) end
        sys.run()
    end)
    T.ok(in_order, "in order")
    T.eq(expected, 100001)
    T.ok(grown < 16, "heap grew by " .. grown .. " KB after the burst")
end)

T.case("tasks answering each other's messages do not keep a due timer waiting", function()
    local rounds, fired_at = 0, nil
    sys.timerStart(function() fired_at = rounds end, 0)
    sys.taskInit(function()
        for _ = 1, 2000 do
            sys.waitUntil("PING")
            sys.publish("PONG")
        end
    end)
    sys.taskInit(function()
        for _ = 1, 2000 do
            sys.publish("PING")
            sys.waitUntil("PONG")
            rounds = rounds + 1
        end
    end)
    sys.run()
    T.eq(rounds, 2000)
    -- Without a bound the timer fired only once the exchange was over (at round 2000).
    T.ok(fired_at and fired_at < 100, "the timer fired at round " .. tostring(fired_at))
end)

T.case("a chain of messages left for the next turn keeps its publish order", function()
    local seen, fired_at = {}, nil
    sys.subscribe("CHAIN", function(i)
        seen[#seen + 1] = i
        if i < 300 then sys.publish("CHAIN", i + 1) end
    end)
    sys.subscribe("CHAIN", function(i)
        if i % 100 == 0 then sys.publish("HUNDRED", i) end
    end)
    sys.subscribe("HUNDRED", function(i) seen[#seen + 1] = "h" .. i end)
    sys.timerStart(function() fired_at = #seen end, 0)
    sys.publish("CHAIN", 1)
    sys.run()
    local expected = {}
    for i = 1, 300 do
        expected[#expected + 1] = i
        -- HUNDRED i is published after CHAIN i + 1, so it arrives after it.
        if i > 100 and (i - 1) % 100 == 0 then expected[#expected + 1] = "h" .. (i - 1) end
    end
    expected[#expected + 1] = "h300"
    T.eq(table.concat(seen, " "), table.concat(expected, " "))
    T.ok(fired_at and fired_at < 300, "the timer fired after " .. tostring(fired_at) .. " deliveries")
end)
