-- {{name}}: the firmware's main script. The same file runs on the board (luasys push
-- main.lua), on the PC (luasys sim main.lua --virtual-time --timestamps) and in the
-- tests (tests/test_main.py).

local presses = 0

-- The firmware's button ISR posts "button" with the pin (lua_sys_post_from_isr).
sys.subscribe("button", function(pin)
    presses = presses + 1
    log.info("button", "pressed", pin, presses)
end)

sys.taskInit(function()
    while true do
        print("LED ON")
        sys.wait(500)
        print("LED OFF")
        sys.wait(500)
    end
end)

sys.run()
