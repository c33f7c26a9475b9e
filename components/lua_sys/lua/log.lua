-- LuatOS-compatible logging: `log.info(tag, ...)` prints `I/user.tag arg1 arg2`.
-- Lines go through the global `print`, which every backend routes to its console.

local select, tostring, type, concat, tointeger = select, tostring, type, table.concat, math.tointeger

-- The levels, in one place: level n is NAMES[n]; log.LOG_<NAME> is its number, and
-- log.<name>(tag, ...) prints at it, its line starting with the name's first letter.
local NAMES = { [0] = "SILENT", "DEBUG", "INFO", "WARN", "ERROR" }

---@class log
---@field LOG_SILENT integer 0: nothing is printed
---@field LOG_DEBUG integer 1
---@field LOG_INFO integer 2
---@field LOG_WARN integer 3
---@field LOG_ERROR integer 4
---@field debug fun(tag: any, ...: any)
---@field info fun(tag: any, ...: any)
---@field warn fun(tag: any, ...: any)
---@field error fun(tag: any, ...: any)
local log = {}

local current_level = 1

local function emit(level, letter, tag, ...)
    if level < current_level or current_level == 0 then return end
    local n = select("#", ...)
    local parts = { letter .. "/user." .. tostring(tag) }
    for i = 1, n do parts[i + 1] = tostring((select(i, ...))) end
    print(concat(parts, " "))
end

for level = 0, #NAMES do
    local name = NAMES[level]
    log["LOG_" .. name] = level
    if level > 0 then
        local letter = name:sub(1, 1)
        log[name:lower()] = function(tag, ...) emit(level, letter, tag, ...) end
    end
end

--- Sets the lowest level that is printed.
---@param level integer|"SILENT"|"DEBUG"|"INFO"|"WARN"|"ERROR"
function log.setLevel(level)
    local value
    if type(level) == "string" then value = log["LOG_" .. level] end
    if type(level) == "number" then value = tointeger(level) end
    if not value or value < 0 or value > #NAMES then
        error("log.setLevel: argument #1 'level' must be one of log.LOG_SILENT..log.LOG_ERROR or \""
            .. concat(NAMES, "\", \"", 0) .. "\" (got "
            .. (type(level) == "string" and ("%q"):format(level) or tostring(level)) .. ")", 2)
    end
    current_level = value
end

--- Returns the lowest level that is printed.
---@return integer
function log.getLevel() return current_level end

return log
