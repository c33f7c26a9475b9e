-- Run by every backend after it has registered `rtos` and before the user's script:
-- as on LuatOS, `log` and `sys` are globals.
log = require "log"
sys = require "sys"
-- The console's REPL and tool requests (docs/console-protocol.md); idle without a console.
require "console"
