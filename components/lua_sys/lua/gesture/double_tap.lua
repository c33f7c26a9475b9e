-- gesture.double_tap (loaded by gesture.lua on first use; docs/gesture.md).

local sys = require "sys"
local check = require "sys.check"

local millis = rtos.millis

---@class gesture.DoubleTapOptions: gesture.Options
---@field window integer          ms, >= 1: the most time between the two taps
---@field match? gesture.Matcher  which inputs count as taps (default: all)

return {
    fields = { window = true, match = true },

    --- Two inputs from one producer within `window` ms make a double tap. The second
    --- tap is consumed: a third one starts a new pair.
    ---@param d gesture.Detector
    ---@param opts gesture.DoubleTapOptions
    ---@param fname string
    ---@return fun(input: table)
    listen = function(d, opts, fname)
        local window = check.integer(fname, 1, "opts.window", opts.window, 1, nil, 3)
        local first, first_at = {}, {} -- [producer] = the pending first tap, its time
        return function(input)
            local key, now = d.key(input), millis()
            local tap = first[key]
            if tap and sys.ticksDiff(now, first_at[key]) <= window then
                first[key], first_at[key] = nil, nil
                d:emit(input.producer, { tap, input })
            else
                first[key], first_at[key] = input, now
            end
        end
    end,
}
