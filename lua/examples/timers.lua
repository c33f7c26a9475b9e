-- One-shot and repeating timers, stopping by id and by function.
-- luasys sim lua/examples/timers.lua --virtual-time --timestamps

sys.timerStart(function(msg) print("one-shot fired: " .. msg) end, 3000, "Hello")

local ticks = 0
local tick_id
tick_id = sys.timerLoopStart(function()
    ticks = ticks + 1
    print("tick " .. ticks)
    if ticks == 5 then
        sys.timerStop(tick_id)
        print("ticker stopped; still active? " .. tostring(sys.timerIsActive(tick_id)))
    end
end, 1000)

-- A timer is also known by its function and arguments: starting the same pair again
-- restarts it, which makes a simple debounce.
local function settled(name) print(name .. " settled") end
for delay = 0, 400, 100 do
    sys.timerStart(function() sys.timerStart(settled, 500, "switch") end, delay)
end

sys.run()
