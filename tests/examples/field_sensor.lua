-- A stand-in for the thermostat's sensor ISR, for recording on the simulator's
-- console device (tests/examples/test_thermostat.py): a noisy swing of +-1.5 C
-- around 20 C, posted through the rtos queue every 50 ms; then the thermostat.
local n = 0
sys.timerLoopStart(function()
    n = n + 1
    rtos.post("temp", 2000 + math.floor(150 * math.sin(n / 5)) + math.random(-20, 20))
end, 50)
require "thermostat"
