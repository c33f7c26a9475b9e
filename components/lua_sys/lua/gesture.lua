-- gesture: virtual peripherals that turn input events into higher-level ones.
--
-- An input is published as `sys.publish(topic, {producer = ..., value = ..., ...})`.
-- A detector subscribes to its input topic(s) and publishes on its output topic one
-- table: { kind, name, meta, producer (for per-producer detectors), inputs } where
-- `inputs` are the raw input tables that made up the gesture, oldest first.
-- Payloads that are not tables are not inputs and are ignored.
--
-- A detector's pending state lives in the closure it subscribes with, so removing
-- the subscription releases the state too.

local sys = require "sys"
local check = require "sys.check"

local millis = rtos.millis

local gesture = {}

---@alias gesture.Matcher any|fun(input: table): boolean  a value compared with input.value, or a predicate

---@class gesture.Options
---@field input string|string[]   topic(s) to listen to; several topics feed one detector
---@field output string           topic to publish gestures on
---@field name? string            defaults to the detector's kind
---@field meta? table             passed along in every gesture

---@class gesture.DoubleTapOptions: gesture.Options
---@field window integer          ms, >= 1: the most time between the two taps
---@field match? gesture.Matcher  which inputs count as taps (default: all)

---@class gesture.SimultaneousOptions: gesture.Options
---@field count integer           distinct producers needed, >= 2
---@field window integer          ms, >= 1: all of them within this time
---@field match? gesture.Matcher  which inputs count (default: all)

---@class gesture.SequenceOptions: gesture.Options
---@field steps gesture.Matcher[]  what each input of the sequence must match, in order
---@field timeout? integer         ms, >= 1: the most time between two inputs of a sequence

local COMMON_FIELDS = { input = true, output = true, name = true, meta = true }
local FIELDS = {
    double_tap = { window = true, match = true },
    simultaneous = { count = true, window = true, match = true },
    sequence = { steps = true, timeout = true },
}
for _, fields in pairs(FIELDS) do
    for k in pairs(COMMON_FIELDS) do fields[k] = true end
end

local detectors = {} -- [handle] = { topics = {...}, subscriber = fn }
local last_handle = 0

-- Inputs without a producer count as coming from one anonymous producer.
local ANONYMOUS = {}
local function producer_key(input)
    local producer = input.producer
    if producer == nil then return ANONYMOUS end
    return producer
end

local function matches(matcher, input)
    if type(matcher) == "function" then return matcher(input) end
    return input.value == matcher
end

-- Validates what every detector shares; returns the emitter's settings.
local function common(fname, kind, opts)
    check.type(fname, 1, "opts", opts, "table", nil, 3)
    check.fields(fname, 1, "opts", opts, FIELDS[kind], 3)
    local input, topics = opts.input, {}
    if type(input) == "string" then
        topics[1] = input
    elseif type(input) == "table" and #input > 0 then
        for i, topic in ipairs(input) do
            topics[i] = check.type(fname, 1, "opts.input[" .. i .. "]", topic, "string", nil, 3)
        end
    else
        check.fail(fname, 1, "opts.input", "be a topic or a non-empty list of topics", input, 4)
    end
    return {
        topics = topics,
        kind = kind,
        output = check.type(fname, 1, "opts.output", opts.output, "string", nil, 3),
        name = check.type(fname, 1, "opts.name", opts.name, "string", true, 3) or kind,
        meta = check.type(fname, 1, "opts.meta", opts.meta, "table", true, 3),
    }
end

local function emit(d, producer, inputs)
    sys.publish(d.output, { kind = d.kind, name = d.name, meta = d.meta, producer = producer,
        inputs = inputs })
end

local function attach(d, on_input)
    local function subscriber(input)
        if type(input) == "table" then on_input(input) end
    end
    sys.subscribe(d.topics, subscriber)
    last_handle = last_handle + 1
    detectors[last_handle] = { topics = d.topics, subscriber = subscriber }
    return last_handle
end

--- Two inputs from one producer within `window` ms make a double tap. The second
--- tap is consumed: a third one starts a new pair.
---@param opts gesture.DoubleTapOptions
---@return integer handle
function gesture.double_tap(opts)
    local d = common("gesture.double_tap", "double_tap", opts)
    local window = check.integer("gesture.double_tap", 1, "opts.window", opts.window, 1, nil, 2)
    local match = opts.match
    local first, first_at = {}, {} -- [producer] = the pending first tap, its time
    return attach(d, function(input)
        if match ~= nil and not matches(match, input) then return end
        local key, now = producer_key(input), millis()
        local tap = first[key]
        if tap and sys.ticksDiff(now, first_at[key]) <= window then
            first[key], first_at[key] = nil, nil
            emit(d, input.producer, { tap, input })
        else
            first[key], first_at[key] = input, now
        end
    end)
end

--- Inputs from `count` distinct producers within `window` ms make one gesture; the
--- detector then starts afresh. A producer's repeated input replaces its earlier one.
---@param opts gesture.SimultaneousOptions
---@return integer handle
function gesture.simultaneous(opts)
    local d = common("gesture.simultaneous", "simultaneous", opts)
    local count = check.integer("gesture.simultaneous", 1, "opts.count", opts.count, 2, nil, 2)
    local window = check.integer("gesture.simultaneous", 1, "opts.window", opts.window, 1, nil, 2)
    local match = opts.match
    local held, held_at = {}, {} -- the latest input of each producer in the window, oldest first
    return attach(d, function(input)
        if match ~= nil and not matches(match, input) then return end
        local key, now, kept = producer_key(input), millis(), 0
        for i = 1, #held do
            local h = held[i]
            if sys.ticksDiff(now, held_at[i]) <= window and producer_key(h) ~= key then
                kept = kept + 1
                held[kept], held_at[kept] = h, held_at[i]
            end
        end
        for i = #held, kept + 1, -1 do held[i], held_at[i] = nil, nil end
        held[kept + 1], held_at[kept + 1] = input, now
        if kept + 1 >= count then
            emit(d, nil, held)
            held, held_at = {}, {}
        end
    end)
end

--- Inputs from one producer matching `steps` in order make a sequence (the Konami
--- code, say). An input that breaks a sequence may begin another: progress falls
--- back to the longest run of recent inputs that still matches a beginning of
--- `steps`, so "up up up down ..." is recognised. Predicates may therefore see an
--- input more than once and should have no side effects.
---@param opts gesture.SequenceOptions
---@return integer handle
function gesture.sequence(opts)
    local d = common("gesture.sequence", "sequence", opts)
    local steps = check.type("gesture.sequence", 1, "opts.steps", opts.steps, "table", nil, 2)
    if #steps == 0 then
        check.fail("gesture.sequence", 1, "opts.steps", "be a non-empty list of matchers", steps, 3, "an empty table")
    end
    local timeout = opts.timeout
    if timeout ~= nil then
        timeout = check.integer("gesture.sequence", 1, "opts.timeout", timeout, 1, nil, 2)
    end
    steps = { table.unpack(steps) } -- private copy
    local progress, last_at = {}, {} -- [producer] = the inputs matching steps[1..n], time of the last

    local function on_track(inputs)
        for i = 1, #inputs do
            if not matches(steps[i], inputs[i]) then return false end
        end
        return true
    end

    -- Adds the input to its producer's progress; returns the inputs when they
    -- complete the sequence.
    local function advance(key, input, now)
        local inputs = progress[key]
        if not inputs then
            inputs = {}
            progress[key] = inputs
        elseif timeout and sys.ticksDiff(now, last_at[key]) > timeout then
            for i = #inputs, 1, -1 do inputs[i] = nil end
        end
        inputs[#inputs + 1] = input
        last_at[key] = now
        while #inputs > 0 and not on_track(inputs) do table.remove(inputs, 1) end
        if #inputs == #steps or #inputs == 0 then
            progress[key], last_at[key] = nil, nil
        end
        if #inputs == #steps then return inputs end
    end

    return attach(d, function(input)
        local key = producer_key(input)
        local ok, done = pcall(advance, key, input, millis())
        if not ok then
            -- A predicate failed. Left in the progress, the input would make it
            -- fail again on every later input of this producer: start over.
            progress[key], last_at[key] = nil, nil
            error(done, 0)
        end
        if done then emit(d, input.producer, done) end
    end)
end

--- Removes a detector: unsubscribes it and drops its pending state.
---@param handle integer
---@return boolean removed false if the handle was not registered
function gesture.remove(handle)
    local d = detectors[handle]
    if not d then return false end
    sys.unsubscribe(d.topics, d.subscriber)
    detectors[handle] = nil
    return true
end

return gesture
