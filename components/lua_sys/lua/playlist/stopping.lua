-- Stopping several runs at once, by playlist (playlist.remove) or by interrupt topic,
-- and the interrupt topics' subscriptions: playlist.lua loads this file the first time
-- a run with interrupts starts or a playlist is removed, and calls what it returns
-- with `core`, its state and helpers (runs, stop_run), which returns `core` with
-- stop_runs, watch and unwatch added (the first call adds them).

local sys = require "sys"

---@param core table
---@return table core
return function(core)
    if core.stop_runs then return core end
    local runs, stop_run = core.runs, core.stop_run
    local watchers = {} -- [interrupt topic] = { fn = subscriber, count = runs watching }

    --- Stops, in the order they started (so that their playlist.stopped events come in
    --- a deterministic order), the runs of `handle`, or, when `interrupted_by` is given,
    --- the runs that watch its event.
    ---@param reason string
    ---@param handle integer|nil
    ---@param interrupted_by {event: string, payload: any}|nil
    function core.stop_runs(reason, handle, interrupted_by)
        local ids = {}
        for id, run in pairs(runs) do
            if run.handle == handle or interrupted_by and run.def.interrupt_set[interrupted_by.event] then
                ids[#ids + 1] = id
            end
        end
        table.sort(ids)
        for _, id in ipairs(ids) do
            local run = runs[id]
            if run then stop_run(run, reason, interrupted_by) end
        end
    end

    -- One subscription per interrupt topic, shared by all the runs that watch it and
    -- dropped when the last of them stops.
    function core.watch(topics)
        for _, topic in ipairs(topics) do
            local w = watchers[topic]
            if not w then
                w = { count = 0, fn = function(payload)
                    core.stop_runs("interrupted", nil, { event = topic, payload = payload })
                end }
                watchers[topic] = w
                sys.subscribe(topic, w.fn)
            end
            w.count = w.count + 1
        end
    end

    function core.unwatch(topics)
        for _, topic in ipairs(topics) do
            local w = watchers[topic]
            w.count = w.count - 1
            if w.count == 0 then
                sys.unsubscribe(topic, w.fn)
                watchers[topic] = nil
            end
        end
    end

    return core
end
