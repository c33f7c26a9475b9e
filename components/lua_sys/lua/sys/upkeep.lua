-- The runtime's rare upkeep, loaded the first time some is due (sys/core.lua): the
-- deadline heap's (dropping stale entries once they are the majority, renumbering seqs
-- before they grow too large to compare: sys/heap.lua), and giving back what a burst
-- left in the core's tables (a table's hash part never shrinks when keys are removed);
-- and the walk over every entry of the heap that compaction and sys.describe share.

local core = require "sys.core"

local type, pairs = type, pairs
local heap, is_live = core.heap, core.is_live
local push, pop = heap.push, heap.pop

local upkeep = {}

--- Visits every entry of `h` (the heap's fields: size, dues, seqs, items, behind) as
--- `visit(due, seq, item)`, each slot's entries in seq order.
function upkeep.each(h, visit)
    local dues, seqs, items, behind = h.dues, h.seqs, h.items, h.behind
    for i = 1, h.size do
        local d = dues[i]
        visit(d, seqs[i], items[i])
        local f = behind[d]
        if f ~= true then
            for j = f[1], f[2], 2 do visit(d, f[j], f[j + 1]) end
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
    upkeep.each(old, function(d, s, item)
        if is_live(s, item) then push(d, s, item) end
    end)
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

--- Drops the empty subscriber lists of `subs` that no delivery is using, so topics used
--- once (a request id, say) cost nothing lasting.
function upkeep.sweep(subs)
    for topic, list in pairs(subs) do
        if list.n == 0 and list.busy == 0 then subs[topic] = nil end
    end
end

return upkeep
