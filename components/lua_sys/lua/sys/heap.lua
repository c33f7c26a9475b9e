-- The runtime's deadline heap: every sleeping task and every Lua timer is one entry,
-- so the number of pending timers is bounded by memory, not by an OS timer pool.
--
-- An entry is (due, seq, item). Entries come out by due time, then by seq, so entries
-- due at the same millisecond come out in the order they were scheduled: the schedule
-- is deterministic. The heap is three parallel arrays rather than a table per entry:
-- an entry allocates nothing of its own.
--
-- Times wrap. The device's Lua has 32-bit integers, so rtos.millis() counts modulo
-- 2^31 (docs/rtos-contract.md); seq numbers wrap the same way. Two values are ordered
-- by their difference modulo 2^31, which is right while every live entry lies within
-- 2^30 of every other: sys bounds durations and renumbers seqs to keep it so.
--
-- Cancelled entries are not searched for (O(n)); their owner just stops recognising
-- their seq, and `compact` drops them in one pass when they pile up.

local MASK = 0x7FFFFFFF
local HALF = 0x40000000

---@class DeadlineHeap
---@field push fun(due: integer, seq: integer, item: any)
---@field peek fun(): integer?, integer?, any
---@field pop fun(): integer?, integer?, any
---@field size fun(): integer
---@field compact fun(is_live: fun(seq: integer, item: any): boolean)
---@field each fun(visit: fun(due: integer, seq: integer, item: any))

--- Creates an empty heap. Its arrays are replaced by fresh ones when it empties after
--- having held more than `burst` / 3 entries (sys/core.lua's memory policy).
---@param burst integer
---@return DeadlineHeap
return function(burst)
    local due, seq, item = {}, {}, {}
    local n = 0
    local grown_to = 0 -- the largest n since the arrays were last replaced

    local function sift_down(i, d, s, it)
        while true do
            local c = i * 2
            if c > n then break end
            local cd, cs = due[c], seq[c]
            if c < n then
                local rd, rs = due[c + 1], seq[c + 1]
                local diff = (rd - cd) & MASK
                if diff >= HALF or (diff == 0 and (rs - cs) & MASK >= HALF) then
                    c, cd, cs = c + 1, rd, rs
                end
            end
            local diff = (d - cd) & MASK
            if diff >= HALF or (diff == 0 and (s - cs) & MASK >= HALF) then break end
            due[i], seq[i], item[i] = cd, cs, item[c]
            i = c
        end
        due[i], seq[i], item[i] = d, s, it
    end

    local function push(d, s, it)
        n = n + 1
        if n > grown_to then grown_to = n end
        local i = n
        while i > 1 do
            local p = i // 2
            local pd = due[p]
            local diff = (pd - d) & MASK
            if diff >= HALF or (diff == 0 and (seq[p] - s) & MASK >= HALF) then break end
            due[i], seq[i], item[i] = pd, seq[p], item[p]
            i = p
        end
        due[i], seq[i], item[i] = d, s, it
    end

    local function peek()
        if n > 0 then return due[1], seq[1], item[1] end
    end

    local function pop()
        if n == 0 then return end
        local d, s, it = due[1], seq[1], item[1]
        local ld, ls, lit = due[n], seq[n], item[n]
        due[n], seq[n], item[n] = nil, nil, nil
        n = n - 1
        if n > 0 then
            sift_down(1, ld, ls, lit)
        elseif grown_to * 3 > burst then
            due, seq, item, grown_to = {}, {}, {}, 0
        end
        return d, s, it
    end

    local function size() return n end

    local function compact(is_live)
        local kept = 0
        for i = 1, n do
            if is_live(seq[i], item[i]) then
                kept = kept + 1
                due[kept], seq[kept], item[kept] = due[i], seq[i], item[i]
            end
        end
        for i = kept + 1, n do due[i], seq[i], item[i] = nil, nil, nil end
        n = kept
        for i = n // 2, 1, -1 do sift_down(i, due[i], seq[i], item[i]) end
    end

    local function each(visit)
        for i = 1, n do visit(due[i], seq[i], item[i]) end
    end

    return { push = push, peek = peek, pop = pop, size = size, compact = compact, each = each }
end
