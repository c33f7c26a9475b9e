-- Waiting for an event with a timeout.
-- luasys sim lua/examples/wait_until.lua --virtual-time --timestamps

sys.taskInit(function()
    local ok, ip = sys.waitUntil("NET_READY", 2000)
    print(ok and ("connected, ip " .. ip) or "no network after 2 s, retrying")
    ok, ip = sys.waitUntil("NET_READY", 5000)
    print(ok and ("connected, ip " .. ip) or "giving up")
end)

-- The "network" comes up after 3.5 s.
sys.timerStart(sys.publish, 3500, "NET_READY", "192.168.1.20")

sys.run()
