-- Publish/subscribe: callbacks and tasks listening to the same topics.
-- luasys sim lua/examples/pubsub.lua --virtual-time --timestamps

sys.subscribe("BUTTON_PRESSED", function(button, at)
    print("logger: button " .. button .. " pressed at " .. at .. " ms")
end)

sys.taskInit(function()
    while true do
        local _, button = sys.waitUntil("BUTTON_PRESSED")
        print("handler: reacting to button " .. button)
        if button == 3 then break end
    end
    print("handler: done")
end)

sys.taskInit(function()
    for button = 1, 3 do
        sys.wait(700)
        sys.publish("BUTTON_PRESSED", button, rtos.millis())
    end
end)

-- Errors in tasks and callbacks never stop the loop: they are published.
sys.subscribe("SYS_ERROR", function(report)
    print("caught a " .. report.kind .. " error: " .. report.message)
end)
sys.timerStart(function() error("a callback failed") end, 2500)

sys.run()
