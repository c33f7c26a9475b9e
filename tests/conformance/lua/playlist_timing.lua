-- sim-only: exact emission times of playlist runs. In real time the loop wakes
-- a little late, so these exact values hold only on the virtual clock.
local T = require "harness"

-- Milliseconds since the run started; the "-wrap" backends start rtos.millis() just
-- before its wrap at 2^31.
local start = rtos.millis()
local function elapsed() return sys.ticksDiff(rtos.millis(), start) end
local playlist = require "playlist"

-- Subscribes to `topics`; returns the list of "topic@ms" heard, in order.
local function record_times(topics)
    local heard = {}
    for _, topic in ipairs(topics) do
        sys.subscribe(topic, function() heard[#heard + 1] = topic .. "@" .. elapsed() end)
    end
    return heard
end

T.case("playlist timing emissions land on start + offset + k * interval", function()
    local heard = record_times { "a", "b", "c", "playlist.stopped" }
    local handle = playlist.register {
        name = "timed",
        steps = {
            { event = "a", offset = 0 },
            { event = "b", offset = 100, ["repeat"] = 2, interval = 250 },
            { event = "c", offset = 1000 },
        },
    }
    -- Started at an odd time: every emission is computed from the run's start.
    sys.timerStart(playlist.start, 37, handle)
    sys.run()
    T.eq(heard, { "a@37", "b@137", "b@387", "b@637", "c@1037", "playlist.stopped@1037" })
end)

T.case("playlist timing interrupt stops a run at the interrupt's time", function()
    local heard = record_times { "step", "playlist.stopped" }
    playlist.register {
        name = "cut", trigger = "go", interrupts = { "halt" },
        steps = { { event = "step", offset = 0, ["repeat"] = 5, interval = 100 } },
    }
    sys.timerStart(sys.publish, 5, "go")
    sys.timerStart(sys.publish, 250, "halt")
    sys.run()
    T.eq(heard, { "step@5", "step@105", "step@205", "playlist.stopped@250" })
end)

T.case("playlist timing overlapping runs keep their own clocks", function()
    local heard = {}
    sys.subscribe("playlist.emitted", function(e)
        heard[#heard + 1] = e.run .. ":" .. e["repeat"] .. "@" .. elapsed()
    end)
    local handle = playlist.register {
        name = "pulse", steps = { { event = "pulse", offset = 10, ["repeat"] = 2, interval = 30 } },
    }
    playlist.start(handle)
    sys.timerStart(playlist.start, 15, handle)
    sys.run()
    T.eq(heard, { "1:0@10", "2:0@25", "1:1@40", "2:1@55", "1:2@70", "2:2@85" })
end)
