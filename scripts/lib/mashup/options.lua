-- Command-line options for experiment scripts: every value of a recipe is a named option
-- that `--name value` overrides, with the type of its default.
--
--   local options = require "mashup.options"
--   local cfg = options.parse(arg, defaults, "kaggle.lua")   -- `--epochs 3 --model small`
--
-- Names are written with dashes on the command line and underscores in Lua
-- (`--mashups-per-song 1` sets cfg.mashups_per_song). Ranges are given as "a,b"
-- (`--noise-intensity 0.1,0.5`). Booleans take true/false/yes/no/1/0, or `--flag` alone.
-- Options whose default is nil accept a string.
local M = {}

-- The names each parsed table had on its command line (weak keys: forgotten with the table).
local given_names = setmetatable({}, {__mode = "k"})

--- The set of option names (underscored) that the command line gave for `cfg`, a table
--- from `parse`; empty for any other table.
function M.given(cfg)
  return given_names[cfg] or {}
end

local function describe(value)
  if type(value) == "table" then return table.concat(value, ",") end
  return tostring(value)
end

local function convert(name, text, default)
  local kind = type(default)
  if kind == "number" then
    local n = tonumber(text)
    if not n then error(("--%s: a number expected, got '%s'"):format(name, text), 0) end
    if math.type(default) == "integer" and math.type(n) ~= "integer" then
      if n ~= math.floor(n) then error(("--%s: an integer expected, got '%s'"):format(name, text), 0) end
      n = math.tointeger(n)
    end
    return n
  elseif kind == "boolean" then
    local t = text:lower()
    if t == "true" or t == "yes" or t == "1" then return true end
    if t == "false" or t == "no" or t == "0" then return false end
    error(("--%s: true or false expected, got '%s'"):format(name, text), 0)
  elseif kind == "table" then
    local values = {}
    for part in text:gmatch("[^,]+") do
      local n = tonumber(part)
      if not n then error(("--%s: numbers separated by commas expected, got '%s'"):format(name, text), 0) end
      values[#values + 1] = n
    end
    if #values ~= #default then
      error(("--%s: %d numbers expected (like %s), got '%s'"):format(name, #default, describe(default), text), 0)
    end
    return values
  end
  return text
end

--- The options table for `defaults` overridden by `argv` (a script's `arg`). `program` names
--- the script in messages; `notes` maps names to a line of help (and adds string options
--- without a default). `--help` lists every option in alphabetical order.
function M.parse(argv, defaults, program, notes)
  notes = notes or {}
  local cfg, given = {}, {}
  given_names[cfg] = given
  for k, v in pairs(defaults) do
    cfg[k] = type(v) == "table" and table.move(v, 1, #v, 1, {}) or v
  end
  local i = 1
  while argv and argv[i] do
    local word = argv[i]
    if word == "--help" or word == "-h" then
      M.usage(defaults, program, notes)
      os.exit(0)
    end
    local name, inline = word:match("^%-%-([%w%-_]+)=(.*)$")
    name = name or word:match("^%-%-([%w%-_]+)$")
    if not name then error(("%s: unexpected argument '%s' (options are --name value)"):format(program, word), 0) end
    local key = name:gsub("%-", "_")
    if defaults[key] == nil and notes[key] == nil then
      local known = {}
      for k in pairs(defaults) do known[#known + 1] = "--" .. k:gsub("_", "-") end
      for k in pairs(notes) do if defaults[k] == nil then known[#known + 1] = "--" .. k:gsub("_", "-") end end
      table.sort(known)
      error(("%s: unknown option --%s; the options are %s"):format(program, name, table.concat(known, " ")), 0)
    end
    local text = inline
    if text == nil then
      local nxt = argv[i + 1]
      if type(defaults[key]) == "boolean" and (nxt == nil or nxt:match("^%-%-")) then
        text = "true"
      else
        if nxt == nil then error(("--%s: a value expected"):format(name), 0) end
        text = nxt
        i = i + 1
      end
    end
    cfg[key] = convert(name, text, defaults[key])
    given[key] = true
    i = i + 1
  end
  return cfg
end

function M.usage(defaults, program, notes)
  local names = {}
  for k in pairs(defaults) do names[#names + 1] = k end
  for k in pairs(notes) do if defaults[k] == nil then names[#names + 1] = k end end
  table.sort(names)
  print(("usage: mashup run %s [--option value ...]\n\noptions (default):"):format(program))
  for _, k in ipairs(names) do
    local default = defaults[k] == nil and "" or " (" .. describe(defaults[k]) .. ")"
    print(("  --%-24s %s%s"):format(k:gsub("_", "-"), notes[k] or "", default))
  end
end

return M
