-- The application the firmware runs at boot (/lua/main.lua on the device).
-- Two tasks, as in the LuaSys seed: an LED that blinks and a counter.
-- Try it: luasys sim lua/main.lua --virtual-time --until 10 --timestamps

sys.taskInit(function()
    while true do
        print("LED ON")
        sys.wait(1000)
        print("LED OFF")
        sys.wait(1000)
    end
end)

sys.taskInit(function()
    for i = 1, 10 do
        print("Count: " .. i)
        sys.wait(500)
    end
end)

sys.run()
