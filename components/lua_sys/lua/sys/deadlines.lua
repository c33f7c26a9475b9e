-- The runtime's deadline heap: every sleeping task and every Lua timer is one entry,
-- so the number of pending timers is bounded by memory, not by an OS timer pool.
--
-- An entry is (key, item), smallest key first. sys builds keys as
-- due * SEQ_SPAN + seq (see sys.lua), so entries due at the same millisecond come out
-- in the order they were scheduled: the schedule is deterministic. One integer key per
-- entry instead of a (due, seq) pair saves an array slot and a comparison per level.
-- The heap is two parallel arrays rather than a table per entry: an entry allocates
-- nothing of its own.
--
-- Cancelled entries are not searched for (O(n)); their owner just stops recognising
-- their key, and `compact` drops them in one pass when they pile up.

local deadlines = {}

---@class DeadlineHeap
---@field push fun(key: integer, item: any)
---@field peek fun(): integer?, any
---@field pop fun(): integer?, any
---@field size fun(): integer
---@field compact fun(is_live: fun(key: integer, item: any): boolean)

--- Creates an empty heap.
---@return DeadlineHeap
function deadlines.new()
    local key, item = {}, {}
    local n = 0
    local grown_to = 0 -- the largest n since the arrays were last replaced

    local function sift_down(i, k, it)
        while true do
            local c = i * 2
            if c > n then break end
            local ck = key[c]
            if c < n then
                local rk = key[c + 1]
                if rk < ck then c, ck = c + 1, rk end
            end
            if k <= ck then break end
            key[i], item[i] = ck, item[c]
            i = c
        end
        key[i], item[i] = k, it
    end

    local function push(k, it)
        n = n + 1
        if n > grown_to then grown_to = n end
        local i = n
        while i > 1 do
            local p = i // 2
            local pk = key[p]
            if pk <= k then break end
            key[i], item[i] = pk, item[p]
            i = p
        end
        key[i], item[i] = k, it
    end

    local function peek()
        if n > 0 then return key[1], item[1] end
    end

    local function pop()
        if n == 0 then return end
        local k, it = key[1], item[1]
        local lk, lit = key[n], item[n]
        key[n], item[n] = nil, nil
        n = n - 1
        if n > 0 then
            sift_down(1, lk, lit)
        elseif grown_to > 64 then
            -- Array parts never shrink by themselves: after a burst of sleepers, give the
            -- memory back by starting over with empty arrays.
            key, item, grown_to = {}, {}, 0
        end
        return k, it
    end

    local function size() return n end

    local function compact(is_live)
        local kept = 0
        for i = 1, n do
            if is_live(key[i], item[i]) then
                kept = kept + 1
                key[kept], item[kept] = key[i], item[i]
            end
        end
        for i = kept + 1, n do key[i], item[i] = nil, nil end
        n = kept
        for i = n // 2, 1, -1 do sift_down(i, key[i], item[i]) end
    end

    return { push = push, peek = peek, pop = pop, size = size, compact = compact }
end

return deadlines
