-- A task runs out of memory while the loop runs at each of 41 depths of the main
-- thread's stack. The first calls after the task's failure may need the loop's stack
-- to grow, and Lua does not collect to grow a stack: while the task still held its
-- memory, one of them failed, the task was left unclosed and never counted, and every
-- turn after it failed. At every depth the task's error must be reported as a task's,
-- once, and the task forgotten.
local wrong = {}
local function run_at(depth)
    if depth == 0 then return pcall(sys.run) end
    local ok, err = run_at(depth - 1)
    return ok, err
end
for depth = 0, 40 do
    local kinds = {}
    local function tell(report) kinds[#kinds + 1] = report.kind end
    sys.subscribe("SYS_ERROR", tell)
    sys.taskInit(function()
        sys.wait(1)
        local hog = {}
        while true do hog[#hog + 1] = string.rep("x", 256) .. #hog end
    end)
    local ran, err = run_at(depth)
    sys.unsubscribe("SYS_ERROR", tell)
    collectgarbage()
    local live = sys.stats().tasks_live
    if not (ran and #kinds == 1 and kinds[1] == "task" and live == 0) then
        wrong[#wrong + 1] = ("depth %d: sys.run %s, reports %s, %d tasks live"):format(
            depth, ran and "returned" or "raised " .. tostring(err), table.concat(kinds, ","), live)
    end
end
print("wrong", #wrong, table.concat(wrong, "; "))
