-- The runtime's line information, however a backend embeds the runtime (source, or
-- bytecode loaded in place or copied): right wherever Lua reports it. Lua 5.5.1 gave a
-- stripped function loaded in place an empty line array that was not NULL, and walked
-- the bytes after it as line deltas: made-up lines, and a read past the chunk (ASan).
local T = require "harness"

-- The modules of the runtime that a script may use; loading them all makes every
-- exported function of the runtime reachable.
local MODULES = { "sys", "log", "ringbuf", "playlist", "gesture", "recorder", "sys.timers", "sys.waits",
    "sys.tasks", "sys.periodic", "sys.mailbox", "sys.observe", "sys.describe", "sys.watchdog", "sys.core",
    "sys.heap", "sys.check", "sys.labels", "sys.upkeep", "sys.report", "sys.cancel", "sys.ticks", "sys.luatos" }

local function runtime_functions()
    local found, seen = {}, {}
    for _, name in ipairs(MODULES) do require(name) end
    for _, name in ipairs(MODULES) do
        local module = package.loaded[name]
        if type(module) == "table" then
            for key, value in pairs(module) do
                if type(value) == "function" and not seen[value] and debug.getinfo(value, "S").what == "Lua" then
                    seen[value] = true
                    found[#found + 1] = { name = name .. "." .. tostring(key), fn = value }
                end
            end
        end
    end
    return found
end

T.case("the runtime's functions have no line information or lines inside themselves", function()
    local checked = 0
    for _, f in ipairs(runtime_functions()) do
        local info = debug.getinfo(f.fn, "SL")
        if info.activelines ~= nil then
            T.ok(next(info.activelines) ~= nil, f.name .. ": an empty set of lines")
            for line in pairs(info.activelines) do
                T.ok(line >= info.linedefined and line <= info.lastlinedefined,
                    f.name .. ": line " .. line .. " outside " .. info.linedefined .. ".." .. info.lastlinedefined)
            end
        end
        checked = checked + 1
    end
    T.ok(checked > 40, "only " .. checked .. " functions found")
end)

T.case("a running runtime function is at one of its own lines or at none", function()
    local frame
    sys.subscribe("T_DEBUGINFO", function()
        local level = 2 -- the first Lua function below the callback: the runtime's dispatch
        repeat
            frame = debug.getinfo(level, "Sl")
            level = level + 1
        until frame == nil or frame.what == "Lua"
    end)
    sys.publish("T_DEBUGINFO")
    sys.timerStart(sys.publish, 1, "T_DEBUGINFO")
    sys.run()
    T.ok(frame ~= nil and frame.what == "Lua", "the callback was called by the runtime's Lua code")
    T.ok(frame.currentline == -1
        or frame.currentline >= frame.linedefined and frame.currentline <= frame.lastlinedefined,
        "line " .. frame.currentline .. " outside " .. frame.linedefined .. ".." .. frame.lastlinedefined)
end)
