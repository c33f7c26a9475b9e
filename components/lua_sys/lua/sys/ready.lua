-- The ready queue: work that is due (a task to wake, a timer to fire) waiting for the
-- loop to run it, in priority tiers with aging.
--
-- Each tier is a FIFO. A dispatch takes the oldest waiting item once it has waited
-- AGING dispatches or more (ties go to the higher tier), and otherwise the head of the
-- highest non-empty tier. So higher tiers go first, and yet an item never waits more
-- than AGING dispatches plus the items that became ready before it: background work
-- runs under any load of critical work.

local ready = {}

--- Tier numbers by name, highest priority first; the numbers stay internal.
ready.TIERS = { critical = 1, connectivity = 2, normal = 3, background = 4 }
ready.NAMES = { "critical", "connectivity", "normal", "background" }
ready.NORMAL = ready.TIERS.normal
--- Dispatches after which a waiting item goes before fresher, higher-tier ones.
ready.AGING = 8

local TIER_COUNT = #ready.NAMES
local AGING = ready.AGING

---@class ReadyQueue
---@field push fun(tier: integer, item: any, token: integer)
---@field take fun(): any, integer?, integer?
---@field size fun(): integer
---@field dispatches fun(): integer
---@field each fun(visit: fun(item: any, token: integer, tier: integer, waited: integer))

--- Creates an empty ready queue.
---@return ReadyQueue
function ready.new()
    -- Per tier: items, their tokens (the owner's proof the entry is still wanted) and
    -- the dispatch count when they became ready; `head`/`tail` index the FIFO.
    local items, tokens, stamps, head, tail = {}, {}, {}, {}, {}
    for tier = 1, TIER_COUNT do
        items[tier], tokens[tier], stamps[tier], head[tier], tail[tier] = {}, {}, {}, 1, 1
    end
    local count, dispatched = 0, 0
    local in_tier = { 0, 0, 0, 0 } -- items per tier

    local function push(tier, item, token)
        local t = tail[tier]
        items[tier][t], tokens[tier][t], stamps[tier][t] = item, token, dispatched
        tail[tier] = t + 1
        count = count + 1
        in_tier[tier] = in_tier[tier] + 1
    end

    -- Returns the next item, its token and its tier, or nothing.
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

    local function take()
        if count == 0 then return end
        local tier = choose()
        local h = head[tier]
        local item, token = items[tier][h], tokens[tier][h]
        items[tier][h], tokens[tier][h], stamps[tier][h] = nil, nil, nil
        if h + 1 == tail[tier] then
            head[tier], tail[tier] = 1, 1
            if h > 64 then items[tier], tokens[tier], stamps[tier] = {}, {}, {} end -- a burst's memory back
        else
            head[tier] = h + 1
        end
        count = count - 1
        in_tier[tier] = in_tier[tier] - 1
        dispatched = dispatched + 1
        return item, token, tier
    end

    local function each(visit)
        for tier = 1, TIER_COUNT do
            for i = head[tier], tail[tier] - 1 do
                visit(items[tier][i], tokens[tier][i], tier, dispatched - stamps[tier][i])
            end
        end
    end

    return {
        push = push, take = take, each = each,
        size = function() return count end,
        dispatches = function() return dispatched end,
    }
end

return ready
