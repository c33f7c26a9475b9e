-- Conformance cases for playlist (components/lua_sys/lua/playlist.lua).
-- Order and counts only: these cases also run in real time. Exact emission times
-- are checked in playlist_timing.lua (virtual time only).
local T = require "harness"
local playlist = require "playlist"

-- Subscribes to `topics` and returns the list of { topic, payload } heard, in order.
local function record(topics)
    local heard = {}
    for _, topic in ipairs(topics) do
        sys.subscribe(topic, function(payload) heard[#heard + 1] = { topic, payload } end)
    end
    return heard
end

local function topics_of(heard)
    local out = {}
    for i, h in ipairs(heard) do out[i] = h[1] end
    return out
end

local COLOURS = {
    name = "colours",
    meta = { theme = "demo" },
    completion_event = "colours.done",
    steps = {
        { event = "led.colour", producer = "demo", offset = 0, payload = { colour = "red" } },
        { event = "led.colour", producer = "demo", offset = 50, payload = { colour = "green" } },
        { event = "led.colour", producer = "demo", offset = 100, payload = { colour = "blue" } },
    },
}

T.case("playlist manual run emits three colour updates", function()
    local heard = record { "led.colour", "playlist.created", "playlist.emitted", "playlist.stopped",
        "colours.done" }
    local handle = playlist.register(COLOURS)
    local run = playlist.start(handle, "by hand")
    sys.run()
    T.eq(topics_of(heard), {
        "playlist.created",
        "led.colour", "playlist.emitted",
        "led.colour", "playlist.emitted",
        "led.colour", "playlist.emitted",
        "playlist.stopped", "colours.done",
    })
    local created = heard[1][2]
    T.eq({ created.run, created.handle, created.name, created.meta, created.context, #created.steps },
        { run, handle, "colours", { theme = "demo" }, "by hand", 3 })
    T.eq(heard[2][2], { colour = "red", producer = "demo" })
    T.eq(heard[4][2], { colour = "green", producer = "demo" })
    T.eq(heard[6][2], { colour = "blue", producer = "demo" })
    local emitted = heard[5][2]
    T.eq(emitted, { run = run, handle = handle, name = "colours", step = 2, event = "led.colour",
        offset = 50, ["repeat"] = 0, payload = { colour = "green", producer = "demo" } })
    T.eq(heard[8][2], { run = run, handle = handle, name = "colours", reason = "completed",
        context = "by hand" })
    T.eq(heard[9][2], { run = run, handle = handle, name = "colours", context = "by hand" })
    T.eq(playlist.running(run), false)
end)

T.case("playlist repeats a step at its interval", function()
    local heard = record { "playlist.emitted" }
    playlist.start(playlist.register {
        name = "blink",
        steps = {
            { event = "led.on", offset = 10, ["repeat"] = 2, interval = 40 },
            { event = "led.off", offset = 30 },
        },
    })
    sys.run()
    local seen = {}
    for i, h in ipairs(heard) do seen[i] = { h[2].event, h[2].offset, h[2]["repeat"] } end
    T.eq(seen, { { "led.on", 10, 0 }, { "led.off", 30, 0 }, { "led.on", 50, 1 }, { "led.on", 90, 2 } })
end)

T.case("playlist steps at the same offset play in listed order", function()
    local heard = record { "a", "b", "c" }
    playlist.start(playlist.register {
        name = "ties",
        steps = { { event = "c", offset = 20 }, { event = "a", offset = 10 }, { event = "b", offset = 10 } },
    })
    sys.run()
    T.eq(topics_of(heard), { "a", "b", "c" })
end)

T.case("playlist plays a run without interrupts from playlist.lua alone", function()
    local heard = record { "bell", "playlist.stopped" }
    playlist.start(playlist.register { name = "bell", steps = { { event = "bell", offset = 5 } } })
    sys.run()
    T.eq(topics_of(heard), { "bell", "playlist.stopped" })
    T.eq(package.loaded["playlist.stopping"], nil, "no interrupts, no removal: no playlist/stopping.lua")
    T.eq(package.loaded["playlist.manage"], nil, "no update, remove, list, stop, running or join")
end)

T.case("playlist triggered run is stopped by an interrupt event", function()
    local heard = record { "scene.light", "playlist.stopped", "scene.done" }
    playlist.register {
        name = "scene",
        trigger = "scene.start",
        interrupts = { "scene.abort", "scene.stop" },
        completion_event = "scene.done",
        steps = {
            { event = "scene.light", producer = "scene", offset = 0, payload = { level = 1 } },
            { event = "scene.light", producer = "scene", offset = 100, payload = { level = 2 } },
            { event = "scene.light", producer = "scene", offset = 250, payload = { level = 3 } },
        },
    }
    sys.timerStart(sys.publish, 10, "scene.start", { who = "button" })
    sys.timerStart(sys.publish, 170, "scene.stop", { why = "user" })
    sys.run()
    T.eq(topics_of(heard), { "scene.light", "scene.light", "playlist.stopped" })
    local stopped = heard[3][2]
    T.eq(stopped.reason, "interrupted")
    T.eq(stopped.interrupt, { event = "scene.stop", payload = { why = "user" } })
    T.eq(stopped.context, { event = "scene.start", payload = { who = "button" } })
    T.ok(package.loaded["playlist.stopping"] ~= nil, "interrupts load playlist/stopping.lua")
end)

T.case("playlist trigger starts a run on every publish", function()
    local heard = record { "playlist.created", "playlist.stopped" }
    playlist.register { name = "chime", trigger = "door", steps = { { event = "chime", offset = 20 } } }
    sys.timerStart(sys.publish, 10, "door", 1)
    sys.timerStart(sys.publish, 100, "door", 2)
    sys.run()
    T.eq(topics_of(heard), { "playlist.created", "playlist.stopped", "playlist.created", "playlist.stopped" })
    T.eq(heard[3][2].context, { event = "door", payload = 2 })
end)

T.case("playlist stop cancels a run", function()
    local heard = record { "tick", "playlist.stopped", "done" }
    local run = playlist.start(playlist.register {
        name = "long", completion_event = "done",
        steps = { { event = "tick", offset = 0, ["repeat"] = 10, interval = 100 } },
    })
    local results = {}
    -- Halfway between two ticks: 50 ms of margin for a loaded real-time backend.
    sys.timerStart(function()
        results[1] = playlist.stop(run)
        results[2] = playlist.stop(run)
    end, 250)
    sys.run()
    T.eq(results, { true, false }, "a second stop finds nothing to stop")
    T.eq(topics_of(heard), { "tick", "tick", "tick", "playlist.stopped" })
    T.eq(heard[4][2].reason, "cancelled")
end)

T.case("playlist several runs of one playlist play at once", function()
    local heard = record { "playlist.emitted", "playlist.stopped" }
    local handle = playlist.register {
        name = "twice", steps = { { event = "beat", offset = 0, ["repeat"] = 2, interval = 200 } },
    }
    local first, second = playlist.start(handle), nil
    -- Halfway between the first run's beats: 100 ms of margin on a loaded machine.
    sys.timerStart(function()
        second = playlist.start(handle)
        T.eq(playlist.list()[1].runs, 2, "both runs are playing")
    end, 100)
    sys.run()
    local by_run = {}
    for _, h in ipairs(heard) do
        local list = by_run[h[2].run] or {}
        by_run[h[2].run] = list
        list[#list + 1] = h[1] == "playlist.emitted" and h[2]["repeat"] or h[2].reason
    end
    T.ok(first ~= second, "distinct run ids")
    T.eq(by_run[first], { 0, 1, 2, "completed" })
    T.eq(by_run[second], { 0, 1, 2, "completed" })
    -- Interleaved, not one after the other.
    T.eq(heard[2][2].run, second)
end)

T.case("playlist join waits for a run to finish", function()
    local handle = playlist.register { name = "short", steps = { { event = "x", offset = 60 } } }
    local results = {}
    sys.taskInit(function()
        local run = playlist.start(handle)
        results[1] = { playlist.join(run, 20) }
        results[2] = { playlist.join(run) }
        results[3] = { playlist.join(run, 10) }
        local other = playlist.start(handle)
        sys.timerStart(playlist.stop, 10, other)
        results[4] = { playlist.join(other, 500) }
    end)
    sys.run()
    T.eq(results, { { false }, { true, "completed" }, { true }, { true, "cancelled" } })
end)

-- A timeout is a duration like any other: at most sys's longest (sys.heap.MAX_MS).
-- Past 2^30 ms the deadline was half the clock's circle away and join returned false at
-- once while the run still played.
T.case("playlist join takes timeouts up to sys's longest and names itself outside a task", function()
    local MAX_MS = require("sys.heap").MAX_MS
    local handle = playlist.register { name = "short", steps = { { event = "x", offset = 30 } } }
    local run = playlist.start(handle)
    T.raises("playlist.join: called outside a task", playlist.join, run)
    local results
    sys.taskInit(function()
        T.raises("playlist.join: argument #2 'timeout' must be an integer 0..536870912 (got 1073741824)",
            playlist.join, run, 1 << 30)
        T.raises("playlist.join: argument #2 'timeout' must be an integer 0..536870912 (got 536870913)",
            playlist.join, run, MAX_MS + 1)
        results = { playlist.join(run, MAX_MS) }
    end)
    sys.run()
    T.eq(results, { true, "completed" }, "the longest timeout waits for the run")
end)

-- A tick reads the clock twice: to emit what is due, then to arm the timer for the next
-- step. Time passes between the two (publishing, a GC step on the device); when it
-- passes the next step's time the timer is armed at 0 ms. It was armed at a negative
-- delay: sys.timerStart raised inside the tick and the run played for ever.
T.case("playlist arms its next step at once when the clock passed it during a tick", function()
    local real = rtos.millis
    local lag = 0
    -- The clock playlist.lua reads (it keeps rtos.millis when loaded): each reading
    -- comes 5 ms after the one before, as if every reading waited for a GC step.
    rtos.millis = function()
        lag = lag + 5
        return sys.ticksAdd(real(), lag)
    end
    package.loaded.playlist, package.loaded["playlist.manage"] = nil, nil
    local loaded, slow = pcall(require, "playlist")
    rtos.millis = real
    T.ok(loaded, slow)
    local heard = record { "e", "playlist.stopped" }
    local run = slow.start(slow.register { name = "slow", steps = { { event = "e", ["repeat"] = 9, interval = 2 } } })
    sys.run()
    T.eq(topics_of(heard), { "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "playlist.stopped" })
    T.eq(heard[11][2].reason, "completed")
    T.eq(slow.running(run), false)
end)

T.case("playlist update keeps the handle and rebinds the trigger", function()
    local heard = record { "playlist.created" }
    local handle = playlist.register { name = "v1", trigger = "go.a", steps = { { event = "e" } } }
    playlist.update(handle, { name = "v2", trigger = "go.b", steps = { { event = "e" } } })
    T.eq(playlist.list(), { { handle = handle, name = "v2", trigger = "go.b", runs = 0 } })
    sys.timerStart(sys.publish, 10, "go.a")
    sys.timerStart(sys.publish, 20, "go.b")
    sys.run()
    T.eq(#heard, 1, "only the new trigger starts a run")
    T.eq(heard[1][2].name, "v2")
end)

T.case("playlist update leaves runs in progress on their definition", function()
    local heard = record { "old", "new" }
    local handle = playlist.register { name = "p", steps = { { event = "old", offset = 0, ["repeat"] = 2, interval = 30 } } }
    playlist.start(handle)
    sys.timerStart(function()
        playlist.update(handle, { name = "p", steps = { { event = "new" } } })
    end, 40)
    sys.run()
    T.eq(topics_of(heard), { "old", "old", "old" })
end)

T.case("playlist remove cancels its runs and drops its trigger", function()
    local heard = record { "playlist.created", "playlist.stopped" }
    local handle = playlist.register {
        name = "gone", trigger = "go", steps = { { event = "e", offset = 100 } },
    }
    local run = playlist.start(handle)
    T.eq(playlist.remove(handle), true)
    T.eq(playlist.remove(handle), false, "already removed")
    T.eq(playlist.list(), {})
    sys.timerStart(sys.publish, 10, "go")
    sys.run()
    T.eq(topics_of(heard), { "playlist.created", "playlist.stopped" })
    T.eq({ heard[2][2].run, heard[2][2].reason }, { run, "cancelled" })
end)

T.case("playlist copies the definition at register", function()
    local heard = record { "mine" }
    local def = { name = "copy", steps = { { event = "mine", payload = { n = 1 } } } }
    local handle = playlist.register(def)
    def.steps[1].event = "other"
    def.steps[1].payload.n = 2
    playlist.start(handle)
    sys.run()
    T.eq(heard, { { "mine", { n = 1 } } })
end)

T.case("playlist rejects bad definitions and handles", function()
    local function reg(def) return playlist.register(def) end
    local function steps(step) return { name = "p", steps = { { event = "ok" }, step } } end
    T.raises("playlist.register: argument #1 'def' must be a table (got \"p\")", reg, "p")
    T.raises("playlist.register: argument #1 'def.name' must be a string (got nil)", reg, { steps = {} })
    T.raises("playlist.register: argument #1 'def.steps' must be a non-empty list of steps (got an empty table)",
        reg, { name = "p", steps = {} })
    T.raises("playlist.register: argument #1 'def.steps[2].offset' must be an integer >= 0 (got -5)",
        reg, steps { event = "e", offset = -5 })
    T.raises("playlist.register: argument #1 'def.steps[2].offset' must be an integer >= 0 (got 1.5)",
        reg, steps { event = "e", offset = 1.5 })
    T.raises("playlist.register: argument #1 'def.steps[2].interval' must be an integer >= 1 (got nil)",
        reg, steps { event = "e", ["repeat"] = 3 })
    T.raises("playlist.register: argument #1 'def.steps[2].interval' must be an integer >= 1 (got 0)",
        reg, steps { event = "e", ["repeat"] = 3, interval = 0 })
    T.raises("playlist.register: argument #1 'def.steps[2].repeat' must be an integer >= 0 (got -1)",
        reg, steps { event = "e", ["repeat"] = -1, interval = 10 })
    T.raises("playlist.register: argument #1 'def.steps[2].event' must be a string (got nil)",
        reg, steps { offset = 10 })
    T.raises("playlist.register: argument #1 'def.steps[2].payload' must be a table or nil (got \"red\")",
        reg, steps { event = "e", payload = "red" })
    T.raises("playlist.register: argument #1 'def.steps[2].ofset' must not be set: no such field (got 10)",
        reg, steps { event = "e", ofset = 10 })
    T.raises("playlist.register: argument #1 'def.interupts' must not be set: no such field (got table)",
        reg, { name = "p", steps = { { event = "e" } }, interupts = {} })
    T.raises("playlist.register: argument #1 'def.interrupts[1]' must not be the trigger (got \"go\")",
        reg, { name = "p", trigger = "go", interrupts = { "go" }, steps = { { event = "e" } } })
    T.raises("playlist.start: argument #1 'handle' must be a registered playlist handle (got 99)",
        playlist.start, 99)
    T.raises("playlist.update: argument #1 'handle' must be a registered playlist handle (got nil)",
        playlist.update, nil, { name = "p", steps = { { event = "e" } } })
    T.raises("playlist.join: argument #2 'timeout' must be an integer 0..536870912 (got -1)",
        playlist.join, 1, -1)
    -- A run id or handle of the wrong kind is an error; one that names nothing
    -- registered or playing (a run ends by itself) is answered with false.
    T.raises("playlist.stop: argument #1 'run_id' must be an integer >= 1 (got \"1\")", playlist.stop, "1")
    T.raises("playlist.running: argument #1 'run_id' must be an integer >= 1 (got nil)", playlist.running, nil)
    T.raises("playlist.join: argument #1 'run_id' must be an integer >= 1 (got 0)", playlist.join, 0)
    T.raises("playlist.remove: argument #1 'handle' must be an integer >= 1 (got table)", playlist.remove, {})
    T.eq({ playlist.stop(4321), playlist.running(4321.0), playlist.remove(4321) }, { false, false, false },
        "ids that name nothing live")
    T.eq(playlist.list(), {}, "nothing was registered")
    -- Errors blame the caller's line, from register and from the functions that load on
    -- first use (playlist/manage.lua) alike.
    local handle = reg(steps { event = "e" })
    local line = debug.getinfo(1, "l").currentline; local _, err = pcall(function() playlist.register { name = 1 } end)
    local _, deep = pcall(function() playlist.update(handle, steps { event = "e", offset = -1 }) end)
    local _, join = pcall(function() playlist.join(1, -1) end)
    T.ok(err:find(":" .. line .. ":", 1, true), "blames the caller: " .. err)
    T.ok(deep:find(":" .. line + 1 .. ":", 1, true) and deep:find("'def.steps[2].offset'", 1, true),
        "blames the caller: " .. deep)
    T.ok(join:find(":" .. line + 2 .. ":", 1, true), "blames the caller: " .. join)
    playlist.remove(handle)
end)

T.case("playlist keeps no validation code after register and update", function()
    local handle = playlist.register { name = "p", steps = { { event = "e" } } }
    T.eq(package.loaded["playlist.define"], nil, "after register")
    playlist.update(handle, { name = "p", steps = { { event = "f" } } })
    T.eq(package.loaded["playlist.define"], nil, "after update")
    playlist.remove(handle)
end)
