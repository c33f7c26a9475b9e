-- Managing registered playlists (playlist.update, remove, list) and looking at runs
-- (playlist.stop, running, join): playlist.lua loads this file the first time one of them is looked
-- up and calls what it returns with the module and `core`, its state and helpers
-- (defs, runs, normalise, registered, stop_run).

local sys = require "sys"

local millis, MAX_MS, running_task = rtos.millis, require("sys.heap").MAX_MS, require("sys.core").running_task

-- What remove, stop and running answer for a handle or run id that names nothing
-- registered or playing: false for an integer >= 1 (a run ends by itself), the
-- argument error for anything else. Called as a tail call, so the error blames the
-- caller of the public function.
local function none(fname, name, value)
    require("sys.check").integer(fname, 1, name, value, 1)
    return false
end

---@param playlist table
---@param core table
return function(playlist, core)
    local defs, runs = core.defs, core.runs

    --- Replaces a definition, keeping its handle. Runs in progress finish with the
    --- definition they started with.
    ---@param handle integer
    ---@param def playlist.Definition
    function playlist.update(handle, def)
        local old = core.registered("playlist.update", handle)
        local norm = core.normalise("playlist.update", def)
        if old.trigger then sys.unsubscribe(old.trigger, old.on_trigger) end
        norm.on_trigger = old.on_trigger
        defs[handle] = norm
        if norm.trigger then sys.subscribe(norm.trigger, norm.on_trigger) end
    end

    --- Removes a definition; its runs in progress stop as "cancelled". A handle that is
    --- no integer >= 1 is an error.
    ---@param handle integer
    ---@return boolean removed false if the handle was not registered (now)
    function playlist.remove(handle)
        local def = defs[handle]
        if not def then return none("playlist.remove", "handle", handle) end
        require("playlist.stopping")(core).stop_runs("cancelled", handle)
        if def.trigger then sys.unsubscribe(def.trigger, def.on_trigger) end
        defs[handle] = nil
        return true
    end

    --- The registered playlists, by handle.
    ---@return {handle: integer, name: string, trigger: string|nil, runs: integer}[]
    function playlist.list()
        local playing = {}
        for _, run in pairs(runs) do playing[run.handle] = (playing[run.handle] or 0) + 1 end
        local out = {}
        for handle, def in pairs(defs) do
            out[#out + 1] = { handle = handle, name = def.name, trigger = def.trigger,
                runs = playing[handle] or 0 }
        end
        table.sort(out, function(a, b) return a.handle < b.handle end)
        return out
    end

    --- Stops a run; it publishes playlist.stopped with reason "cancelled". A run id that
    --- is no integer >= 1 is an error.
    ---@param run_id integer
    ---@return boolean stopped false if the run was not playing
    function playlist.stop(run_id)
        local run = runs[run_id]
        if not run then return none("playlist.stop", "run_id", run_id) end
        core.stop_run(run, "cancelled")
        return true
    end

    --- True while the run plays. A run id that is no integer >= 1 is an error.
    ---@param run_id integer
    ---@return boolean
    function playlist.running(run_id)
        if runs[run_id] then return true end
        return none("playlist.running", "run_id", run_id)
    end

    --- Waits, in a task, until a run stops.
    ---@param run_id integer
    ---@param timeout? integer ms, 0..sys.heap.MAX_MS (2^29); nil waits with no limit
    ---@return boolean stopped false on timeout
    ---@return string|nil reason why it stopped; nil if it had stopped before join was called
    function playlist.join(run_id, timeout)
        if not runs[run_id] and (math.type(run_id) ~= "integer" or run_id < 1) then
            require("sys.check").integer("playlist.join", 1, "run_id", run_id, 1)
        end
        if timeout ~= nil and (math.type(timeout) ~= "integer" or timeout < 0 or timeout > MAX_MS) then
            timeout = require("sys.check").integer("playlist.join", 2, "timeout", timeout, 0, MAX_MS, 2)
        end
        running_task("playlist.join")
        local deadline = timeout and sys.ticksAdd(millis(), timeout)
        while runs[run_id] do
            local left = deadline and sys.ticksDiff(deadline, millis())
            if left and left <= 0 then return false end
            local ok, stopped = sys.waitUntil("playlist.stopped", left)
            if ok and stopped.run == run_id then return true, stopped.reason end
        end
        return true
    end
end
