-- The tiered ready queue: work that is due (a task to wake, a timer to fire) waiting
-- for the loop to run it, in priority tiers with aging. Loaded when the first task
-- leaves the normal tier (sys/tasks.lua); until then the loop takes due work straight
-- from the deadline heap, which is this queue's order with one tier. A task's tier is
-- its handle's (handle.tier); tasks without a handle and timers are normal.
--
-- Each tier is a FIFO. A dispatch takes the oldest waiting item once it has waited
-- AGING dispatches or more (ties go to the higher tier), and otherwise the head of the
-- highest non-empty tier. So higher tiers go first, and yet an item never waits more
-- than AGING dispatches plus the items that became ready before it: background work
-- runs under any load of critical work.
--
-- An item in the queue is marked by its owner's entry holding minus its seq (a task's
-- in core.tasks, a timer's t.seq), so sys.describe calls it "ready" and cancelling it
-- makes the entry stale.

local core = require "sys.core"
local tiers = require "sys.tasks"

local type = type
local BURST, NORMAL = core.heap.BURST, tiers.NORMAL
local take_from_heap = core.take_from_heap

local ready = {}

--- Dispatches after which a waiting item goes before fresher, higher-tier ones.
ready.AGING = 8
local AGING = ready.AGING
local TIER_COUNT = #tiers.NAMES

-- Per tier: items, their seqs (the owner's proof the entry is still wanted), their due
-- times and the dispatch count when they became ready; `head`/`tail` index the FIFO.
local items, seqs, dues, stamps, head, tail = {}, {}, {}, {}, {}, {}
for tier = 1, TIER_COUNT do
    items[tier], seqs[tier], dues[tier], stamps[tier], head[tier], tail[tier] = {}, {}, {}, {}, 1, 1
end
local count, dispatched = 0, 0
local in_tier = { 0, 0, 0, 0 } -- items per tier

local function push(item, s, due)
    local tier
    if type(item) == "thread" then
        core.tasks[item] = -s
        local handle = core.handles[item]
        tier = handle and handle.tier or NORMAL
    else
        item.seq = -s
        tier = NORMAL
    end
    local t = tail[tier]
    items[tier][t], seqs[tier][t], dues[tier][t], stamps[tier][t] = item, s, due, dispatched
    tail[tier] = t + 1
    count = count + 1
    in_tier[tier] = in_tier[tier] + 1
end

-- Chooses the tier to take from: the only one in use (the common case, a plain
-- FIFO), or by the aging rule.
local function choose()
    local oldest_tier, oldest_stamp, first_tier
    for tier = 1, TIER_COUNT do
        local n = in_tier[tier]
        if n == count then return tier end
        if n > 0 then
            first_tier = first_tier or tier
            local stamp = stamps[tier][head[tier]]
            if not oldest_stamp or stamp < oldest_stamp then oldest_tier, oldest_stamp = tier, stamp end
        end
    end
    return dispatched - oldest_stamp >= AGING and oldest_tier or first_tier
end

-- The next item in the queue, its seq and due time, or nothing.
local function pop()
    if count == 0 then return end
    local tier = choose()
    local h = head[tier]
    local item, s, due = items[tier][h], seqs[tier][h], dues[tier][h]
    items[tier][h], seqs[tier][h], dues[tier][h], stamps[tier][h] = nil, nil, nil, nil
    if h + 1 == tail[tier] then
        head[tier], tail[tier] = 1, 1
        if h * 4 > BURST then items[tier], seqs[tier], dues[tier], stamps[tier] = {}, {}, {}, {} end
    else
        head[tier] = h + 1
    end
    count = count - 1
    in_tier[tier] = in_tier[tier] - 1
    dispatched = dispatched + 1
    return item, s, due
end

-- core.take_due with tiers: moves everything due at `now` from the heap into the
-- queue, then takes the next item whose owner still wants it. (While only the normal
-- tier is in use the queue is one FIFO in the heap's order.)
local function take(now)
    while true do
        local item, due, s = take_from_heap(now)
        if not item then break end
        push(item, s, due)
    end
    while true do
        local item, s, due = pop()
        if not item then return end
        if type(item) == "thread" then
            if core.tasks[item] == -s then return item, due end
        elseif item.seq == -s then
            return item, due
        end
    end
end
core.take_due = take

--- How many items wait in the queue (some may have been cancelled since).
---@return integer
function ready.size() return count end

--- Visits the items still wanted: `visit(item, waited)`, waited in dispatches.
function ready.each(visit)
    for tier = 1, TIER_COUNT do
        for i = head[tier], tail[tier] - 1 do
            local item, s = items[tier][i], seqs[tier][i]
            local entry = type(item) == "thread" and core.tasks[item] or item.seq
            if entry == -s then visit(item, dispatched - stamps[tier][i]) end
        end
    end
end

return ready
