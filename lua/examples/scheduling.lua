-- Priorities, periodic jobs, error policies and introspection.
-- luasys sim lua/examples/scheduling.lua --virtual-time --timestamps
-- luasys sim lua/examples/scheduling.lua --virtual-time --trace run.json  (open in ui.perfetto.dev)

-- A UI refresh that must not drift: fixed rate, highest tier.
local frames = 0
local jobs = {}
jobs.display = sys.every(100, function()
    frames = frames + 1
end, { name = "display", priority = "critical" })

-- Polling a slow peripheral: fixed delay, so a slow reply pushes the next poll back.
jobs.poll = sys.every(500, function()
    local ok = sys.waitUntil("sensor.reply", 200)
    log.info("poll", ok and "reply" or "timeout")
end, { name = "poll", policy = "delay", priority = "connectivity" })
jobs.sensor = sys.every(600, function() sys.publish("sensor.reply") end, { name = "sensor" })

-- A flaky task: it fails twice, and its policy restarts it after a growing back-off.
local attempts = 0
sys.task(function()
    attempts = attempts + 1
    sys.wait(50)
    if attempts < 3 then error("link down (attempt " .. attempts .. ")") end
    log.info("link", "up after " .. attempts .. " attempts")
end, { name = "link", on_error = "restart", backoff = 200 })

-- Background housekeeping still runs, whatever the load above.
jobs.housekeeping = sys.every(1000, function()
    log.info("housekeeping", "frames so far: " .. frames)
end, { name = "housekeeping", priority = "background" })

-- What the scheduler holds, as a table.
sys.timerStart(function() print(sys.describe()) end, 2500)

-- After five seconds the jobs end, and with nothing left to do, so does the run.
sys.timerStart(function()
    for _, job in pairs(jobs) do job:cancel() end
    log.info("done", frames .. " frames in 5 s")
end, 5000)

sys.run()
