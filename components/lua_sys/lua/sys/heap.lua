-- The runtime's deadline heap, and the time constants all of sys shares. Every
-- sleeping task and every Lua timer is one entry, so the number of pending timers is
-- bounded by memory, not by an OS timer pool.
--
-- An entry is (due, seq, item). Entries come out by due time, then by seq, so entries
-- due at the same millisecond come out in the order they were scheduled: the schedule
-- is deterministic.
--
-- The heap orders slots, one per distinct due time: a slot holds the first entry due
-- then, and the later ones wait behind it in a FIFO (`behind[due]`). Seqs only grow, so
-- appending keeps a FIFO in seq order, and a pop replaces the root's entry from its
-- FIFO without sifting. Many tasks waiting short times share few deadlines (1,000
-- tasks waiting 1..50 ms: at most 50 slots), so a sift-down happens about once per
-- slot instead of once per entry. The slots are three parallel arrays rather than a
-- table per slot, and a FIFO is one table { head index, tail index, seq, item, ... }
-- made when a second entry joins a slot: a lone entry allocates nothing of its own but
-- its `behind` key (true).
--
-- Times wrap. The device's Lua has 32-bit integers, so rtos.millis() counts modulo
-- 2^31 (docs/rtos-contract.md). Two times are ordered by their difference modulo
-- 2^31, which is right while every live entry lies within 2^30 of every other: sys
-- bounds durations by MAX_MS, and renumbers seqs (sys/upkeep.lua) long before
-- they reach 2^30. Within that span equal times are the same deadline, so a due time
-- names its slot.
--
-- Cancelled entries are not searched for (O(n)): their owner (a task in core.tasks,
-- a timer in t.seq) stops holding their seq, and they stay, counted in `stale`, until
-- they come out or sys/upkeep.lua compacts the heap.

local MASK, HALF = 0x7FFFFFFF, 0x40000000
-- The largest size since the arrays were last replaced on emptying. A local, not a
-- field: sixteen fields fill the heap table's hash part, a seventeenth doubles it.
local grown = 0

---@class DeadlineHeap
local heap = {
    MASK = MASK, HALF = HALF,
    --- The longest duration any LuaSys call accepts, in ms (about 6.2 days).
    MAX_MS = 1 << 29,
    --- The device's largest integer, 2^31 - 1 (its Lua has 32-bit integers), as an
    --- integer: times count modulo MASK + 1 because of it.
    INT_MAX = MASK,
    --- The one policy for giving a burst's memory back: an array part never shrinks
    --- by itself, so a structure whose arrays grew past about BURST slots is replaced
    --- by a fresh one once it empties. Below that, keeping the arrays saves
    --- reallocating them every turn.
    BURST = 256,
    n = 0, -- entries
    size = 0, dues = {}, seqs = {}, items = {}, -- slots: the first entry of each due time
    behind = {}, -- [due] = its slot's FIFO of later entries, or true: none
    seq = 0, -- the last seq given out
    base = 0, -- seqs given out before the last renumbering (sys.stats().scheduled)
    stale = 0, -- entries whose owner no longer holds their seq
}

--- Adds entry (d, s, it); s must be above the seqs of the entries already due at d
--- (true of new seqs, and of a rebuild that pushes each slot's entries in order).
function heap.push(d, s, it)
    heap.n = heap.n + 1
    local behind = heap.behind
    local f = behind[d]
    if f == true then
        behind[d] = { 3, 4, s, it }
        return
    elseif f then
        local t = f[2]
        f[t + 1], f[t + 2], f[2] = s, it, t + 2
        return
    end
    behind[d] = true
    local dues, seqs, items = heap.dues, heap.seqs, heap.items
    local i = heap.size + 1
    heap.size = i
    if i > grown then grown = i end
    while i > 1 do -- slots have distinct dues: no ties to break
        local p = i // 2
        local pd = dues[p]
        if (pd - d) & MASK >= HALF then break end
        dues[i], seqs[i], items[i] = pd, seqs[p], items[p]
        i = p
    end
    dues[i], seqs[i], items[i] = d, s, it
end

--- Takes the first entry out: its due, seq and item (the heap must not be empty).
function heap.pop()
    local dues, seqs, items = heap.dues, heap.seqs, heap.items
    local d, s, it = dues[1], seqs[1], items[1]
    heap.n = heap.n - 1
    local behind = heap.behind
    local f = behind[d]
    if f ~= true then -- the next entry due then takes the root's place
        local h = f[1]
        seqs[1], items[1] = f[h], f[h + 1]
        if h + 1 == f[2] then
            behind[d] = true
        else
            f[1], f[h], f[h + 1] = h + 2, nil, nil
        end
        return d, s, it
    end
    behind[d] = nil
    local n = heap.size
    local ld, ls, lit = dues[n], seqs[n], items[n]
    dues[n], seqs[n], items[n] = nil, nil, nil
    n = n - 1
    heap.size = n
    if n == 0 then
        if grown * 3 > heap.BURST then
            heap.dues, heap.seqs, heap.items, heap.behind, grown = {}, {}, {}, {}, 0
        end
        return d, s, it
    end
    local i = 1 -- sift the last slot down from the root
    while true do
        local c = i * 2
        if c > n then break end
        local cd = dues[c]
        if c < n then
            local rd = dues[c + 1]
            if (rd - cd) & MASK >= HALF then c, cd = c + 1, rd end
        end
        if (ld - cd) & MASK >= HALF then break end
        dues[i], seqs[i], items[i] = cd, seqs[c], items[c]
        i = c
    end
    dues[i], seqs[i], items[i] = ld, ls, lit
    return d, s, it
end

return heap
