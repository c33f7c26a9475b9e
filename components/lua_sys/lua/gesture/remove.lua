-- gesture.remove: gesture.lua loads this file the first time gesture.remove is looked
-- up and calls what it returns with its table of detectors.

local sys = require "sys"

---@param detectors table<integer, {topics: string[], subscriber: function}>
return function(detectors)
    --- Removes a detector: unsubscribes it and drops its pending state. A handle that
    --- is no integer >= 1 is an error.
    ---@param handle integer
    ---@return boolean removed false if no detector has the handle (now)
    return function(handle)
        local d = detectors[handle]
        if not d then
            require("sys.check").integer("gesture.remove", 1, "handle", handle, 1)
            return false
        end
        sys.unsubscribe(d.topics, d.subscriber)
        detectors[handle] = nil
        return true
    end
end
