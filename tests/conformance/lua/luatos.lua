-- What LuatOS scripts rely on beyond the API's documented surface: the behaviours the
-- differential runs against LuatOS's own sys.lua showed (docs/differences-from-luatos.md,
-- "Scripts tried"), each written down here as a case.
local T = require "harness"

-- LuatOS's tutorial deletes a mailbox task's mailbox from inside the task, before the
-- task ever waits. The task used to be registered with its mailbox only after that
-- first run, and sys.taskDel failed with "argument #1 'task' must be a task (got nil)".
T.case("taskDel from inside a taskInitEx task before its first wait", function()
    local steps = {}
    sys.taskInitEx(function()
        for i = 1, 3 do T.eq(sys.sendMsg("led", "m" .. i), true) end
        T.eq(sys.taskDel("led"), true)
        steps[#steps + 1] = "deleted"
        T.eq(table.pack(sys.sendMsg("led", "late")), { n = 2, false, "no such mailbox" })
        sys.wait(10)
        steps[#steps + 1] = "never: the task was cancelled"
    end, "led")
    steps[#steps + 1] = "main"
    sys.run()
    T.eq(steps, { "deleted", "main" })
end)

T.case("a taskInitEx task can read its own mailbox before its first wait", function()
    local got
    sys.taskInitEx(function()
        sys.sendMsg("self", "hello", 1)
        got = sys.waitMsg("self", "hello", 10)
    end, "self")
    sys.run()
    T.eq(got, { "hello", 1 })
end)

-- Trailing nils are not part of a timer's identity (LuatOS compares `#{...}`).
T.case("timerStop and timerIsActive ignore trailing nil arguments", function()
    local fired = {}
    local function f(...) fired[#fired + 1] = table.concat({ tostring(...) }, ",") end
    sys.timerStart(f, 10, "x", nil)
    T.eq(sys.timerIsActive(f, "x"), true)
    T.eq(sys.timerStop(f, "x"), true)
    sys.timerStart(f, 10, "y")
    T.eq(sys.timerIsActive(f, "y", nil, nil), true)
    T.eq(sys.timerStop(f, "y", nil), true)
    sys.timerStart(f, 10, "z", nil, 3)
    T.eq(sys.timerIsActive(f, "z"), false, "a nil before a value still counts")
    T.eq(sys.timerIsActive(f, "z", nil, 3, nil), true)
    sys.run()
    T.eq(fired, { "z" })
end)

T.case("starting a timer again with extra trailing nils replaces it", function()
    local n = 0
    local function f() n = n + 1 end
    sys.timerStart(f, 10, "k")
    sys.timerStart(f, 20, "k", nil)
    sys.run()
    T.eq(n, 1)
end)

-- LuaSys keeps LuatOS's timerStart(fn, 0) and wait(0) in the better form
-- (docs/differences-from-luatos.md): they run next turn instead of failing or not
-- yielding.
T.case("timerStart with 0 ms calls the function on the next turn", function()
    local log = {}
    T.eq(math.type(sys.timerStart(function() log[#log + 1] = "timer" end, 0)), "integer")
    sys.taskInit(function() log[#log + 1] = "task" end)
    log[#log + 1] = "main"
    sys.run()
    T.eq(log, { "task", "main", "timer" })
end)

T.case("wait(0) lets other work run and returns nothing", function()
    local log = {}
    sys.taskInit(function()
        log[#log + 1] = "a1"
        T.eq(select("#", sys.wait(0)), 0)
        log[#log + 1] = "a2"
    end)
    sys.taskInit(function() log[#log + 1] = "b" end)
    sys.run()
    T.eq(log, { "a1", "b", "a2" })
end)

T.case("LuatOS's globals exist", function()
    T.eq(SCRIPT_LIB_VER, "2.3.2")
    T.eq({ COROUTINE_ERROR_ROLL_BACK, COROUTINE_ERROR_RESTART }, { false, false })
    T.eq(sys_pub, sys.publish)
    for _, name in ipairs({ "sys_send", "sys_wait", "sys_cw" }) do T.eq(type(_G[name]), "function", name) end
    T.eq(require "sysplus", sys)
    for _, name in ipairs({ "safeRun", "coresume", "check_task", "taskCB", "timerAdvStart", "waitUntilMsg" }) do
        T.eq(type(sys[name]), "function", "sys." .. name)
    end
    T.eq(type(sys.cwaitMt), "table")
end)

T.case("sys_pub, sys_send and sys_wait are publish, sendMsg and waitMsg", function()
    local got = {}
    sys.subscribe("EVT", function(a, b) got[#got + 1] = "evt " .. a .. b end)
    sys.taskInitEx(function()
        local msg = sys_wait("box", "go", 100)
        got[#got + 1] = "box " .. msg[1] .. msg[2]
    end, "box")
    sys_pub("EVT", 1, 2)
    T.eq(sys_send("box", "go", 3), true)
    sys.run()
    T.eq(got, { "evt 12", "box go3" })
end)

T.case("coresume wakes a waiting task with values, as a message would", function()
    local got = {}
    local sleeper = sys.taskInit(function()
        got.wait = table.pack(sys.wait(1000))
        got.until_ = table.pack(sys.waitUntil("never", 1000))
        got.now = rtos.millis()
    end)
    local start = rtos.millis()
    sys.timerStart(function() got.r1 = table.pack(sys.coresume(sleeper, "hi", 5)) end, 10)
    sys.timerStart(function() got.r2 = table.pack(sys.coresume(sleeper, "x")) end, 20)
    -- Resuming a task that has ended is reported, as LuatOS's wrapper logs it.
    sys.timerStart(function() got.r3 = table.pack(sys.coresume(sleeper)) end, 30)
    sys.run()
    T.eq(got.wait, { n = 2, "hi", 5 })
    T.eq(got.until_, { n = 1, true })
    T.eq(got.r1, { n = 1, true })
    T.eq(got.r2, { n = 1, true })
    T.ok(sys.ticksDiff(got.now, start) < 1000, "the waits ended early; their deadlines are gone")
    T.eq(got.r3, { n = 2, false, "cannot resume dead coroutine" })
    T.expect_errors(1)
end)

T.case("coresume reports an error in the task instead of raising it", function()
    local co = sys.taskInit(function()
        sys.wait(1000)
        error("boom")
    end)
    local ok, err = sys.coresume(co)
    T.eq(ok, false)
    T.ok(tostring(err):find("boom", 1, true), tostring(err))
    sys.run()
    T.expect_errors(1)
    T.ok(T.errors()[1].message:find("boom", 1, true))
end)

T.case("coresume names a bad argument and blames the caller's line", function()
    local line = debug.getinfo(1, "l").currentline; local _, err = pcall(function() sys.coresume(5) end)
    T.ok(err:find("luatos.lua:" .. line .. ": sys.coresume: argument #1 'co' must be a task (got 5)", 1, true), err)
end)

T.case("check_task returns the running task and names itself outside one", function()
    local inside
    local co = sys.taskInit(function() inside = sys.check_task() end)
    T.eq(inside, co)
    T.raises("sys.check_task: called outside a task", sys.check_task)
    sys.run()
end)

T.case("taskCB hands a message to the mailbox's callback", function()
    local got = {}
    sys.taskInitEx(function() sys.wait(10) end, "cb", function(msg) got[#got + 1] = msg[1] end)
    sys.taskInitEx(function() sys.wait(10) end, "nocb")
    T.eq(select("#", sys.taskCB("cb", { "hello" })), 0)
    sys.taskCB("nocb", { "x" }) -- logged, not raised
    sys.taskCB("nobody", { "x" })
    sys.run()
    T.eq(got, { "hello" })
    T.raises("sys.taskCB: argument #1 'name' must be a string or a number (got nil)", sys.taskCB)
    T.raises("sys.taskCB: argument #1 'name' must be a string or a number (got ", sys.taskCB, 0 / 0)
end)

T.case("safeRun runs one turn of the loop at a time", function()
    local ticks = 0
    local id = sys.timerLoopStart(function() ticks = ticks + 1 end, 10)
    local turns = 0
    while ticks < 3 do
        turns = turns + 1
        T.eq(sys.safeRun(), nil)
    end
    T.ok(turns >= 3, turns .. " turns")
    sys.timerStop(id)
    T.eq(sys.safeRun(), "idle", "nothing is left to do")
end)

T.case("sys_cw results wait for their message or hand over ready values", function()
    local got = {}
    sys.taskInit(function()
        got.waited = table.pack(sys_cw("ASYNC").wait())
        got.ready = table.pack(sys_cw("UNUSED", 1, nil, 3).wait())
        sys_cw("LATER").cb(function(...) got.cb = table.pack(...) end)
        sys_cw("UNUSED", "now").cb(function(...) got.cb_ready = table.pack(...) end)
        T.eq(sys_cw("X").unknown, nil)
    end)
    sys.timerStart(sys.publish, 10, "ASYNC", "a", 1)
    sys.timerStart(sys.publish, 20, "LATER", "b")
    sys.run()
    T.eq(got.waited, { n = 2, "a", 1 })
    T.eq(got.ready, { n = 3, 1, nil, 3 })
    T.eq(got.cb, { n = 1, "b" })
    T.eq(got.cb_ready, { n = 1, "now" })
    local line = debug.getinfo(1, "l").currentline; local _, err = pcall(function() sys_cw("X").cb(5) end)
    T.ok(err:find("luatos.lua:" .. line .. ": sys_cw(topic).cb: argument #1 'f' must be a function (got 5)", 1, true),
        err)
end)

-- LuatOS passes `unpack(msg, 2, #msg)` and `unpack(para)`: trailing nils are lost there.
-- LuaSys hands every argument over; a callback written for LuatOS sees the same values.
T.case("trailing nil arguments reach subscribers and timer callbacks", function()
    local got = {}
    sys.subscribe("N", function(...) got.sub = table.pack(...) end)
    sys.publish("N", 1, nil, nil)
    sys.timerStart(function(...) got.timer = table.pack(...) end, 5, "a", nil)
    sys.run()
    T.eq(got.sub, { n = 3, 1 })
    T.eq(got.timer, { n = 2, "a" })
end)

-- Found while reworking the delivery: the nested loop reset the queue under the outer
-- delivery, which then cleared the slots of what was published next, and every later
-- turn failed on the cleared message.
T.case("safeRun inside a subscriber delivers what was queued, and what is published after it", function()
    local log = {}
    sys.subscribe("OUTER", function()
        log[#log + 1] = "outer"
        sys.safeRun()
        sys.publish("AFTER", 2)
    end)
    sys.subscribe("OUTER", function() log[#log + 1] = "outer, second subscriber" end)
    sys.subscribe("QUEUED", function(v) log[#log + 1] = "queued " .. v end)
    sys.subscribe("AFTER", function(v) log[#log + 1] = "after " .. v end)
    sys.publish("OUTER")
    sys.publish("QUEUED", 1)
    T.eq(sys.run(), "idle")
    T.eq(log, { "outer", "queued 1", "outer, second subscriber", "after 2" })
    T.eq(sys.stats().callback_errors, 0)
end)
