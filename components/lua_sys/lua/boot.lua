-- Run by every backend after it has registered `rtos` and before the user's script:
-- as on LuatOS, `log` and `sys` are globals.
log = require "log"
sys = require "sys"
