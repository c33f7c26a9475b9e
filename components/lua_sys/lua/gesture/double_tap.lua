-- gesture.double_tap (loaded by gesture.lua on first use; docs/gesture.md).

local sys = require "sys"

local millis = rtos.millis

---@class gesture.DoubleTapOptions: gesture.Options
---@field window integer          ms, >= 1: the most time between the two taps
---@field match? gesture.Matcher  which inputs count as taps (default: all)

--- Two inputs from one producer within `window` ms make a double tap. The second
--- tap is consumed: a third one starts a new pair.
---@param d gesture.Detector
---@return fun(input: table)
return function(d)
    local window, key_of = d.window, d.key
    local first, first_at = {}, {} -- [producer] = the pending first tap, its time
    return function(input)
        local key, now = key_of(input), millis()
        local tap = first[key]
        if tap and sys.ticksDiff(now, first_at[key]) <= window then
            first[key], first_at[key] = nil, nil
            d:emit(input.producer, { tap, input })
        else
            first[key], first_at[key] = input, now
        end
    end
end
