-- Producer/consumer with task mailboxes (LuatOS sysplus API).
-- luasys sim lua/examples/producer_consumer.lua --virtual-time --timestamps

sys.taskInitEx(function()
    while true do
        local msg = sys.waitMsg("consumer", nil, 3000)
        if not msg then
            print("consumer: idle for 3 s, stopping")
            return
        end
        print("consumer: got " .. msg[1] .. " = " .. tostring(msg[2]))
        sys.wait(300) -- slower than the producer: the mailbox absorbs the difference
    end
end, "consumer")

sys.taskInit(function()
    for i = 1, 8 do
        local ok, why = sys.sendMsg("consumer", "reading", i * 10)
        if not ok then print("producer: not sent (" .. why .. ")") end
        sys.wait(100)
    end
end)

sys.run()
