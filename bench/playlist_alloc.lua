-- What playing a playlist step allocates (docs/playlist.md#memory): run with
-- `luasys sim --lua 5.5 bench/playlist_alloc.lua` (or on any backend). Each run is
-- measured with the collector stopped, from start to the end of the run; the
-- definition is registered before. Prints bytes per emission.
local playlist = require "playlist"

local N = 1000

local function allocated(steps)
    local handle = playlist.register { name = "bench", steps = steps }
    collectgarbage("collect")
    collectgarbage("stop")
    local before = collectgarbage("count")
    playlist.start(handle)
    sys.run()
    local after = collectgarbage("count")
    collectgarbage("restart")
    playlist.remove(handle)
    return (after - before) * 1024
end

local repeating = { { event = "e", ["repeat"] = N, interval = 1 } } -- a new timer per emission
local single = { { event = "e" } }
local together = {} -- N + 1 steps due at the same time: one timer for all
for i = 1, N + 1 do together[i] = { event = "e", offset = 5 } end
for _ = 1, 2 do allocated(repeating); allocated(single); allocated(together) end -- modules loaded, arrays grown
local base = allocated(single)
print(string.format("%s: %.0f B per emission of a repeating step, %.0f B per step due with others",
    _VERSION, (allocated(repeating) - base) / N, (allocated(together) - base) / N))
