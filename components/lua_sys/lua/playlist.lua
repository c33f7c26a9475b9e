-- playlist: named, timed sequences of published events.
--
-- A definition lists steps (event, payload, producer, offset, repeat, interval).
-- A run plays them: step i is published at run start + offset, and again at
-- + interval, + 2 * interval ... `repeat` more times. Every emission time is
-- computed from the run's start, never accumulated, so in virtual time each lands
-- on its exact millisecond and in real time lateness does not add up.
--
-- Each run has one sys timer at a time, armed for its next emission. The timer's
-- function is the shared `tick` with the run id as argument: no closure per run,
-- and by sys's rule (same function, same arguments) re-arming replaces it.
--
-- Lifecycle events, each with one table argument:
--   playlist.created  {run, handle, name, meta, context, steps}
--   playlist.emitted  {run, handle, name, step, event, offset, repeat, payload}
--   playlist.stopped  {run, handle, name, reason, context, interrupt?}
-- then the definition's completion_event {run, handle, name, context} when the run
-- completed. Reasons: "completed", "cancelled", "interrupted".
--
-- This file holds what registering and playing need; a definition's validation is in
-- playlist/define.lua, loaded when a register or update needs it and not kept. update,
-- remove, list, stop, running and join are in playlist/manage.lua, loaded the first time one of them
-- is looked up, and stopping runs by playlist or by interrupt in playlist/stopping.lua;
-- both are handed `core`, this file's state, which scripts never see.
-- sys.check, with its messages, is loaded when an argument is wrong (and by
-- playlist/define.lua).

local sys = require "sys"

local millis = rtos.millis

local playlist = {}

---@class playlist.Step
---@field event string               topic the step publishes
---@field payload? table             published as the single argument; producer is added
---@field producer? any              who the event claims to come from
---@field offset? integer            ms from run start, >= 0 (default 0)
---@field repeat? integer            further emissions after the first, >= 0 (default 0)
---@field interval? integer          ms between emissions, >= 1; required when repeat > 0

---@class playlist.Definition
---@field name string
---@field steps playlist.Step[]      at least one
---@field trigger? string            a publish on this topic starts a run
---@field interrupts? string[]       a publish on any of these stops every run as "interrupted"
---@field completion_event? string   published when a run completes
---@field meta? table                passed along in playlist.created

local defs = {}      -- [handle] = normalised definition
local runs = {}      -- [run id] = run
local last_handle, last_run = 0, 0

local core = { defs = defs, runs = runs }

------------------------------------------------------------------------------------
-- Definitions
------------------------------------------------------------------------------------

-- Validating is needed only while registering or updating, so its code
-- (playlist/define.lua) is not kept: package.loaded forgets it, and `validator` holds
-- it weakly, so that registrations in a row load it once and the next garbage
-- collection frees it.
local validator = setmetatable({}, { __mode = "v" })

-- Returns a private, validated copy of `def`.
function core.normalise(fname, def)
    local normalise = validator[1] or require "playlist.define"
    package.loaded["playlist.define"], validator[1] = nil, normalise
    return normalise(fname, def)
end

--- The definition registered under `handle`, or the argument error of `fname`.
function core.registered(fname, handle)
    local def = defs[handle]
    if not def then require("sys.check").fail(fname, 1, "handle", "be a registered playlist handle", handle, 4) end
    return def
end

--- Registers a definition. A definition with a trigger starts a run on every
--- publish of the trigger topic, with context `{event = trigger, payload = arg}`.
---@param def playlist.Definition
---@return integer handle stable for the life of the playlist, updates included
function playlist.register(def)
    local norm = core.normalise("playlist.register", def)
    last_handle = last_handle + 1
    local handle = last_handle
    -- The trigger's subscriber is kept across updates (update moves it to the new
    -- definition), so it can always be unsubscribed. Stored before subscribing, so a
    -- trigger can never find the playlist missing.
    norm.on_trigger = function(payload)
        playlist.start(handle, { event = defs[handle].trigger, payload = payload })
    end
    defs[handle] = norm
    if norm.trigger then sys.subscribe(norm.trigger, norm.on_trigger) end
    return handle
end

------------------------------------------------------------------------------------
-- Runs
------------------------------------------------------------------------------------

---@class playlist.Run
---@field id integer
---@field handle integer
---@field def table        the normalised definition the run started with
---@field start integer    rtos.millis() at start
---@field due (integer|false)[]  [step] = offset of its next emission, false when done
---@field context any
---@field timer integer  the sys timer armed for its next emission

local function stop_run(run, reason, interrupted_by)
    local def = run.def
    runs[run.id] = nil
    sys.timerStop(run.timer)
    if def.interrupts[1] then core.unwatch(def.interrupts) end
    sys.publish("playlist.stopped", { run = run.id, handle = run.handle, name = def.name,
        reason = reason, context = run.context, interrupt = interrupted_by })
    if reason == "completed" and def.completion_event then
        sys.publish(def.completion_event, { run = run.id, handle = run.handle, name = def.name,
            context = run.context })
    end
end
core.stop_run = stop_run

-- Emits what is due, then re-arms the run's timer or completes the run.
local function tick(id)
    local run = runs[id]
    local steps, due = run.def.steps, run.due
    local elapsed = sys.ticksDiff(millis(), run.start)
    while true do
        local next_step, next_at = nil, nil
        for i = 1, #steps do
            local at = due[i]
            if at and (not next_at or at < next_at) then next_step, next_at = i, at end
        end
        if not next_step then return stop_run(run, "completed") end
        if next_at > elapsed then
            -- The clock read again: publishing took time. If it took past next_at (a GC
            -- step, say), the step is due now, not in a negative number of ms.
            local delay = next_at - sys.ticksDiff(millis(), run.start)
            run.timer = sys.timerStart(tick, delay > 0 and delay or 0, id)
            return
        end
        local step = steps[next_step]
        local index = step.interval and (next_at - step.offset) // step.interval or 0
        sys.publish(step.event, step.payload)
        sys.publish("playlist.emitted", { run = id, handle = run.handle, name = run.def.name,
            step = next_step, event = step.event, offset = next_at, ["repeat"] = index,
            payload = step.payload })
        due[next_step] = index < step["repeat"] and next_at + step.interval
    end
end


--- Starts a run. Several runs of one playlist may play at once.
---@param handle integer
---@param context? any  handed back in the lifecycle events
---@return integer run_id
function playlist.start(handle, context)
    local def = core.registered("playlist.start", handle)
    last_run = last_run + 1
    local id = last_run
    local due = {}
    for i, step in ipairs(def.steps) do due[i] = step.offset end
    local run = { id = id, handle = handle, def = def, start = millis(), due = due, context = context }
    runs[id] = run
    -- The interrupt topics' subscriptions are in playlist/stopping.lua, which adds
    -- watch, unwatch and stop_runs to core the first time it is called.
    if def.interrupts[1] then require("playlist.stopping")(core).watch(def.interrupts) end
    sys.publish("playlist.created", { run = id, handle = handle, name = def.name, meta = def.meta,
        context = context, steps = def.steps })
    -- Through a timer even at offset 0, so start() returns before anything plays.
    run.timer = sys.timerStart(tick, def.steps[1].offset, id)
    return id
end

-- Any other name looked up loads playlist/manage.lua once; from then on playlist is a
-- plain table.
setmetatable(playlist, {
    __index = function(_, name)
        setmetatable(playlist, nil)
        require("playlist.manage")(playlist, core)
        return playlist[name]
    end,
})

return playlist
