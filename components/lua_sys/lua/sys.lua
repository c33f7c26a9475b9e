-- sys: coroutine tasks, timers and publish/subscribe on top of the `rtos` contract
-- (docs/rtos-contract.md). The API is LuatOS's `sys` and `sysplus`; where LuatOS is
-- unsound LuaSys does better, and docs/differences-from-luatos.md says where.
--
-- The runtime pays for what a script uses: `require "sys"` loads the core only
-- (sys/core.lua: tasks, sys.wait, publish/subscribe, waitUntil, the loop, error
-- reporting). Every other function loads its module the first time it is looked up,
-- and from then on is an ordinary field of `sys`: `sys.every(...)` just works.

local core = require "sys.core"

local sys = core.sys

-- Which module defines each function that loads on first use: one line per module,
-- ";module name name ..." (module "x" is sys/x.lua). One string rather than a table of
-- 35 entries and their key strings: a lookup happens once per function. A literal, so
-- the firmware's bytecode keeps it in flash (docs/firmware.md).
local MODULE_OF = [[
;timers timerStart timerLoopStart timerAdvStart timerStop timerStopAll timerIsActive
;waits waitUntilExt waitUntilMsg
;tasks task nonfatal
;periodic every
;cancel taskCancel
;ticks ticksDiff ticksAdd
;mailbox taskInitEx sendMsg waitMsg cleanMsg taskDel setMailboxLimit taskCB
;observe stats setTrace setReceiveTap
;describe describe
;watchdog setWatchdog
;luatos safeRun coresume check_task cwaitMt
;]]

setmetatable(sys, {
    __index = function(_, name)
        -- The line's first word, then the shortest run to the name, between white space,
        -- that stays in the line.
        local module = type(name) == "string" and name:find("^[%w_]+$") and MODULE_OF:match(";(%w+)[^;]-%s" .. name .. "%s")
        if module then
            require("sys." .. module)
            return rawget(sys, name)
        end
    end,
})

-- LuatOS's globals. The functions they stand for load on first use, like the rest.
-- LuaSys never reboots or stops on an error in a task: the two COROUTINE_ERROR_ flags
-- are false to say so (sys.task's on_error = "reboot" is the way to ask for a reboot).
SCRIPT_LIB_VER = "2.3.2" -- the LuatOS sys.lua whose API this is
COROUTINE_ERROR_ROLL_BACK, COROUTINE_ERROR_RESTART = false, false
sys_pub = sys.publish
local function later(module, name)
    return function(...) return require(module)[name](...) end
end
sys_send, sys_wait, sys_cw = later("sys", "sendMsg"), later("sys", "waitMsg"), later("sys.luatos", "cw")

return sys
