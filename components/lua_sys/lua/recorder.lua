-- recorder: the device side of `luasys record` (docs/testing.md#record-and-replay).
-- Keeps every message the loop receives (posted by C, an ISR or rtos.post; not rtos
-- timers, which the script makes itself, nor the console's own) and every printed
-- line, each with its time since the runtime started, as lines of JSON. The host
-- fetches them with `drain` through the console's eval. The buffer is bounded: what
-- does not fit is counted, reported in the next drain, and the loop never waits.
-- Loaded only when a recording starts.

local sys = require "sys"
local check = require "sys.check"
local console = require "console"

local recorder = {}

--- The recording format's version (docs/testing.md#the-recording-format).
recorder.FORMAT_VERSION = 1
--- How many records the buffer keeps by default between two drains.
recorder.DEFAULT_LIMIT = 256

local format, byte, concat, type, tostring, select = string.format, string.byte, table.concat, type, tostring, select
local mtype, huge = math.type, math.huge
local MSG_TIMER, MASK = rtos.MSG_TIMER, require("sys.heap").MASK

local records, count, limit, lost = {}, 0, 0, 0
local started_ms, plain_print, header

-- A byte string as a JSON string: bytes outside printable ASCII (and " \) as \u00XX,
-- so every byte comes back exactly (the host reads the string as Latin-1).
local function escape(c) return format("\\u%04x", byte(c)) end
local function json_string(s)
    return '"' .. s:gsub('[%c"\\\128-\255]', escape) .. '"'
end

local function json_value(v)
    local kind = type(v)
    if kind == "string" then return json_string(v) end
    if kind == "boolean" then return tostring(v) end
    if kind == "number" then
        if mtype(v) == "integer" then return format("%d", v) end
        if v ~= v then return "NaN" end
        if v == huge then return "Infinity" end
        if v == -huge then return "-Infinity" end
        local text = format("%.17g", v)
        return text:find("[.eE]") and text or text .. ".0"
    end
    return "null"
end

local function now() return (rtos.millis() - started_ms) & MASK end

local function keep(record)
    if count >= limit then
        lost = lost + 1
        return
    end
    count = count + 1
    records[count] = record
end

local function tap(id, ...)
    if id == MSG_TIMER or id == console.TOPIC then return end
    local n = select("#", ...)
    local args = {}
    for i = 1, n do args[i] = json_value((select(i, ...))) end
    keep(format('{"t":%d,"topic":%s,"args":[%s]}', now(), json_string(id), concat(args, ",")))
end

local function recording_print(...)
    local n = select("#", ...)
    local parts = {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    keep(format('{"t":%d,"line":%s}', now(), json_string(concat(parts, "\t"))))
    return plain_print(...)
end

--- Starts recording (again: the buffer is emptied). Returns the recording's header.
---@param max_records integer|nil records kept between two drains (default DEFAULT_LIMIT)
---@return string
function recorder.start(max_records)
    limit = check.integer("recorder.start", 1, "max_records", max_records or recorder.DEFAULT_LIMIT, 1)
    records, count, lost = {}, 0, 0
    started_ms = sys.setReceiveTap(tap)
    if not plain_print then
        plain_print = print
        print = recording_print
    end
    header = format('{"format":"luasys-recording","version":%d,"device":%s,"limit":%d,"t":%d}',
        recorder.FORMAT_VERSION, json_string(rtos.version()), limit, now())
    return header
end

--- The header of the recording in progress (the first line of its file).
---@return string
function recorder.header()
    if not header then error("recorder.header: not recording (call recorder.start first)", 2) end
    return header
end

--- Takes what was kept since the last drain: JSON lines, oldest first, then a
--- {"t":..,"lost":n} line if n records did not fit. At most `max_records` records.
---@param max_records integer|nil >= 0; nil takes them all
---@return string
function recorder.drain(max_records)
    if max_records ~= nil then max_records = check.integer("recorder.drain", 1, "max_records", max_records, 0) end
    local n = math.min(count, max_records or count)
    local out = table.move(records, 1, n, 1, {})
    records, count = table.move(records, n + 1, count, 1, {}), count - n
    if lost > 0 and count == 0 then
        out[#out + 1] = format('{"t":%d,"lost":%d}', now(), lost)
        lost = 0
    end
    return concat(out, "\n")
end

--- Stops recording: the tap and print are as before. Returns what was not drained.
---@return string
function recorder.stop()
    local rest = recorder.drain()
    sys.setReceiveTap(nil)
    header = nil
    if plain_print then
        print = plain_print
        plain_print = nil
    end
    return rest
end

return recorder
