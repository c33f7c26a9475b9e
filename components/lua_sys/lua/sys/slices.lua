-- Times tasks' slices: a handle's statistics (sys/tasks.lua) and the trace hook's "run"
-- events (sys.setTrace). Loaded by the first of them; until then the core resumes
-- tasks without reading the clock.

local core = require "sys.core"
local labels = require "sys.labels"

local co_resume, micros = coroutine.resume, rtos.micros
local hooks, handles, MASK = core.hooks, core.handles, core.heap.MASK

-- Runs task `co`'s slice in place of coroutine.resume (core's hooks.resume).
local function timed(co, ...)
    local handle, trace = handles[co], hooks.trace
    if not (handle or trace) then return co_resume(co, ...) end
    local started = micros()
    -- The label is taken before the slice: a task that ends in it has no frames left.
    local label = trace and labels.task_label(co)
    local ok, err = co_resume(co, ...)
    local ran = (micros() - started) & MASK
    if handle then
        -- Totals in ms plus a µs remainder: a µs total would wrap after 36 minutes
        -- of running on the device's 32-bit integers.
        local us = handle.run_us_part + ran
        handle.slices = handle.slices + 1
        handle.run_ms, handle.run_us_part = handle.run_ms + us // 1000, us % 1000
        if ran > handle.run_us_max then handle.run_us_max = ran end
    end
    if trace then trace("run", label, started, ran) end
    return ok, err
end
hooks.resume = timed

return {}
