-- The Lua side of bench_msgbus.c: measures, for every "bench" message, the
-- time from the C post (its argument, in rtos.micros() time) to the moment the
-- sys.subscribe handler runs. "bench.flush" appends the summary of the samples
-- so far to the file named by LUASYS_BENCH_OUT and starts a new series.
local out = assert(os.getenv("LUASYS_BENCH_OUT"), "LUASYS_BENCH_OUT not set")
local micros = rtos.micros
local lat, n, first = {}, 0, nil

sys.subscribe("bench", function(stamp)
    local now = micros()
    n = n + 1
    lat[n] = now - stamp
    first = first or stamp
end)

sys.subscribe("bench.flush", function(label)
    table.sort(lat)
    local span = n > 0 and (micros() - first) or 0
    local f = assert(io.open(out, "a"))
    f:write(string.format("%s %d %d %d %d\n", label, n, lat[math.max(1, math.ceil(n * 0.5))] or -1,
        lat[math.max(1, math.ceil(n * 0.99))] or -1, span))
    f:close()
    lat, n, first = {}, 0, nil
end)

sys.run()
