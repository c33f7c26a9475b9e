-- The runtime's deadline heap, and the time constants all of sys shares. Every
-- sleeping task and every Lua timer is one entry, so the number of pending timers is
-- bounded by memory, not by an OS timer pool.
--
-- An entry is (due, seq, item). Entries come out by due time, then by seq, so entries
-- due at the same millisecond come out in the order they were scheduled: the schedule
-- is deterministic. The heap is three parallel arrays rather than a table per entry:
-- an entry allocates nothing of its own.
--
-- Times wrap. The device's Lua has 32-bit integers, so rtos.millis() counts modulo
-- 2^31 (docs/rtos-contract.md). Two times are ordered by their difference modulo
-- 2^31, which is right while every live entry lies within 2^30 of every other: sys
-- bounds durations by MAX_MS, and renumbers seqs (sys/upkeep.lua) long before
-- they reach 2^30.
--
-- Cancelled entries are not searched for (O(n)): their owner (a task in core.tasks,
-- a timer in t.seq) stops holding their seq, and they stay, counted in `stale`, until
-- they come out or sys/upkeep.lua compacts the heap.

local MASK, HALF = 0x7FFFFFFF, 0x40000000

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
    n = 0, dues = {}, seqs = {}, items = {},
    grown = 0, -- the largest n since the arrays were last replaced
    seq = 0, -- the last seq given out
    base = 0, -- seqs given out before the last renumbering (sys.stats().scheduled)
    stale = 0, -- entries whose owner no longer holds their seq
}

--- Adds entry (d, s, it).
function heap.push(d, s, it)
    local dues, seqs, items = heap.dues, heap.seqs, heap.items
    local i = heap.n + 1
    heap.n = i
    if i > heap.grown then heap.grown = i end
    while i > 1 do
        local p = i // 2
        local pd = dues[p]
        local diff = (pd - d) & MASK
        if diff >= HALF or (diff == 0 and (seqs[p] - s) & MASK >= HALF) then break end
        dues[i], seqs[i], items[i] = pd, seqs[p], items[p]
        i = p
    end
    dues[i], seqs[i], items[i] = d, s, it
end

--- Takes the first entry out: its due, seq and item (the heap must not be empty).
function heap.pop()
    local dues, seqs, items = heap.dues, heap.seqs, heap.items
    local n = heap.n
    local d, s, it = dues[1], seqs[1], items[1]
    local ld, ls, lit = dues[n], seqs[n], items[n]
    dues[n], seqs[n], items[n] = nil, nil, nil
    n = n - 1
    heap.n = n
    if n == 0 then
        if heap.grown * 3 > heap.BURST then heap.dues, heap.seqs, heap.items, heap.grown = {}, {}, {}, 0 end
        return d, s, it
    end
    local i = 1 -- sift the last entry down from the root
    while true do
        local c = i * 2
        if c > n then break end
        local cd, cs = dues[c], seqs[c]
        if c < n then
            local rd, rs = dues[c + 1], seqs[c + 1]
            local diff = (rd - cd) & MASK
            if diff >= HALF or (diff == 0 and (rs - cs) & MASK >= HALF) then c, cd, cs = c + 1, rd, rs end
        end
        local diff = (ld - cd) & MASK
        if diff >= HALF or (diff == 0 and (ls - cs) & MASK >= HALF) then break end
        dues[i], seqs[i], items[i] = cd, cs, items[c]
        i = c
    end
    dues[i], seqs[i], items[i] = ld, ls, lit
    return d, s, it
end

return heap
