-- What an augmentation written in Lua costs in the loader: on-the-fly examples per second
-- (seed recipe, 30 s mashups to 128 x 1292 log-mels) on 2 worker threads with no augmentation,
-- with native steps, with a Lua function that does nothing (the price of the per-worker Lua
-- state: a protected call and a garbage collection per example), and with the shipped
-- augment.telephone (native steps composed in Lua). Prints one JSON object per measurement.
--
--   mashup run scripts/examples/augment_cost.lua [DATA_DIR] [EXAMPLES]
--
-- DATA_DIR defaults to the pipeline benchmark's set ($MASHUP_BENCH_DIR/pipeline_synth, made
-- here when missing, the same files as `MashupBench pipeline` uses).
local bench_dir = (os.getenv("MASHUP_BENCH_DIR") or "/tmp/mashup-bench") .. "/pipeline_synth"
local dir = arg[1] or bench_dir
local examples = tonumber(arg[2] or "96")
local f = io.open(dir .. "/test.csv")
if f then
  f:close()
else
  mm.data.synth{out = dir, scale = "small", seed = 7, songs_per_genre = 4, seconds = 30, mashups = 10, noise_clips = 40}
end

mm.threads(2)
local ds = mm.data.kaggle(dir)
local started = mm.clock()
local builder = mm.data.builder(ds, nil, {seed = 1})
local function emit(bench, fields)
  local parts = {}
  for k, v in pairs(fields) do parts[#parts + 1] = string.format('"%s": %s', k, type(v) == "number" and string.format("%.4g", v) or '"' .. v .. '"') end
  table.sort(parts)
  print(string.format('{"suite": "pipeline_lua", "impl": "mashup", "bench": "%s", "threads": 2, %s}', bench, table.concat(parts, ", ")))
end
emit("stem_bank_decode", {seconds = mm.clock() - started})

local identity = function(buf) return buf end
local variants = {
  {"none", nil},
  {"native_band_limit", mm.augment.pipeline{mm.augment.highpass{cutoff = 300}, mm.augment.lowpass{cutoff = 3400}, mm.augment.tanh{drive = {0, 6}}}},
  {"lua_identity", mm.augment.pipeline{identity}},
  {"lua_telephone", mm.augment.pipeline{"augment.telephone"}},
}
-- Each variant timed five times, interleaved, keeping the best: the machine may be shared.
local rates, loaders = {}, {}
for _, v in ipairs(variants) do
  loaders[v[1]] = mm.data.loader{source = builder, batch = 8, workers = 2, examples_per_epoch = examples, seed = 3, augment = v[2]}
  for _ in loaders[v[1]]:epoch(1) do end  -- warm: every worker's Lua state made, caches filled
end
for round = 1, 5 do
  for _, v in ipairs(variants) do
    local t0 = mm.clock()
    local n = 0
    for x in loaders[v[1]]:epoch(1 + round) do n = n + x:size(1) end
    rates[v[1]] = math.max(rates[v[1]] or 0, n / (mm.clock() - t0))
  end
end
for _, v in ipairs(variants) do
  emit("on_the_fly_examples_" .. v[1], {examples_per_s = rates[v[1]], examples = examples})
end
emit("lua_identity_relative", {ratio = rates.lua_identity / rates.none})

-- The parts of that price, measured alone on one 30 s buffer.
local buf = builder:example(1)
local rng = mm.augment.rng(1)
local calls = 200
local lua_step = mm.augment.lua(identity)
local t0 = mm.clock()
for _ = 1, calls do lua_step(buf, rng) end
emit("lua_call_overhead", {microseconds = (mm.clock() - t0) / calls * 1e6})
t0 = mm.clock()
for _ = 1, 10 do mm.augment.lua(identity) end
emit("lua_worker_state_creation", {milliseconds = (mm.clock() - t0) / 10 * 1e3})
