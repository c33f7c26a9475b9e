-- The runtime's rare upkeep, loaded the first time some is due (sys/core.lua): the
-- deadline heap's (dropping stale entries once they are the majority, renumbering seqs
-- before they grow too large to compare: sys/heap.lua), and giving back what a burst
-- left in the core's tables (a table's hash part never shrinks when keys are removed);
-- and the walk over the heap's live entries that compaction and sys.describe share.

local core = require "sys.core"

local type, pairs = type, pairs
local heap = core.heap
local push, pop = heap.push, heap.pop

local upkeep = {}

-- True while the entry `s` is the one its owner (a task or a timer) holds: the test
-- sys/core.lua writes out in its loop.
local function is_live(s, item)
    return core.tasks[item] == s or type(item) == "table" and item.seq == s
end

--- Visits the live entries of `h` (the heap's fields: size, dues, seqs, items, behind)
--- as `visit(due, seq, item)`, each slot's entries in seq order.
function upkeep.each_live(h, visit)
    local dues, seqs, items, behind = h.dues, h.seqs, h.items, h.behind
    local tasks = core.tasks
    for i = 1, h.size do
        local d = dues[i]
        local s, item = seqs[i], items[i]
        if is_live(s, item) then visit(d, s, item) end
        local f = behind[d]
        if f ~= true then
            for j = f[1], f[2], 2 do
                s, item = f[j], f[j + 1]
                -- is_live, inlined (compaction walks the stale entries, the majority),
                -- and the type tested only where the owner is not a live task.
                local held = tasks[item]
                if held == s or held == nil and type(item) == "table" and item.seq == s then visit(d, s, item) end
            end
        end
    end
end

--- Rebuilds the heap from its live entries into fresh arrays (the stale ones are the
--- majority: the old arrays are mostly waste). A slot's entries are pushed again in
--- seq order, so its FIFO keeps that order.
function upkeep.compact()
    local old = { size = heap.size, dues = heap.dues, seqs = heap.seqs, items = heap.items, behind = heap.behind }
    heap.n, heap.size, heap.stale = 0, 0, 0
    heap.dues, heap.seqs, heap.items, heap.behind = {}, {}, {}, {}
    upkeep.each_live(old, push)
end

--- Gives the live entries seqs 1, 2, 3... in the order they will come out. Called
--- between turns (no entry is then newer than the turn).
function upkeep.renumber()
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

--- A copy of table `t` at its live size, to replace it once a burst has left it mostly
--- empty (the core's `tasks`: amortised O(1) per task).
---@return table
function upkeep.copy(t)
    local fresh = {}
    for key, value in pairs(t) do fresh[key] = value end
    return fresh
end

return upkeep
