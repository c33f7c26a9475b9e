-- playlist's definitions, validated and normalised: what playlist.register and
-- playlist.update call. playlist.lua loads this file when they need it and does not
-- keep it (its code is needed only then).

local check = require "sys.check"

local DEF_FIELDS = { name = true, steps = true, trigger = true, interrupts = true,
    completion_event = true, meta = true }
local STEP_FIELDS = { event = true, payload = true, producer = true, offset = true,
    ["repeat"] = true, interval = true }

-- Validation runs two calls below the public function (register or update; playlist.lua
-- tail-calls this file's function, which adds no level): checks blame at level 4 from
-- normalise_step, 3 from normalise (sys/check.lua).
local function normalise_step(fname, where, step)
    check.type(fname, 1, where, step, "table", nil, 4)
    check.fields(fname, 1, where, step, STEP_FIELDS, 4)
    local event = check.type(fname, 1, where .. ".event", step.event, "string", nil, 4)
    check.type(fname, 1, where .. ".payload", step.payload, "table", true, 4)
    local offset = check.integer(fname, 1, where .. ".offset", step.offset or 0, 0, nil, 4)
    local rep = check.integer(fname, 1, where .. ".repeat", step["repeat"] or 0, 0, nil, 4)
    local interval = step.interval
    if interval ~= nil or rep > 0 then
        interval = check.integer(fname, 1, where .. ".interval", interval, 1, nil, 4)
    end
    -- The published table is built once here and shared by every emission, so a
    -- playing step makes no garbage of its own.
    local payload = {}
    if step.payload then
        for k, v in pairs(step.payload) do payload[k] = v end
    end
    if step.producer ~= nil then payload.producer = step.producer end
    return { event = event, payload = payload, producer = step.producer, offset = offset,
        ["repeat"] = rep, interval = interval }
end

-- Returns a private, validated copy of `def`: the caller may change or reuse its
-- table afterwards without touching runs in progress.
---@param fname string "playlist.register" or "playlist.update", for the messages
---@param def playlist.Definition
return function(fname, def)
    check.type(fname, 1, "def", def, "table", nil, 3)
    check.fields(fname, 1, "def", def, DEF_FIELDS, 3)
    local name = check.type(fname, 1, "def.name", def.name, "string", nil, 3)
    local trigger = check.type(fname, 1, "def.trigger", def.trigger, "string", true, 3)
    check.type(fname, 1, "def.completion_event", def.completion_event, "string", true, 3)
    check.type(fname, 1, "def.meta", def.meta, "table", true, 3)
    check.type(fname, 1, "def.steps", def.steps, "table", nil, 3)
    if #def.steps == 0 then
        check.fail(fname, 1, "def.steps", "be a non-empty list of steps", def.steps, 4, "an empty table")
    end
    local steps = {}
    for i, step in ipairs(def.steps) do
        steps[i] = normalise_step(fname, "def.steps[" .. i .. "]", step)
    end
    -- Sorted by offset with an insertion sort, which (unlike table.sort) is stable:
    -- steps due at the same time are emitted in the order they were listed.
    for i = 2, #steps do
        local s, j = steps[i], i - 1
        while j >= 1 and steps[j].offset > s.offset do
            steps[j + 1], j = steps[j], j - 1
        end
        steps[j + 1] = s
    end
    local interrupts, interrupt_set = {}, {}
    check.type(fname, 1, "def.interrupts", def.interrupts, "table", true, 3)
    for i, topic in ipairs(def.interrupts or interrupts) do
        local where = "def.interrupts[" .. i .. "]"
        check.type(fname, 1, where, topic, "string", nil, 3)
        -- A run would stop on the very event that started it.
        if topic == trigger then check.fail(fname, 1, where, "not be the trigger", topic, 4) end
        interrupts[i], interrupt_set[topic] = topic, true
    end
    return { name = name, steps = steps, trigger = trigger, interrupts = interrupts,
        interrupt_set = interrupt_set, completion_event = def.completion_event, meta = def.meta }
end
