-- A thermostat: the firmware's sensor ISR posts "temp" with the temperature in
-- centi-degrees. The heater goes on below 19.50 C and off above 20.50 C (a
-- hysteresis, so it does not chatter around the set point); a sensor silent for
-- 10 s turns the heater off and says so.
-- luasys sim lua/examples/thermostat.lua --virtual-time --timestamps
-- Its tests step it in virtual time and replay a recording made on a device:
-- tests/examples/test_thermostat.py (docs/testing.md).

local ON_BELOW, OFF_ABOVE = 1950, 2050 -- centi-degrees
local SILENCE_MS = 10000

local heater = false
local silence_timer

local function switch(on, why)
    if on == heater then return end
    heater = on
    log.info("thermostat", on and "heater on" or "heater off", why)
end

local function sensor_silent()
    log.warn("thermostat", "no reading for " .. SILENCE_MS // 1000 .. " s")
    switch(false, "sensor silent")
end

sys.subscribe("temp", function(centi)
    sys.timerStop(silence_timer)
    silence_timer = sys.timerStart(sensor_silent, SILENCE_MS)
    if centi < ON_BELOW then
        switch(true, centi)
    elseif centi > OFF_ABOVE then
        switch(false, centi)
    end
end)

print("thermostat: waiting for the sensor")
silence_timer = sys.timerStart(sensor_silent, SILENCE_MS)
sys.run()
