-- The LuatOS-compatible log module.
local T = require "harness"

local function capture(fn)
    local lines, real_print = {}, print
    print = function(line) lines[#lines + 1] = line end
    local ok, err = pcall(fn)
    print = real_print
    assert(ok, err)
    return lines
end

T.case("log lines carry level and tag, levels filter", function()
    local lines = capture(function()
        log.info("net", "up", 3)
        log.debug("net", "detail")
        log.setLevel("WARN")
        log.info("net", "hidden")
        log.warn("net", "careful")
        log.error("net", "broken", nil)
        log.setLevel(log.LOG_SILENT)
        log.error("net", "silenced")
        log.setLevel("DEBUG")
    end)
    T.eq(lines, { "I/user.net up 3", "D/user.net detail", "W/user.net careful", "E/user.net broken nil" })
    T.eq(log.getLevel(), log.LOG_DEBUG)
end)

T.case("a bad level is refused with a clear error", function()
    T.raises("log.setLevel: argument #1 'level' must be one of log.LOG_SILENT..log.LOG_ERROR or \"SILENT\", "
        .. "\"DEBUG\", \"INFO\", \"WARN\", \"ERROR\" (got \"LOUD\")", log.setLevel, "LOUD")
    T.raises("log.setLevel: argument #1 'level'", log.setLevel, 9)
    T.raises("log.setLevel: argument #1 'level'", log.setLevel, 2.5)
    T.raises("log.setLevel: argument #1 'level'", log.setLevel, "2")
end)

-- setLevel(2.0) stored the float: getLevel() returned 2.0, not log.LOG_INFO's 2.
T.case("a level given as an integral float is kept as the integer", function()
    log.setLevel(3.0)
    T.eq(math.type(log.getLevel()), "integer")
    T.eq(log.getLevel(), log.LOG_WARN)
    T.eq({ log.LOG_SILENT, log.LOG_DEBUG, log.LOG_INFO, log.LOG_WARN, log.LOG_ERROR }, { 0, 1, 2, 3, 4 })
    log.setLevel("DEBUG")
end)

T.case("sys, log and rtos are globals and require works", function()
    T.ok(require("sys") == sys and require("log") == log and require("sysplus") == sys)
    T.eq(type(rtos.receive), "function")
end)
