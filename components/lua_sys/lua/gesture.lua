-- gesture: virtual peripherals that turn input events into higher-level ones.
--
-- An input is published as `sys.publish(topic, {producer = ..., value = ..., ...})`.
-- A detector subscribes to its input topic(s) and publishes on its output topic one
-- table: { kind, name, meta, producer (for per-producer detectors), inputs } where
-- `inputs` are the raw input tables that made up the gesture, oldest first.
-- Payloads that are not tables are not inputs and are ignored.
--
-- Each kind of detector is in its own file, gesture/<kind>.lua, loaded the first time
-- gesture.<kind> is looked up: a script pays only for the kinds it uses; so is
-- gesture.remove (gesture/remove.lua). This file
-- holds what they share: the subscription, the gesture published. The options are
-- checked by gesture/options.lua, loaded when a detector is made and not kept.
-- A detector's pending state lives in the closure it subscribes with, so removing
-- the subscription releases the state too.

local sys = require "sys"

---@alias gesture.Matcher any|fun(input: table): boolean  a value compared with input.value, or a predicate

---@class gesture.Options
---@field input string|string[]   topic(s) to listen to; several topics feed one detector
---@field output string           topic to publish gestures on
---@field name? string            defaults to the detector's kind
---@field meta? table             passed along in every gesture

---@class gesture
---@field double_tap fun(opts: gesture.DoubleTapOptions): integer      gesture/double_tap.lua
---@field simultaneous fun(opts: gesture.SimultaneousOptions): integer gesture/simultaneous.lua
---@field sequence fun(opts: gesture.SequenceOptions): integer         gesture/sequence.lua
---@field remove fun(handle: integer): boolean                          gesture/remove.lua
local gesture = {}

local detectors = {} -- [handle] = { topics = {...}, subscriber = fn }
local last_handle = 0

-- Inputs without a producer count as coming from one anonymous producer.
local ANONYMOUS = {}

--- A detector: its settings (gesture/options.lua) and what its kind's file needs from
--- here.
---@class gesture.Detector
---@field kind string
---@field name string
---@field meta table|nil
---@field output string
---@field topics string[]
---@field match gesture.Matcher|nil
---@field window integer|nil   double_tap, simultaneous
---@field count integer|nil    simultaneous
---@field steps gesture.Matcher[]|nil  sequence, a private copy
---@field timeout integer|nil  sequence
local Detector = {}
Detector.__index = Detector

--- The key a detector tracks an input's producer under.
function Detector.key(input)
    local producer = input.producer
    if producer == nil then return ANONYMOUS end
    return producer
end

---@param matcher gesture.Matcher
---@return boolean
function Detector.matches(matcher, input)
    if type(matcher) == "function" then return matcher(input) end
    return input.value == matcher
end

--- Publishes a gesture made of `inputs`.
function Detector:emit(producer, inputs)
    sys.publish(self.output, { kind = self.kind, name = self.name, meta = self.meta, producer = producer,
        inputs = inputs })
end

-- The options are checked by gesture/options.lua, needed only while a detector is
-- made, so not kept: package.loaded forgets it, and `checker` holds it weakly, so that
-- detectors made in a row load it once and the next garbage collection frees it.
local checker = setmetatable({}, { __mode = "v" })

-- The public function of a kind. Its file returns listen(detector) -> the function
-- that takes each input.
local function define(kind)
    local listen = require("gesture." .. kind)
    return function(opts)
        local options = checker[1] or require "gesture.options"
        package.loaded["gesture.options"], checker[1] = nil, options
        local d = setmetatable(options(kind, opts), Detector)
        local on_input, match = listen(d), d.match
        local function subscriber(input)
            if type(input) == "table" and (match == nil or Detector.matches(match, input)) then
                on_input(input)
            end
        end
        sys.subscribe(d.topics, subscriber)
        last_handle = last_handle + 1
        detectors[last_handle] = { topics = d.topics, subscriber = subscriber }
        return last_handle
    end
end

setmetatable(gesture, {
    __index = function(_, name)
        local fn
        if name == "double_tap" or name == "simultaneous" or name == "sequence" then
            fn = define(name)
        elseif name == "remove" then
            fn = require("gesture.remove")(detectors)
        end
        gesture[name] = fn
        return fn
    end,
})

return gesture
