-- gesture example: double taps, a two-button chord and the Konami code.
--
--   luasys sim lua/examples/gesture_buttons.lua --virtual-time
--
-- Inputs are scripted with timers here; on a device they come from GPIO
-- interrupts posted into the runtime as {producer = <button>, value = ...}.

local gesture = require "gesture"

gesture.double_tap { input = "button", output = "gesture.double", window = 300,
    match = "down", meta = { action = "toggle light" } }
gesture.simultaneous { input = "button", output = "gesture.chord", count = 2, window = 50,
    match = "down", meta = { action = "pairing mode" } }
gesture.sequence { input = "pad", output = "gesture.cheat", name = "konami", timeout = 1000,
    steps = { "up", "up", "down", "down", "left", "right", "left", "right", "b", "a" } }

for _, topic in ipairs { "gesture.double", "gesture.chord", "gesture.cheat" } do
    sys.subscribe(topic, function(g)
        local from = {}
        for i, input in ipairs(g.inputs) do from[i] = tostring(input.producer) end
        log.info("gesture", rtos.millis(), g.name, "from", table.concat(from, ","),
            g.meta and g.meta.action or "")
    end)
end

local function press(ms, topic, producer, value)
    sys.timerStart(sys.publish, ms, topic, { producer = producer, value = value })
end

press(100, "button", "A", "down")   -- A: a double tap
press(180, "button", "A", "up")
press(250, "button", "A", "down")
press(1000, "button", "A", "down")  -- A and B together: a chord
press(1020, "button", "B", "down")
for i, key in ipairs { "up", "up", "down", "down", "left", "right", "left", "right", "b", "a" } do
    press(2000 + 150 * i, "pad", "pad" .. (i % 2 + 1), key) -- two players, one each
end
for i, key in ipairs { "up", "up", "down", "down", "left", "right", "left", "right", "b", "a" } do
    press(4000 + 150 * i, "pad", "pad1", key)
end

sys.run()
