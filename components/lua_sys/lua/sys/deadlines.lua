-- The deadline heap's upkeep, loaded the first time it is needed (sys/core.lua):
-- dropping stale entries once they are the majority, and renumbering seqs before they
-- grow too large to compare (sys/heap.lua).

local core = require "sys.core"

local heap, is_live = core.heap, core.is_live
local push, pop = heap.push, heap.pop

local deadlines = {}

--- Rebuilds the heap from its live entries, in place: each is pushed again into the
--- part of the arrays already read, which a push never writes past.
function deadlines.compact()
    local dues, seqs, items, n = heap.dues, heap.seqs, heap.items, heap.n
    heap.n, heap.stale = 0, 0
    for i = 1, n do
        local d, s, item = dues[i], seqs[i], items[i]
        if is_live(s, item) then push(d, s, item) end
    end
    for i = heap.n + 1, n do dues[i], seqs[i], items[i] = nil, nil, nil end
end

--- Gives the live entries seqs 1, 2, 3... in the order they will come out. Called
--- between turns (no entry is then newer than the turn).
function deadlines.renumber()
    local dues, items = {}, {}
    while heap.n > 0 do
        local due, s, item = pop()
        if is_live(s, item) then dues[#dues + 1], items[#items + 1] = due, item end
    end
    local tasks, n = core.tasks, #items
    for i = 1, n do
        local item = items[i]
        if type(item) == "thread" then tasks[item] = i else item.seq = i end
        push(dues[i], i, item)
    end
    heap.base = heap.base + heap.seq - n
    heap.seq, heap.stale = n, 0
end

return deadlines
