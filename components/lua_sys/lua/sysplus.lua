-- LuatOS scripts `require "sysplus"` for the task mailboxes; in LuaSys they are part
-- of sys (sys.taskInitEx, sys.sendMsg, sys.waitMsg, sys.taskDel, sys.cleanMsg).
return require "sys"
