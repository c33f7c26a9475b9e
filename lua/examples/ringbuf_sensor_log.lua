-- ringbuf example: a sensor task fills a ring buffer, a logger task drains it.
--
--   luasys sim lua/examples/ringbuf_sensor_log.lua --virtual-time
--
-- The buffer holds 24 bytes (three 4-byte readings plus 4 bytes of overhead
-- each) and overwrites the oldest readings when the logger
-- falls behind: a sensor should never block on a slow consumer. Alarms use their
-- own message id so the logger can pull them out ahead of the routine readings.

local ringbuf = require "ringbuf"

local READING, ALARM = 1, 2
local rb = ringbuf.new(24, { overwrite = true })

sys.taskInit(function()
    for i = 1, 12 do
        local celsius = 20 + i
        local _, evicted = rb:put(celsius >= 30 and ALARM or READING, string.format("%d C", celsius))
        if evicted > 0 then log.warn("sensor", rtos.millis(), "logger behind, dropped", evicted) end
        sys.wait(100)
    end
end)

sys.taskInit(function()
    while true do
        -- Alarms first, wherever they sit in the buffer.
        local alarm = rb:pull(ALARM)
        if alarm then
            log.error("logger", rtos.millis(), "ALARM", alarm)
        else
            local id, data = rb:wait(500)
            if not id then break end -- the sensor has stopped
            log.info("logger", rtos.millis(), id == ALARM and "ALARM" or "reading", data,
                "buffered:", rb:len(), rb:bytes_used() .. "/" .. rb:capacity() .. " bytes")
        end
        sys.wait(250) -- a slow consumer: the buffer fills and starts to overwrite
    end
    log.info("logger", "idle, done")
end)

sys.run()
