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

-- Which module defines each function that loads on first use.
local MODULE_OF = {
    timerStart = "sys.timers", timerLoopStart = "sys.timers", timerAdvStart = "sys.timers",
    timerStop = "sys.timers", timerStopAll = "sys.timers", timerIsActive = "sys.timers",
    waitUntilExt = "sys.waits", waitUntilMsg = "sys.waits",
    task = "sys.tasks", nonfatal = "sys.tasks", every = "sys.periodic",
    taskInitEx = "sys.mailbox", sendMsg = "sys.mailbox", waitMsg = "sys.mailbox",
    cleanMsg = "sys.mailbox", taskDel = "sys.mailbox", setMailboxLimit = "sys.mailbox", taskCB = "sys.mailbox",
    stats = "sys.observe", setTrace = "sys.observe", setReceiveTap = "sys.observe", describe = "sys.describe",
    setWatchdog = "sys.watchdog",
    safeRun = "sys.luatos", coresume = "sys.luatos", check_task = "sys.luatos", cwaitMt = "sys.luatos",
}

setmetatable(sys, {
    __index = function(_, name)
        local module = MODULE_OF[name]
        if module then
            require(module)
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
