-- Run by bench/footprint.py as the user's script on the native-lua32 build: boot has
-- loaded the runtime (boot.lua) when this line runs. Prints `name<TAB>value` lines.
local _, _, peak = rtos.meminfo()
sys.taskInit(function() print("first_task_us\t" .. rtos.micros()) end)
collectgarbage()
collectgarbage()
local _, resident = rtos.meminfo()
print("peak_bytes\t" .. peak)
print("resident_bytes\t" .. resident)
