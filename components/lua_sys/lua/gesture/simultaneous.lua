-- gesture.simultaneous (loaded by gesture.lua on first use; docs/gesture.md).

local sys = require "sys"

local millis = rtos.millis

---@class gesture.SimultaneousOptions: gesture.Options
---@field count integer           distinct producers needed, >= 2
---@field window integer          ms, >= 1: all of them within this time
---@field match? gesture.Matcher  which inputs count (default: all)

--- Inputs from `count` distinct producers within `window` ms make one gesture; the
--- detector then starts afresh. A producer's repeated input replaces its earlier one.
---@param d gesture.Detector
---@return fun(input: table)
return function(d)
    local count, window, key = d.count, d.window, d.key
    local held, held_at = {}, {} -- the latest input of each producer in the window, oldest first
    return function(input)
        local producer, now, kept = key(input), millis(), 0
        for i = 1, #held do
            local h = held[i]
            if sys.ticksDiff(now, held_at[i]) <= window and key(h) ~= producer then
                kept = kept + 1
                held[kept], held_at[kept] = h, held_at[i]
            end
        end
        for i = #held, kept + 1, -1 do held[i], held_at[i] = nil, nil end
        held[kept + 1], held_at[kept + 1] = input, now
        if kept + 1 >= count then
            d:emit(nil, held)
            held, held_at = {}, {}
        end
    end
end
