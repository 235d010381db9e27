-- The fuzz suite of `make test`: crafted files (safetensors, training states, .npy, spectrogram
-- caches, WAV, the data set's CSV files) and bad arguments for every binding and method. Each
-- input must end in a Lua error or a clean result, never a signal; a crafted file that is not
-- valid must be refused. Run by tools/fuzz.sh under the release build (the one users run), in a
-- scratch folder that it removes:
--
--   mashup --quiet run scripts/fuzz/fuzz.lua SCRATCH_DIR
--
-- Before each input the case's name goes to SCRATCH_DIR/last-case, so a crash names its input.
-- Prints the counts; exits 1 when a bad file was accepted or an error had no message.
local dir = assert(arg[1], "usage: mashup --quiet run scripts/fuzz/fuzz.lua SCRATCH_DIR")
local counts = {inputs = 0, errors = 0, accepted = 0}
local wrong = {}

local function write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
  return path
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local bytes = f:read("a")
  f:close()
  return bytes
end

--- Runs f(...) under pcall as input `name`; `bad` says the input is invalid and must be refused.
local function case(name, bad, f, ...)
  write(dir .. "/last-case", name)
  counts.inputs = counts.inputs + 1
  local ok, err = pcall(f, ...)
  if os.getenv("FUZZ_VERBOSE") and not ok then print(name, "=>", (tostring(err):gsub("\n.*", ""))) end
  if ok then
    counts.accepted = counts.accepted + 1
    if bad then wrong[#wrong + 1] = name .. ": accepted" end
  else
    counts.errors = counts.errors + 1
    if type(err) ~= "string" or err == "" then wrong[#wrong + 1] = name .. ": an error without a message" end
  end
end

--- Every prefix of `bytes` shorter than it (and so invalid), written to `path` and given to f.
local function truncations(name, bytes, path, f, upto)
  for n = 0, math.min(#bytes, upto or #bytes) - 1 do
    case(("%s truncated to %d bytes"):format(name, n), true, f, write(path, bytes:sub(1, n)))
  end
end

local big = {"4611686018427387904", "4611686018427387905", "2305843009213693952", "9223372036854775807",
             "4294967296", "2147483648", "2147483647", "-1", "-4611686018427387904", "1.5", "1e30", "\"2\"", "null"}

-- safetensors ------------------------------------------------------------------------------
local function safetensors(header, data)
  return string.pack("<I8", #header) .. header .. (data or "")
end
local function load_model(path) mm.nn.Linear(2, 2):load(path) end
local function load_state(path)
  local net = mm.nn.Linear(2, 2)
  local opt = mm.optim.adamw(net)
  mm.optim.load_state(path, {model = net, optimizer = opt, scheduler = mm.optim.onecycle(opt, {max_lr = 0.1, total_steps = 10}),
                             ema = mm.optim.ema(net)})
end
local bias = '"bias": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}'
local zeros8 = string.rep("\0", 8)
local st = dir .. "/crafted.safetensors"
for _, size in ipairs(big) do
  for _, dtype in ipairs{"F32", "F64", "F16", "BF16", "I64", "I32"} do
    for _, shape in ipairs{("[%s]"):format(size), ("[%s, 2]"):format(size), ("[2, %s]"):format(size),
                           ("[%s, %s]"):format(size, size)} do
      for _, offsets in ipairs{"[8, 8]", "[8, 24]", "[8, 12]"} do
        local header = ('{%s, "weight": {"dtype": "%s", "shape": %s, "data_offsets": %s}}'):format(bias, dtype, shape, offsets)
        local path = write(st, safetensors(header, zeros8 .. string.rep("\0", 16)))
        case("safetensors weight " .. dtype .. " " .. shape .. " at " .. offsets .. ": net:load", true, load_model, path)
      end
    end
  end
end
for i, header in ipairs{
  "", "{", "[]", "null", "{\"weight\": 1}", '{"weight": {"dtype": "Q8", "shape": [2, 2], "data_offsets": [0, 16]}}',
  '{"weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [16, 0]}}',
  '{"weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 4611686018427387904]}}',
  '{"weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [-16, 0]}}',
  '{"weight": {"dtype": "F32", "shape": [2, 2]}}', '{"__metadata__": {"format": 7}}',
  '{"__metadata__": "x", "weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}',
  '{"weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}, "weight": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}',
  string.rep("[", 100000),
} do
  local path = write(st, safetensors(header, string.rep("\0", 32)))
  case("safetensors header " .. i .. ": net:load", true, load_model, path)
  case("safetensors header " .. i .. ": load_state", true, load_state, path)
end
for _, length in ipairs{math.maxinteger, -1, 1 << 40, 1 << 32, 100000} do
  case("safetensors header length " .. length, true, load_model, write(st, string.pack("<i8", length) .. "{}"))
end
do
  local net = mm.nn.Linear(2, 2)
  local good = dir .. "/good.safetensors"
  net:save(good)
  local bytes = read(good)
  truncations("net:save file", bytes, st, load_model)
  case("net:save file whole", false, load_model, good)
  -- NaN and infinite weights, written by hand with a valid layout
  for _, value in ipairs{0 / 0, 1 / 0, -1 / 0} do
    local header = '{"bias": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, '
      .. '"weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [8, 24]}}'
    local data = string.pack("<ffffff", 0, 0, 0, value, 0, 0)
    case("weights holding " .. tostring(value), true, load_model, write(st, safetensors(header, data)))
  end
  local opt = mm.optim.adamw(net)
  local state = dir .. "/good-state.safetensors"
  mm.optim.save_state(state, {model = net, optimizer = opt, scheduler = mm.optim.onecycle(opt, {max_lr = 0.1, total_steps = 10}),
                              ema = mm.optim.ema(net)})
  case("save_state file whole", false, load_state, state)
  truncations("save_state file", read(state), st, load_state)
end

-- .npy ------------------------------------------------------------------------------------
local function npy(dict, data, version)
  version = version or 1
  local text = dict .. " "
  local head = version == 1 and 10 or 12
  text = text .. string.rep(" ", (64 - (head + #text + 1) % 64) % 64) .. "\n"
  local length = version == 1 and string.pack("<I2", #text) or string.pack("<I4", #text)
  return "\147NUMPY" .. string.char(version, 0) .. length .. text .. (data or "")
end
local np = dir .. "/crafted.npy"
for _, size in ipairs(big) do
  for _, descr in ipairs{"<f4", "<f8", "<i8", "|u1", "<f2"} do
    for _, shape in ipairs{("(%s,)"):format(size), ("(%s, %s)"):format(size, size), ("(2, %s)"):format(size)} do
      local dict = ("{'descr': '%s', 'fortran_order': False, 'shape': %s, }"):format(descr, shape)
      case(".npy " .. descr .. " " .. shape, true, mm.npy.load, write(np, npy(dict, string.rep("\0", 64))))
    end
  end
end
for i, dict in ipairs{"", "{", "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }",
                      "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                      "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                      "{'descr': '<f4', 'shape': (2,), }", "{'descr': 7, 'fortran_order': False, 'shape': (2,), }",
                      "{'descr': '<f4', 'fortran_order': False, 'shape': [2], }"} do
  case(".npy header " .. i, true, mm.npy.load, write(np, npy(dict, string.rep("\0", 8))))
end
case(".npy version 2, header length 2^32 - 1", true, mm.npy.load,
     write(np, "\147NUMPY\2\0" .. string.pack("<I4", 0xffffffff) .. "{}"))
do
  local good = dir .. "/good.npy"
  mm.npy.save(good, mm.rand(3, 4))
  case(".npy whole", false, mm.npy.load, good)
  truncations(".npy file", read(good), np, mm.npy.load)
end

-- TensorFlow checkpoints (the fixture TensorFlow wrote) --------------------------------------
do
  local fixture = debug.getinfo(1, "S").source:match("^@(.*)scripts/fuzz/fuzz%.lua$") .. "Tests/Fixtures/tf_checkpoint/tiny"
  local index, data = read(fixture .. ".index"), read(fixture .. ".data-00000-of-00001")
  local prefix = dir .. "/crafted-ckpt"
  write(prefix .. ".data-00000-of-00001", data)
  local function load_ckpt(p) mm.nn.tf_checkpoint(p) end
  case("TF checkpoint whole", false, load_ckpt, fixture)
  truncations("TF checkpoint index", index, prefix .. ".index", function() load_ckpt(prefix) end)
  for i = 1, #index do  -- each byte flipped: refused, or the same variables read; never a crash
    case(("TF checkpoint index byte %d flipped"):format(i), false, load_ckpt,
         (write(prefix .. ".index", index:sub(1, i - 1) .. string.char(index:byte(i) ~ 0xff) .. index:sub(i + 1))
           and prefix))
  end
  write(prefix .. ".index", index)
  truncations("TF checkpoint data", data, prefix .. ".data-00000-of-00001", function() load_ckpt(prefix) end, 64)
end

-- WAV -------------------------------------------------------------------------------------
local wav = dir .. "/crafted.wav"
local function load_audio(path) mm.audio.load(path) end
local function info(path) mm.audio.info(path) end
local function riff(format, channels, rate, bits, data)
  local block = channels * bits // 8
  local fmt = string.pack("<I2I2I4I4I2I2", format, channels, rate, (rate * block) & 0xffffffff, block & 0xffff, bits)
  return "RIFF" .. string.pack("<I4", 4 + 8 + #fmt + 8 + #data) .. "WAVE" .. "fmt " .. string.pack("<I4", #fmt) .. fmt
    .. "data" .. string.pack("<I4", #data) .. data
end
do
  local good = dir .. "/good.wav"
  local samples = {}
  for i = 1, 800 do samples[i] = math.sin(i / 10) * 0.5 end
  mm.audio.new(samples, 8000):save(good)
  local bytes = read(good)
  case("WAV whole", false, load_audio, good)
  truncations("WAV", bytes, wav, load_audio, 200)
  truncations("WAV header (info)", bytes, wav, info, 60)
  for _, field in ipairs{{5, "RIFF size"}, {17, "fmt size"}, {41, "data size"}} do
    for _, value in ipairs{0, 1, 0x7fffffff, 0xffffffff} do
      local crafted = bytes:sub(1, field[1] - 1) .. string.pack("<I4", value) .. bytes:sub(field[1] + 4)
      case(("WAV %s = %d"):format(field[2], value), false, load_audio, write(wav, crafted))
    end
  end
  for _, h in ipairs{{1, 0, 8000, 16}, {1, 65535, 8000, 16}, {1, 1, 0, 16}, {1, 1, 4294967295, 16}, {1, 1, 8000, 7},
                     {1, 1, 8000, 0}, {3, 1, 8000, 32}, {3, 1, 8000, 64}, {0x55, 1, 8000, 16}, {0xfffe, 2, 8000, 16}} do
    case(("WAV format %d, %d channels, %d Hz, %d bits"):format(h[1], h[2], h[3], h[4]), false, load_audio,
         write(wav, riff(h[1], h[2], h[3], h[4], string.rep("\0", 64))))
  end
  for _, value in ipairs{0 / 0, 1 / 0, 1e38} do
    case("float WAV holding " .. tostring(value), value ~= 1e38, load_audio,
         write(wav, riff(3, 1, 8000, 32, string.pack("<ffff", 0, value, 0, 0))))
    case("float WAV holding " .. tostring(value) .. ", log-mel", true, function(path)
      mm.dsp.logmel(mm.audio.load(path):resample(22050))
    end, write(wav, riff(3, 1, 8000, 32, string.rep(string.pack("<f", value), 4000))))
  end
end

-- a data set: its CSV files, and a spectrogram cache ----------------------------------------
local set = dir .. "/set"
mm.data.synth{out = set, songs_per_genre = 2, test_songs_per_genre = 1, seconds = 3, mashups = 4, noise_clips = 2,
              seed = 1, progress = false}
local test_csv = read(set .. "/test.csv")
local sample_csv = read(set .. "/sample_submission.csv")
case("data set whole", false, mm.data.kaggle, set)
for i, text in ipairs{"", "id,filename\n", "id\n1\n", "filename,id\nsong0001.wav,1\n", "id,filename\n1,../../etc/passwd\n",
                      "id,filename\n1,song0001.wav\n1,song0002.wav\n", "id,filename\n1,missing.wav\n",
                      "id,filename\n1,song0001.wav,extra\n", "\239\187\191id,filename\r\n1,song0001.wav\r\n",
                      "id,filename\n\0\0\0,song0001.wav\n", "id,filename\n\255\254,song0001.wav\n",
                      "id,filename\n" .. string.rep("x", 1 << 20) .. ",song0001.wav\n",
                      "id,filename\n" .. string.rep("1,song0001.wav,", 100000) .. "\n", "id,filename\n\"1,song0001.wav\n"} do
  write(set .. "/test.csv", text)
  case("test.csv variant " .. i, false, mm.data.kaggle, set)
end
write(set .. "/test.csv", test_csv)
for i, text in ipairs{"", "id\n", "id,genre\n1,polka\n", "id,genre\n" .. string.rep("y", 1 << 20) .. "\n"} do
  write(set .. "/sample_submission.csv", text)
  case("sample_submission.csv variant " .. i, false, mm.data.kaggle, set)
end
write(set .. "/sample_submission.csv", sample_csv)
do
  local ds = mm.data.kaggle(set)
  local bank = mm.data.bank(ds, {rate = 22050})
  local options = {dataset = bank, songs = ds:split{val = 0.5, seed = 1}.train, per_song = 1, folder = dir .. "/cache",
                   seconds = 2, progress = false, seed = 3}
  local cache = mm.data.cache(options)
  local path = cache.path
  local bytes = read(path)
  local function reopen(_) local c = mm.data.cache(options); for i = 1, #c do c:get(i) end end
  case("cache whole", false, reopen, path)
  for _, field in ipairs{{9, "count"}, {17, "bins"}, {25, "frames"}} do
    for _, value in ipairs{0, -1, 1 << 31, 1 << 32, (1 << 62) + 11136, math.maxinteger} do
      write(path, bytes:sub(1, field[1] - 1) .. string.pack("<i8", value) .. bytes:sub(field[1] + 8))
      case(("cache header %s = %d"):format(field[2], value), true, reopen, path)
    end
  end
  truncations("cache", bytes, path, reopen, 256)
  write(path, bytes)
end

-- the reproductions of issue 13, each of which crashed or went wrong before ---------------------
for name, f in pairs{
  ["mm.metrics.confusion(2^32):add({3}, {3})"] = function() mm.metrics.confusion(1 << 32):add({3}, {3}) end,
  ["mm.metrics.confusion(1e9)"] = function() mm.metrics.confusion(1e9) end,
  ["mm.nn.Linear(1e6, 1e6)"] = function() mm.nn.Linear(1e6, 1e6) end,
  ["mm.nn.seresnet{widths = {1e6, 1e6, 1e6, 1e6}}"] = function() mm.nn.seresnet{widths = {1e6, 1e6, 1e6, 1e6}} end,
  ["mm.nn.Conv2d(100000, 100000, 3)"] = function() mm.nn.Conv2d(100000, 100000, 3) end,
  ["mm.nn.BatchNorm2d(2^40)"] = function() mm.nn.BatchNorm2d(1 << 40) end,
  ["mm.data.mixup(x, {1, 2}, {classes = 2^40})"] = function() mm.data.mixup(mm.rand(2, 3), {1, 2}, {classes = 1 << 40}) end,
  ["buf:gain(1e10)"] = function() mm.audio.new({0.1, 0.2}, 8000):gain(1e10) end,
  ["mm.audio.new with NaN"] = function() mm.audio.new({0.1, 0 / 0}, 8000) end,
  [".npy (2^32, 2^32) <f8, then t:get(100000, 1)"] = function()
    local path = write(dir .. "/wide.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", ""))
    mm.npy.load(path):get(100000, 1)
  end,
} do
  case("issue 13: " .. name, true, f)
end

-- bad arguments for every function and method ------------------------------------------------
local values = {{}, {nil}, {-1}, {0}, {1 << 62}, {1 << 40}, {math.mininteger}, {1e308}, {-1e308}, {0 / 0}, {-0.0},
                {"x"}, {""}, {{}}, {{-1}}, {{1 << 40, 1 << 40}}, {{1, "a", {}}}, {true}, {print}, {1, -1},
                {1 << 31, 1 << 31}, {{n = 1 << 62}}, {2, 2, {classes = 1 << 40}}, {"x", "y", "z", {}}}
-- Functions that write data sets, change the process or wait for input are called with the
-- values that fail before doing any of that.
local skip = {["mm.data.synth"] = true, ["mm.defer_interrupt"] = true, ["mm.threads"] = true, ["mm.seed"] = true}
local function each_function(t, prefix, seen, f)
  local names = {}
  for k in pairs(t) do names[#names + 1] = k end
  table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(names) do
    local v, name = t[k], prefix .. tostring(k)
    if type(v) == "function" then
      f(name, v)
    elseif type(v) == "table" and not seen[v] then
      seen[v] = true
      each_function(v, name .. ".", seen, f)
    end
  end
end
each_function(mm, "mm.", {}, function(name, fn)
  if skip[name] then return end
  for i, args in ipairs(values) do
    case(("%s(bad arguments %d)"):format(name, i), false, fn, table.unpack(args, 1, 4))
  end
end)

local samples = {}
for i = 1, 4096 do samples[i] = math.sin(i / 7) * 0.3 end
local audio = mm.audio.new(samples, 22050)
local net = mm.nn.seresnet{widths = {4, 8}, blocks = {1, 1}, classes = 3}
local opt = mm.optim.adamw(net)
local objects = {
  tensor = mm.rand(2, 3), audio = audio, spectrogram = mm.dsp.logmel(audio), net = net, linear = mm.nn.Linear(2, 2),
  conv = mm.nn.Conv2d(1, 2, 3), optimizer = opt, schedule = mm.optim.onecycle(opt, {max_lr = 0.1, total_steps = 10}),
  ema = mm.optim.ema(net), confusion = mm.metrics.confusion(3), augmentation = mm.augment.gain{db = {-1, 1}},
  rng = mm.augment.rng(1), dataset = mm.data.kaggle(set),
}
local kinds = {}
for kind in pairs(objects) do kinds[#kinds + 1] = kind end
table.sort(kinds)
for _, kind in ipairs(kinds) do
  local object = objects[kind]
  local methods = getmetatable(object).__methods or {}
  local names = {}
  for name in pairs(methods) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    for i, args in ipairs(values) do
      case(("%s:%s(bad arguments %d)"):format(kind, name, i), false, methods[name], object, table.unpack(args, 1, 4))
    end
  end
end

print(("fuzz: %d inputs, %d refused with an error, %d accepted, %d wrong, 0 crashes")
  :format(counts.inputs, counts.errors, counts.accepted, #wrong))
if #wrong > 0 then
  for _, w in ipairs(wrong) do io.stderr:write("fuzz: ", w, "\n") end
  os.exit(1)
end
