-- Conformance cases for gesture (components/lua_sys/lua/gesture.lua). Inputs are
-- spaced so that the cases also hold in real time.
local T = require "harness"
local gesture = require "gesture"

-- Publishes the input {producer = producer, value = value} on `topic` at `ms`.
local function input_at(ms, topic, producer, value)
    sys.timerStart(sys.publish, ms, topic, { producer = producer, value = value })
end

-- Returns the list of payloads published on `topic`.
local function collect(topic)
    local got = {}
    sys.subscribe(topic, function(payload) got[#got + 1] = payload end)
    return got
end

-- The "producer:value" of each raw input of a gesture.
local function inputs_of(g)
    local out = {}
    for i, input in ipairs(g.inputs) do out[i] = tostring(input.producer) .. ":" .. tostring(input.value) end
    return out
end

T.case("gesture double tap inside the window", function()
    local got = collect("button.double")
    gesture.double_tap { input = "button", output = "button.double", window = 150,
        name = "power", meta = { led = 2 } }
    input_at(10, "button", "btn1", 1)
    input_at(60, "button", "btn1", 2)
    sys.run()
    T.eq(#got, 1)
    T.eq({ got[1].kind, got[1].name, got[1].producer, got[1].meta },
        { "double_tap", "power", "btn1", { led = 2 } })
    T.eq(got[1].inputs, { { producer = "btn1", value = 1 }, { producer = "btn1", value = 2 } })
end)

T.case("gesture double tap outside the window", function()
    local got = collect("button.double")
    gesture.double_tap { input = "button", output = "button.double", window = 150 }
    input_at(10, "button", "btn1", 1)
    input_at(300, "button", "btn1", 2)
    input_at(350, "button", "btn1", 3)
    sys.run()
    T.eq(#got, 1, "the late tap starts a new pair")
    T.eq(inputs_of(got[1]), { "btn1:2", "btn1:3" })
    T.eq(got[1].name, "double_tap", "the name defaults to the kind")
end)

T.case("gesture double tap is per producer", function()
    local got = collect("double")
    gesture.double_tap { input = "button", output = "double", window = 150 }
    input_at(10, "button", "btn1", 1)
    input_at(40, "button", "btn2", 1)
    input_at(70, "button", "btn1", 2)
    input_at(100, "button", "btn1", 3)
    sys.run()
    T.eq(#got, 1, "a third tap does not pair with the consumed second one")
    T.eq(inputs_of(got[1]), { "btn1:1", "btn1:2" })
end)

T.case("gesture double tap counts only matching inputs", function()
    local got = collect("double")
    gesture.double_tap { input = "button", output = "double", window = 150, match = "down" }
    input_at(10, "button", "b", "down")
    input_at(30, "button", "b", "up")
    input_at(50, "button", "b", "down")
    sys.run()
    T.eq(#got, 1)
    T.eq(inputs_of(got[1]), { "b:down", "b:down" })
end)

-- Margins of 100 ms or more either side of the window: on the real-time backends a
-- loaded machine delays timers by tens of milliseconds.
T.case("gesture simultaneous needs distinct producers within 200 ms", function()
    local got = collect("together")
    gesture.simultaneous { input = "press", output = "together", count = 2, window = 200 }
    input_at(40, "press", "a", 1)
    input_at(80, "press", "a", 2) -- the same producer again: still one producer
    input_at(180, "press", "b", 1)
    input_at(800, "press", "c", 1)
    input_at(1280, "press", "d", 1) -- too late for c
    sys.run()
    T.eq(#got, 1)
    T.eq(got[1].kind, "simultaneous")
    T.eq(inputs_of(got[1]), { "a:2", "b:1" }, "a's repeat replaced its first input")
end)

T.case("gesture simultaneous starts afresh after firing", function()
    local got = collect("chord")
    gesture.simultaneous { input = { "left", "right" }, output = "chord", count = 3, window = 100 }
    input_at(10, "left", "x", 1)
    input_at(20, "right", "y", 1)
    input_at(30, "left", "z", 1)
    input_at(40, "right", "w", 1) -- alone after the reset
    input_at(60, "left", "x", 2)
    input_at(80, "right", "y", 2)
    sys.run()
    T.eq(#got, 2)
    T.eq(inputs_of(got[1]), { "x:1", "y:1", "z:1" })
    T.eq(inputs_of(got[2]), { "w:1", "x:2", "y:2" })
end)

local KONAMI = { "up", "up", "down", "down", "left", "right", "left", "right", "b", "a" }

T.case("gesture sequence recognises the Konami code", function()
    local got = collect("cheat")
    gesture.sequence { input = "pad", output = "cheat", steps = KONAMI, name = "konami" }
    local pad1 = { "up", table.unpack(KONAMI) } -- one "up" too many at the start
    local pad2 = { "up", "up", "down", "down", "left" } -- interleaved, gives up halfway
    for i, key in ipairs(pad1) do input_at(20 * i, "pad", "pad1", key) end
    for i, key in ipairs(pad2) do input_at(20 * i + 10, "pad", "pad2", key) end
    sys.run()
    T.eq(#got, 1)
    T.eq({ got[1].kind, got[1].name, got[1].producer }, { "sequence", "konami", "pad1" })
    local values = {}
    for i, input in ipairs(got[1].inputs) do values[i] = input.value end
    T.eq(values, KONAMI)
end)

T.case("gesture sequence timeout starts progress over", function()
    local got = collect("seq")
    gesture.sequence { input = "k", output = "seq", steps = { "a", "b", "c" }, timeout = 100 }
    input_at(10, "k", "p", "a")
    input_at(50, "k", "p", "b")
    input_at(250, "k", "p", "c") -- too late
    input_at(270, "k", "p", "a")
    input_at(300, "k", "p", "b")
    input_at(330, "k", "p", "c")
    sys.run()
    T.eq(#got, 1)
    T.eq(inputs_of(got[1]), { "p:a", "p:b", "p:c" })
    T.eq(got[1].inputs[1], { producer = "p", value = "a" })
end)

T.case("gesture sequence takes predicate matchers", function()
    local got = collect("combo")
    gesture.sequence { input = "dial", output = "combo",
        steps = { function(i) return i.value > 10 end, 0, function(i) return i.value < 0 end } }
    input_at(10, "dial", "d", 5)
    input_at(30, "dial", "d", 20)
    input_at(50, "dial", "d", 0)
    input_at(70, "dial", "d", -3)
    sys.run()
    T.eq(#got, 1)
    T.eq(inputs_of(got[1]), { "d:20", "d:0", "d:-3" })
end)

T.case("gesture sequence survives a failing predicate", function()
    T.expect_errors(1)
    local got = collect("seq")
    local function a(input)
        if input.value == "boom" then error("cannot judge this input") end
        return input.value == "a"
    end
    gesture.sequence { input = "k", output = "seq", steps = { a, "b" } }
    input_at(10, "k", "p", "boom")
    input_at(30, "k", "p", "a")
    input_at(50, "k", "p", "b")
    sys.run()
    T.ok(T.errors()[1].message:find("cannot judge this input", 1, true), T.errors()[1].message)
    T.eq(#got, 1, "the failed input left no trace in the progress")
    T.eq(inputs_of(got[1]), { "p:a", "p:b" })
end)

T.case("gesture ignores payloads that are not tables", function()
    local got = collect("double")
    gesture.double_tap { input = "button", output = "double", window = 150 }
    sys.timerStart(sys.publish, 10, "button", "not a table")
    sys.timerStart(sys.publish, 20, "button")
    input_at(30, "button", nil, 1)
    input_at(40, "button", nil, 2)
    sys.run()
    T.eq(#got, 1, "inputs without a producer pair up with each other")
    T.eq(got[1].producer, nil)
end)

T.case("gesture remove releases the subscription and pending state", function()
    local got = collect("double")
    local handle = gesture.double_tap { input = "button", output = "double", window = 200 }
    input_at(10, "button", "b", 1)
    sys.timerStart(function()
        T.eq(gesture.remove(handle), true)
        T.eq(gesture.remove(handle), false, "already removed")
        gesture.double_tap { input = "button", output = "double", window = 200 }
    end, 30)
    input_at(60, "button", "b", 2) -- the first tap went with the old detector
    input_at(90, "button", "b", 3)
    sys.run()
    T.eq(#got, 1)
    T.eq(inputs_of(got[1]), { "b:2", "b:3" })
end)

-- A handle of the wrong kind is an error; one that names no detector (removed already,
-- or never made) is answered with false.
T.case("gesture remove checks its handle", function()
    T.raises("gesture.remove: argument #1 'handle' must be an integer >= 1 (got \"1\")", gesture.remove, "1")
    T.raises("gesture.remove: argument #1 'handle' must be an integer >= 1 (got nil)", gesture.remove)
    local line = debug.getinfo(1, "l").currentline; local _, err = pcall(function() gesture.remove(0) end)
    T.ok(err:find(":" .. line .. ":", 1, true), "blames the caller: " .. err)
    local handle = gesture.double_tap { input = "button", output = "double", window = 200 }
    T.eq({ gesture.remove(handle + 0.0), gesture.remove(handle), gesture.remove(4321) }, { true, false, false })
end)

T.case("gesture rejects bad options", function()
    T.raises("gesture.double_tap: argument #1 'opts' must be a table (got nil)", gesture.double_tap)
    T.raises("gesture.double_tap: argument #1 'opts.input' must be a topic or a non-empty list of topics (got nil)",
        gesture.double_tap, { output = "o", window = 10 })
    T.raises("gesture.double_tap: argument #1 'opts.input[2]' must be a string (got 5)",
        gesture.double_tap, { input = { "a", 5 }, output = "o", window = 10 })
    T.raises("gesture.double_tap: argument #1 'opts.output' must be a string (got nil)",
        gesture.double_tap, { input = "i", window = 10 })
    T.raises("gesture.double_tap: argument #1 'opts.window' must be an integer >= 1 (got 0)",
        gesture.double_tap, { input = "i", output = "o", window = 0 })
    T.raises("gesture.double_tap: argument #1 'opts.meta' must be a table or nil (got \"x\")",
        gesture.double_tap, { input = "i", output = "o", window = 10, meta = "x" })
    T.raises("gesture.double_tap: argument #1 'opts.count' must not be set: no such field (got 2)",
        gesture.double_tap, { input = "i", output = "o", window = 10, count = 2 })
    T.raises("gesture.simultaneous: argument #1 'opts.count' must be an integer >= 2 (got 1)",
        gesture.simultaneous, { input = "i", output = "o", window = 10, count = 1 })
    T.raises("gesture.sequence: argument #1 'opts.steps' must be a non-empty list of matchers (got an empty table)",
        gesture.sequence, { input = "i", output = "o", steps = {} })
    T.raises("gesture.sequence: argument #1 'opts.timeout' must be an integer >= 1 (got -1)",
        gesture.sequence, { input = "i", output = "o", steps = { 1 }, timeout = -1 })
    -- Errors blame the line that called the detector, the shared options and a kind's own
    -- (checked in gesture/<kind>.lua) alike.
    local line = debug.getinfo(1, "l").currentline; local _, shared = pcall(function() gesture.simultaneous {} end)
    local _, own = pcall(function() gesture.simultaneous { input = "i", output = "o", window = 0, count = 2 } end)
    T.ok(shared:find(":" .. line .. ":", 1, true), "blames the caller: " .. shared)
    T.ok(own:find(":" .. line + 1 .. ":", 1, true), "blames the caller: " .. own)
end)

T.case("gesture keeps no option-checking code after making a detector", function()
    local handle = gesture.double_tap { input = "i", output = "o", window = 10 }
    T.eq(package.loaded["gesture.options"], nil)
    gesture.remove(handle)
end)
