-- LuatOS-compatible logging: `log.info(tag, ...)` prints `I/user.tag arg1 arg2`.
-- Lines go through the global `print`, which every backend routes to its console.

local select, tostring, type, concat = select, tostring, type, table.concat

---@class log
local log = {
    LOG_SILENT = 0,
    LOG_DEBUG = 1,
    LOG_INFO = 2,
    LOG_WARN = 3,
    LOG_ERROR = 4,
}

local level_by_name = { SILENT = 0, DEBUG = 1, INFO = 2, WARN = 3, ERROR = 4 }
local current_level = log.LOG_DEBUG

local function emit(level, letter, tag, ...)
    if level < current_level or current_level == log.LOG_SILENT then return end
    local n = select("#", ...)
    local parts = { letter .. "/user." .. tostring(tag) }
    for i = 1, n do parts[i + 1] = tostring((select(i, ...))) end
    print(concat(parts, " "))
end

--- Sets the lowest level that is printed.
---@param level integer|"SILENT"|"DEBUG"|"INFO"|"WARN"|"ERROR"
function log.setLevel(level)
    local value = level_by_name[level] or level
    if type(value) ~= "number" or value < 0 or value > 4 or value % 1 ~= 0 then
        error("log.setLevel: argument #1 'level' must be one of log.LOG_SILENT..log.LOG_ERROR "
            .. "or \"SILENT\", \"DEBUG\", \"INFO\", \"WARN\", \"ERROR\" (got " .. tostring(level) .. ")", 2)
    end
    current_level = value
end

--- Returns the lowest level that is printed.
---@return integer
function log.getLevel() return current_level end

---@param tag any
function log.debug(tag, ...) emit(1, "D", tag, ...) end

---@param tag any
function log.info(tag, ...) emit(2, "I", tag, ...) end

---@param tag any
function log.warn(tag, ...) emit(3, "W", tag, ...) end

---@param tag any
function log.error(tag, ...) emit(4, "E", tag, ...) end

return log
