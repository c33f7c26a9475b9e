-- gesture's detector options, validated: gesture.lua loads this file when a detector
-- is made and does not keep it (its code is needed only then). Errors blame the caller
-- of gesture.<kind>, two calls up.

local check = require "sys.check"

local COMMON_FIELDS = { input = true, output = true, name = true, meta = true }

-- Each kind's own fields.
local KIND_FIELDS = {
    double_tap = { window = true, match = true },
    simultaneous = { count = true, window = true, match = true },
    sequence = { steps = true, timeout = true },
}

-- One call deeper than the function this file returns: checks blame at level 4.
local KIND_CHECKS = {
    double_tap = function(fname, opts, d)
        d.window = check.integer(fname, 1, "opts.window", opts.window, 1, nil, 4)
    end,
    simultaneous = function(fname, opts, d)
        d.count = check.integer(fname, 1, "opts.count", opts.count, 2, nil, 4)
        d.window = check.integer(fname, 1, "opts.window", opts.window, 1, nil, 4)
    end,
    sequence = function(fname, opts, d)
        local steps = check.type(fname, 1, "opts.steps", opts.steps, "table", nil, 4)
        if #steps == 0 then
            check.fail(fname, 1, "opts.steps", "be a non-empty list of matchers", steps, 5, "an empty table")
        end
        d.steps = { table.unpack(steps) } -- private copy
        if opts.timeout ~= nil then
            d.timeout = check.integer(fname, 1, "opts.timeout", opts.timeout, 1, nil, 4)
        end
    end,
}

--- The settings of a detector of `kind` made with `opts`: kind, topics, output, name,
--- meta, match, and the kind's own (window, count, steps, timeout).
---@param kind string
---@param opts gesture.Options
---@return table
return function(kind, opts)
    local fname = "gesture." .. kind
    local fields = KIND_FIELDS[kind]
    for k in pairs(COMMON_FIELDS) do fields[k] = true end
    check.type(fname, 1, "opts", opts, "table", nil, 3)
    check.fields(fname, 1, "opts", opts, fields, 3)
    local input, topics = opts.input, {}
    if type(input) == "string" then
        topics[1] = input
    elseif type(input) == "table" and #input > 0 then
        for i, topic in ipairs(input) do
            topics[i] = check.type(fname, 1, "opts.input[" .. i .. "]", topic, "string", nil, 3)
        end
    else
        check.fail(fname, 1, "opts.input", "be a topic or a non-empty list of topics", input, 4)
    end
    local d = {
        kind = kind,
        topics = topics,
        output = check.type(fname, 1, "opts.output", opts.output, "string", nil, 3),
        name = check.type(fname, 1, "opts.name", opts.name, "string", true, 3) or kind,
        meta = check.type(fname, 1, "opts.meta", opts.meta, "table", true, 3),
        match = opts.match,
    }
    KIND_CHECKS[kind](fname, opts, d)
    return d
end
