-- A task allocates until the Lua heap cap stops it, in the middle of other work; the
-- loop and the other tasks go on, and the memory comes back.
collectgarbage()
collectgarbage()
local total, before = rtos.meminfo()
local others_done, errors = 0, {}
sys.subscribe("SYS_ERROR", function(report) errors[#errors + 1] = report.message end)
for i = 1, 5 do
    sys.taskInit(function()
        for _ = 1, 10 do sys.wait(i) end
        others_done = others_done + 1
    end)
end
sys.taskInit(function()
    sys.wait(3)
    local hog = {}
    while true do hog[#hog + 1] = string.rep("x", 256) .. #hog end
end)
sys.run()
collectgarbage()
collectgarbage()
local _, after, peak = rtos.meminfo()
print("cap", total, "others_done", others_done, "errors", #errors,
    "oom", tostring(errors[1] and errors[1]:find("not enough memory", 1, true) ~= nil),
    "peak_near_cap", tostring(peak > total * 0.9), "released", tostring(after - before < 16 * 1024))
