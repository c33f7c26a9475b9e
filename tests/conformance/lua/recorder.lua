-- Conformance cases for recorder (components/lua_sys/lua/recorder.lua), the device side
-- of `luasys record`; tests/tools/test_recording.py runs it through the console.
local T = require "harness"
local recorder = require "recorder"

-- drain(-1) returned "" and shifted the buffer by one slot: the next drain raised
-- table.concat's error about a nil in the table.
T.case("recorder drain checks max_records and keeps what it does not take", function()
    recorder.start(8)
    print("one")
    print("two")
    T.raises("recorder.drain: argument #1 'max_records' must be an integer >= 0 (got -1)", recorder.drain, -1)
    T.raises("recorder.drain: argument #1 'max_records' must be an integer >= 0 (got \"1\")", recorder.drain, "1")
    local line = debug.getinfo(1, "l").currentline; local _, err = pcall(function() recorder.drain(0.5) end)
    T.ok(err:find("recorder.lua:" .. line .. ":", 1, true), "blames the caller: " .. err)
    T.eq(recorder.drain(0), "")
    local first = recorder.drain(1.0)
    T.ok(first:find('"line":"one"', 1, true) and not first:find("two", 1, true), first)
    local rest = recorder.stop()
    T.ok(rest:find('"line":"two"', 1, true) and not rest:find("one", 1, true), rest)
end)
