-- Task mailboxes (LuatOS sysplus): sys.taskInitEx, sendMsg, waitMsg, cleanMsg, taskDel.
local T = require "harness"

T.case("waitMsg returns messages in order; sendMsg wakes the task", function()
    local got = {}
    sys.taskInitEx(function()
        for _ = 1, 3 do got[#got + 1] = sys.waitMsg("worker") end
    end, "worker")
    sys.taskInit(function()
        T.eq(sys.sendMsg("worker", "a", 1), true)
        sys.wait(5)
        T.eq(sys.sendMsg("worker", "b", 2, 3, 4), true)
        T.eq(sys.sendMsg("worker", "c"), true)
    end)
    sys.run()
    T.eq(got, { { "a", 1 }, { "b", 2, 3, 4 }, { "c" } })
end)

T.case("waitMsg with a target hands other messages to the callback", function()
    local other, got = {}, nil
    sys.taskInitEx(function()
        got = sys.waitMsg("w", "wanted")
    end, "w", function(msg) other[#other + 1] = msg[1] end)
    sys.sendMsg("w", "noise1")
    sys.sendMsg("w", "noise2")
    sys.sendMsg("w", "wanted", 42)
    sys.run()
    T.eq(other, { "noise1", "noise2" })
    T.eq(got, { "wanted", 42 })
end)

T.case("without a callback, skipped messages are counted and logged, not lost silently", function()
    local got
    sys.taskInitEx(function() got = sys.waitMsg("w", "wanted") end, "w")
    sys.sendMsg("w", "noise")
    sys.sendMsg("w", "wanted")
    sys.run()
    T.eq(got, { "wanted" })
    T.eq(sys.stats().mailbox_discarded, 1)
end)

-- LuatOS's sys.waitMsg returns nil on a timeout (its comment says false; scripts that
-- run there can only have relied on nil).
T.case("waitMsg times out with nil", function()
    local got = "not returned"
    sys.taskInitEx(function() got = table.pack(sys.waitMsg("w", nil, 10)) end, "w")
    sys.run()
    T.eq(got, { n = 1, nil })
end)

T.case("a full mailbox refuses the message, says why, and counts it", function()
    sys.setMailboxLimit(2)
    sys.taskInitEx(function() sys.wait(1000000) end, "slow")
    T.eq(table.pack(sys.sendMsg("slow", 1)), { n = 1, true })
    T.eq(table.pack(sys.sendMsg("slow", 2)), { n = 1, true })
    T.eq(table.pack(sys.sendMsg("slow", 3)), { n = 2, false, "mailbox full" })
    T.eq(sys.stats().mailbox_full, 1)
    T.eq(table.pack(sys.sendMsg("nobody", 1)), { n = 2, false, "no such mailbox" })
    sys.setMailboxLimit(3, "slow")
    T.eq(sys.sendMsg("slow", 3), true)
    sys.taskDel("slow")
    sys.run()
end)

T.case("cleanMsg empties the mailbox", function()
    local got = "not returned"
    sys.taskInitEx(function()
        sys.wait(5)
        got = sys.waitMsg("w", nil, 5)
    end, "w")
    sys.sendMsg("w", "old")
    T.eq(sys.cleanMsg("w"), true)
    T.eq(sys.cleanMsg("nobody"), false)
    sys.run()
    T.eq(got, nil)
end)

T.case("taskDel removes the mailbox and cancels the task", function()
    local steps = 0
    sys.taskInitEx(function()
        while true do
            sys.waitMsg("w")
            steps = steps + 1
        end
    end, "w")
    sys.sendMsg("w", 1)
    sys.timerStart(function()
        T.eq(sys.taskDel("w"), true)
        T.eq(sys.sendMsg("w", 2), false)
    end, 5)
    sys.run()
    T.eq(steps, 1)
    T.eq(sys.stats().tasks_live, 0)
end)

T.case("sendMsg to the mailbox of a cancelled task is kept, not a wake-up of the dead task", function()
    -- Found by tests/model: the waiting task's wake-up resurrected it, so it "failed"
    -- with "cannot resume dead coroutine" and tasks_live went to -1.
    local got = nil
    local mb = sys.taskInitEx(function() got = sys.waitMsg("c", nil, 100) end, "c")
    sys.taskInit(function()
        sys.wait(10)
        T.eq(sys.taskCancel(mb), true)
        sys.wait(10)
        T.eq(sys.sendMsg("c", 1), true)
    end)
    sys.run()
    T.eq(got, nil)
    T.eq(sys.stats().task_errors, 0)
    T.eq(sys.stats().tasks_live, 0)
end)

T.case("mailbox misuse raises clear errors", function()
    T.raises("sys.taskInitEx: argument #2 'name' must be a string or a number (got nil)",
        sys.taskInitEx, function() end, nil)
    T.raises("sys.taskInitEx: argument #3 'cb' must be a function", sys.taskInitEx, function() end, "n", 5)
    T.raises("sys.setMailboxLimit: argument #1 'limit' must be an integer 1..", sys.setMailboxLimit, 0)
    -- NaN is no name: taskInitEx refuses it, so no mailbox can have it.
    for _, fn in ipairs { "sendMsg", "cleanMsg", "taskDel", "taskCB" } do
        T.raises("sys." .. fn .. ": argument #1 'name' must be a string or a number (got ", sys[fn], 0 / 0)
    end
    sys.taskInit(function()
        T.raises("sys.waitMsg: no mailbox named \"ghost\"", sys.waitMsg, "ghost")
    end)
    sys.run()
end)
