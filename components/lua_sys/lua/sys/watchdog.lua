-- The cooperative watchdog: names a task or callback that runs too long without
-- yielding, before the ESP-IDF task watchdog (5 s by default) would reset the chip.
--
-- A Lua count hook fires every CHECK_EVERY VM instructions in the loop and in every
-- task. A new coroutine inherits the C side of a hook but not its Lua function, which
-- debug.sethook keeps per thread (in a weak table), so sys hooks each task as it
-- starts: about 40 bytes per live task while the watchdog is on, and no cost per
-- slice. (Moving one hook to whichever task runs would cost two C calls per slice.)
-- The first firing of a slice notes the time; later ones compare. Past `budget` ms
-- the culprit is logged once and "SYS_WATCHDOG" is published with {name, ran_ms}; past `abort` ms an error is raised inside it, so it fails like
-- any task or callback (and its error policy applies) instead of stalling the loop.
-- The error keeps coming until the slice ends: it is raised again at every firing, and
-- while the watchdog is on the global pcall and xpcall pass it on (a user's pcall
-- around a busy loop cannot swallow it), and coroutine.create and coroutine.wrap hook
-- the coroutines they make (a busy loop inside one is watched too).
-- sys tells the watchdog when a slice starts and ends; nothing else costs time per slice.
-- Loaded on first use (sys.lua).

local core = require "sys.core"
local labels = require "sys.labels"
local log = require "log"
local check = require "sys.check"

local sys = require "sys"
local micros, hooks = rtos.micros, core.hooks
local CHECK_EVERY = 10000 -- VM instructions between clock readings
local MASK = core.heap.MASK

local co_create, co_resume, co_status, co_close = coroutine.create, coroutine.resume, coroutine.status,
    coroutine.close
local base = { pcall = pcall, xpcall = xpcall, create = coroutine.create, wrap = coroutine.wrap }

local budget_us, abort_us
local owner, started, warned
local aborting -- the error raised in the running slice: raised again until it ends

local function on_slice(what)
    owner, started, warned, aborting = what, nil, false, nil
end

local function hook()
    if not owner then return end
    if aborting then error(aborting, 2) end
    local now = micros()
    if not started then
        started = now
        return
    end
    local ran = (now - started) & MASK
    if ran >= budget_us and not warned then
        warned = true
        local name, ran_ms = labels.label_of(owner), ran // 1000
        log.warn("sys", "watchdog: " .. name .. " has run " .. ran_ms .. " ms without yielding")
        sys.publish("SYS_WATCHDOG", { name = name, ran_ms = ran_ms })
    end
    if abort_us and ran >= abort_us then
        aborting = "watchdog: " .. labels.label_of(owner) .. " ran " .. ran // 1000 .. " ms without yielding"
        error(aborting, 2)
    end
end

-- While the watchdog is on: the global pcall and xpcall, which pass an abort on.
local function pass_abort_on(ok, ...)
    if not ok and aborting then error((...), 0) end
    return ok, ...
end
local function watched_pcall(fn, ...) return pass_abort_on(base.pcall(fn, ...)) end
local function watched_xpcall(fn, handler, ...) return pass_abort_on(base.xpcall(fn, handler, ...)) end

-- The threads given the watchdog's hook, which replaced the host's stop/interrupt hook
-- (the console's; a function in the registry puts it back) or none.
local watched = setmetatable({}, { __mode = "k" })
local function watch(co)
    debug.sethook(co, hook, "", CHECK_EVERY)
    watched[co] = true
end
local function unwatch_all()
    local restore = debug.getregistry()["luasys.stop_hook"] or debug.sethook
    for co in pairs(watched) do restore(co) end
    watched = setmetatable({}, { __mode = "k" })
end

-- coroutine.create and coroutine.wrap, whose coroutines are hooked like tasks.
local function watched_create(fn)
    local co = co_create(fn)
    watch(co)
    return co
end
-- As coroutine.wrap: an error goes to the caller (a string with the caller's position),
-- and the dead coroutine is closed.
local function wrap_result(co, ok, ...)
    if ok then return ... end
    local err = ...
    if co_close and co_status(co) == "dead" then co_close(co) end
    if type(err) == "string" then error(err, 2) end
    error(err, 0)
end
local function watched_wrap(fn)
    local co = watched_create(fn)
    return function(...) return wrap_result(co, co_resume(co, ...)) end
end

local function install(on)
    _G.pcall, _G.xpcall = on and watched_pcall or base.pcall, on and watched_xpcall or base.xpcall
    coroutine.create, coroutine.wrap = on and watched_create or base.create, on and watched_wrap or base.wrap
end

--- Sets the watchdog: report a task or callback that runs `budget_ms` without
--- yielding, and raise an error in it at `abort_ms` (nil: never). `budget_ms` nil
--- switches the watchdog off (the default).
---@param budget_ms integer?
---@param abort_ms integer?
function sys.setWatchdog(budget_ms, abort_ms)
    if budget_ms == nil then
        hooks.slice = nil
        hooks.task = nil
        owner = nil
        install(false)
        unwatch_all()
        return
    end
    local max_ms = core.heap.MAX_MS // 1000 -- kept in µs: at most MAX_MS µs
    budget_us = check.ms("sys.setWatchdog", 1, "budget_ms", budget_ms, 1, max_ms) * 1000
    abort_us = abort_ms and check.ms("sys.setWatchdog", 2, "abort_ms", abort_ms, budget_ms, max_ms) * 1000
    owner, aborting = nil, nil
    install(true)
    hooks.slice = on_slice
    hooks.task = watch
    watch(coroutine.running())
    for co in pairs(core.tasks) do watch(co) end
end
