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
    task = "sys.tasks", nonfatal = "sys.tasks", every = "sys.periodic",
    taskInitEx = "sys.mailbox", sendMsg = "sys.mailbox", waitMsg = "sys.mailbox",
    cleanMsg = "sys.mailbox", taskDel = "sys.mailbox", setMailboxLimit = "sys.mailbox",
    stats = "sys.observe", setTrace = "sys.observe", setReceiveTap = "sys.observe", describe = "sys.describe",
    setWatchdog = "sys.watchdog",
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

return sys
