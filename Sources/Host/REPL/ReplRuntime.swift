/// The Lua half of the REPL: compiling a line as lua.c does (`return <line>` first, an
/// unfinished chunk asks for more), printing results, and completing names. Plain Lua, so the
/// rules read as Lua users know them.
let replRuntimeSource = #"""
    local M = {}

    local max_depth, max_items = 3, 40

    local function sorted_keys(t)
      local keys, n = {}, #t
      for k in pairs(t) do
        if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
      end
      table.sort(keys, function(a, b)
        local ta, tb = type(a), type(b)
        if ta ~= tb then return ta < tb end
        if ta == "number" or ta == "string" then return a < b end
        return tostring(a) < tostring(b)
      end)
      return keys, n
    end

    local function key_text(k)
      if type(k) == "string" and k:match("^[%a_][%w_]*$") then return k end
      return "[" .. (type(k) == "string" and string.format("%q", k) or tostring(k)) .. "]"
    end

    -- Tables print as constructors, nested to max_depth, cut after max_items entries; anything
    -- with a __tostring prints through it; strings inside tables are quoted.
    local function pretty(v, depth, seen, indent)
      local tv = type(v)
      if tv == "string" then return depth == 0 and v or string.format("%q", v) end
      if tv ~= "table" then return tostring(v) end
      local mt = getmetatable(v)
      if mt and mt.__tostring then return tostring(v) end
      if seen[v] then return "<cycle: " .. tostring(v) .. ">" end
      if depth >= max_depth then return "{...}" end
      seen[v] = true
      local keys, n = sorted_keys(v)
      local parts, count = {}, 0
      local inner = indent .. "  "
      for i = 1, n do
        count = count + 1
        if count > max_items then break end
        parts[#parts + 1] = pretty(v[i], depth + 1, seen, inner)
      end
      for _, k in ipairs(keys) do
        count = count + 1
        if count > max_items then break end
        parts[#parts + 1] = key_text(k) .. " = " .. pretty(v[k], depth + 1, seen, inner)
      end
      seen[v] = nil
      local total = n + #keys
      if total > max_items then parts[#parts + 1] = "... (" .. (total - max_items) .. " more)" end
      if #parts == 0 then return "{}" end
      local flat = "{ " .. table.concat(parts, ", ") .. " }"
      if #flat + #indent <= 78 and not flat:find("\n") then return flat end
      return "{\n" .. inner .. table.concat(parts, ",\n" .. inner) .. "\n" .. indent .. "}"
    end
    M.pretty = function(v) return pretty(v, 0, {}, "") end

    local function show(...)
      local n = select("#", ...)
      if n == 0 then return end
      local out = {}
      for i = 1, n do out[i] = pretty((select(i, ...)), 0, {}, "") end
      io.write(table.concat(out, "\t"), "\n")
      io.flush()
    end

    -- Returns "incomplete" when the chunk needs more lines, "syntax", message on a syntax
    -- error, nothing when it ran; runtime errors propagate to the caller's message handler.
    function M.eval(source)
      local f, err = load("return " .. source, "=stdin")
      if not f then
        local incomplete_expression = err:sub(-5) == "<eof>"
        f, err = load(source, "=stdin")
        if not f then
          if err:sub(-5) == "<eof>" or incomplete_expression then return "incomplete" end
          return "syntax", err
        end
      end
      show(f())
    end

    local keywords = { "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
      "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true",
      "until", "while" }

    local function fields(v)
      local names = {}
      local function add(t)
        if type(t) ~= "table" then return end
        for k in next, t do if type(k) == "string" then names[k] = rawget(t, k) end end
      end
      if type(v) == "table" then add(v) end
      local mt = getmetatable(v)
      if type(mt) == "table" then
        add(rawget(mt, "__methods"))
        if type(rawget(mt, "__index")) == "table" then add(rawget(mt, "__index")) end
      end
      return names
    end

    -- Completes the word at the cursor: globals and keywords, or the fields and methods of the
    -- value named before the last '.' or ':'. Functions complete with "(", tables with ".".
    function M.complete(word)
      local path, sep, partial = word:match("^(.-)([%.:]?)([%w_]*)$")
      local candidates, target = {}, _G
      if sep ~= "" then
        for part in path:gmatch("[^%.:]+") do
          if type(target) ~= "table" and type(target) ~= "userdata" then return {} end
          local ok, value = pcall(function() return target[part] end)
          if not ok then return {} end
          target = value
        end
      else
        for _, k in ipairs(keywords) do candidates[k] = true end
      end
      for name, value in pairs(fields(target)) do
        if sep ~= ":" or type(value) == "function" then candidates[name] = value end
      end
      local out = {}
      for name, value in pairs(candidates) do
        if name:sub(1, #partial) == partial and name:match("^[%a_][%w_]*$") then
          local suffix = type(value) == "function" and "(" or type(value) == "table" and "." or ""
          out[#out + 1] = path .. sep .. name .. suffix
        end
      end
      table.sort(out)
      return out
    end

    return M
    """#
