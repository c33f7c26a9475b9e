-- playlist example: a colour show started by a button and stopped by another.
--
--   luasys sim lua/examples/playlist_colours.lua --virtual-time
--
-- The "rainbow" playlist plays on every "button.short" event; a "button.long"
-- event interrupts it. A task plays the "fade" playlist by hand and waits for it.

local playlist = require "playlist"

sys.subscribe("led.colour", function(p)
    log.info("led", rtos.millis(), p.colour, "from", p.producer)
end)
sys.subscribe("playlist.stopped", function(e)
    log.info("playlist", rtos.millis(), e.name, "run", e.run, e.reason,
        e.interrupt and ("by " .. e.interrupt.event) or "")
end)

playlist.register {
    name = "rainbow",
    trigger = "button.short",
    interrupts = { "button.long" },
    completion_event = "rainbow.done",
    steps = {
        { event = "led.colour", producer = "rainbow", offset = 0, payload = { colour = "red" } },
        { event = "led.colour", producer = "rainbow", offset = 200, payload = { colour = "green" } },
        { event = "led.colour", producer = "rainbow", offset = 400, payload = { colour = "blue" } },
    },
}

local fade = playlist.register {
    name = "fade",
    steps = {
        { event = "led.colour", producer = "fade", offset = 0, ["repeat"] = 3, interval = 150,
          payload = { colour = "white" } },
        { event = "led.colour", producer = "fade", offset = 600, payload = { colour = "off" } },
    },
}

-- Stand-ins for a real button: the first show completes, the second is cut short.
sys.timerStart(sys.publish, 100, "button.short", { producer = "button" })
sys.timerStart(sys.publish, 1000, "button.short", { producer = "button" })
sys.timerStart(sys.publish, 1300, "button.long", { producer = "button" })

sys.taskInit(function()
    sys.wait(2000)
    local run = playlist.start(fade)
    local _, reason = playlist.join(run)
    log.info("main", rtos.millis(), "fade finished:", reason)
end)

sys.run()
