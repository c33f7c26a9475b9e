-- gesture.sequence (loaded by gesture.lua on first use; docs/gesture.md).

local sys = require "sys"

local millis = rtos.millis

---@class gesture.SequenceOptions: gesture.Options
---@field steps gesture.Matcher[]  what each input of the sequence must match, in order
---@field timeout? integer         ms, >= 1: the most time between two inputs of a sequence

--- Inputs from one producer matching `steps` in order make a sequence (the Konami
--- code, say). An input that breaks a sequence may begin another: progress falls
--- back to the longest run of recent inputs that still matches a beginning of
--- `steps`, so "up up up down ..." is recognised. Predicates may therefore see an
--- input more than once and should have no side effects.
---@param d gesture.Detector
---@return fun(input: table)
return function(d)
    local steps, timeout, matches = d.steps, d.timeout, d.matches
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

    return function(input)
        local key = d.key(input)
        local ok, done = pcall(advance, key, input, millis())
        if not ok then
            -- A predicate failed. Left in the progress, the input would make it
            -- fail again on every later input of this producer: start over.
            progress[key], last_at[key] = nil, nil
            error(done, 0)
        end
        if done then d:emit(input.producer, done) end
    end
end
