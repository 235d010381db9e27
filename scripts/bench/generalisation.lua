-- How the recipe does on songs it never heard: trains the quickstart's small SE-ResNet on a
-- synthetic set whose test mashups are made of held-out songs, for each variant and seed, and
-- reports validation and test macro F1 (mean and sample standard deviation over the seeds).
-- Part of `make bench`; its table is README "Results".
--
--   mashup --quiet run scripts/bench/generalisation.lua [--seeds 1,2,3] [--variants cache,fresh,...]
--                                                       [--epochs 20] [--out FILE.jsonl] [--data DIR]
--
-- The quickstart's set and sizes, so the rows of the default recipe (fresh+ema+aug) are
-- `make demo` with those seeds.
--
-- Each finished run appends a JSON line to --out, so a long benchmark keeps what it measured.
local options = require "mashup.options"
local recipe = require "mashup.recipe"
local baseline = require "mashup.baseline"

-- Every variant starts from the recipe's defaults with the quickstart's sizes, then sets these.
local none = {cache = false, ema = false, tempo_align = false, stem_eq = 0.0}
local variants = {
  {"baseline", {baseline = "mel"}},                                             -- mashup.baseline, no CNN
  -- the regression over a pretrained network's embedding (3 s training crops, validated on 6 s)
  {"baseline+musicnn", {baseline = "musicnn", val_duration = 6}},
  {"baseline+vgg", {baseline = "vgg", val_duration = 6}},
  -- musicnn's pretrained networks with a new head (3 s training crops, validated on 6 s)
  {"musicnn+head", {model = "musicnn", trainable = "head", val_duration = 6}},  -- the head alone trains
  {"musicnn+backend", {model = "musicnn", trainable = "2", val_duration = 6}},  -- the dense layers too
  {"musicnn", {model = "musicnn", val_duration = 6}},          -- the recipe's: all but the front end trains
  {"musicnn+all", {model = "musicnn", trainable = "all", lr = 1e-4, val_duration = 6}},
  {"vgg", {model = "vgg", val_duration = 6}},                  -- all but the input norm and first block
  {"cache", {cache = true, ema = false, tempo_align = false, stem_eq = 0.0}},   -- the seed's recipe
  {"fresh", none},
  {"fresh+ema", {ema = true, tempo_align = false, stem_eq = 0.0}},
  {"fresh+ema+aug", {}},                                                        -- the defaults (stem EQ)
  {"defaults+tempo_align", {tempo_align = true}},
  {"defaults+eq", {eq = 0.5}},
  {"defaults+lowpass", {lowpass = 0.3}},
  {"defaults+pitch", {pitch = 0.3}},
  {"defaults+stretch", {stretch = 0.3}},
  {"defaults+reverb", {reverb = 0.3}},
  {"defaults+spec_augment", {spec_augment = 0.5}},
  {"defaults+same_song", {same_song = 0.2}},
}

local cfg = options.parse(arg, {seeds = "1,2,3", variants = "baseline,cache,fresh,fresh+ema,fresh+ema+aug", epochs = 20,
                                out = "runs/generalisation.jsonl", runs = "runs/generalisation"},
                          "scripts/bench/generalisation.lua",
                          {data = "the data set (default: the quickstart's synthetic set)",
                           variants = "comma-separated names: " .. (function()
                            local names = {}
                            for _, v in ipairs(variants) do names[#names + 1] = v[1] end
                            return table.concat(names, ",")
                          end)()})
-- The quickstart's data set (the recipe's fixed synthetic seed), or --data.
cfg.data = recipe.data_folder{data = cfg.data, synth = recipe.kaggle.synth, synth_seed = recipe.kaggle.synth_seed}

local seeds = {}
for word in cfg.seeds:gmatch("[^,]+") do
  local seed = math.tointeger(tonumber(word))
  if not seed then error(("--seeds: integers separated by commas expected, got '%s'"):format(cfg.seeds), 0) end
  seeds[#seeds + 1] = seed
end

local chosen = {}
for name in cfg.variants:gmatch("[^,]+") do
  local found
  for _, v in ipairs(variants) do if v[1] == name then found = v end end
  if not found then error(("--variants: unknown variant '%s'"):format(name), 0) end
  chosen[#chosen + 1] = found
end

local function mean_sd(xs)
  local sum = 0
  for _, x in ipairs(xs) do sum = sum + x end
  local mean = sum / #xs
  local sq = 0
  for _, x in ipairs(xs) do sq = sq + (x - mean) ^ 2 end
  return mean, #xs > 1 and math.sqrt(sq / (#xs - 1)) or 0
end

-- One flat object of numbers and strings as a JSON line.
local function json(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = t[k]
    parts[#parts + 1] = ("%q: %s"):format(k, type(v) == "string" and ("%q"):format(v) or tostring(v))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local log = assert(io.open(cfg.out, "a"))
local rows = {}
for _, variant in ipairs(chosen) do
  local name, overrides = variant[1], variant[2]
  local row = {name = name, val = {}, test = {}, minutes = {}}
  for _, seed in ipairs(seeds) do
    local run_cfg = {}
    for k, v in pairs(recipe.quickstart) do run_cfg[k] = v end
    run_cfg.epochs = cfg.epochs
    for k, v in pairs(overrides) do run_cfg[k] = v end
    run_cfg.seed, run_cfg.data, run_cfg.baseline = seed, cfg.data, nil
    run_cfg.runs, run_cfg.run = cfg.runs, ("%s-s%d-%d"):format(name, seed, os.time())
    local started = mm.clock()
    local summary = overrides.baseline and baseline.run(run_cfg, {features = overrides.baseline})
      or recipe.run(run_cfg, "scripts/bench/generalisation.lua")
    local minutes = (mm.clock() - started) / 60
    row.val[#row.val + 1], row.test[#row.test + 1], row.minutes[#row.minutes + 1] =
      summary.best_val_f1, summary.test_f1, minutes
    log:write(json{suite = "generalisation", variant = name, seed = seed, val_f1 = summary.best_val_f1, val_f1_se = summary.best_val_f1_se,
                             test_f1 = summary.test_f1, best_epoch = summary.best_epoch, epochs_run = summary.epochs_run,
                             minutes = minutes, epochs = cfg.epochs, data = cfg.data}, "\n")
    log:flush()
    print(("%-24s seed %d: validation F1 %.3f, test F1 (unseen songs) %.3f, %.1f min"):format(
      name, seed, summary.best_val_f1, summary.test_f1, minutes))
  end
  rows[#rows + 1] = row
end
log:close()

print(("\n| variant | validation macro F1 | test macro F1, unseen songs | per seed (test) | minutes per run |\n|---|---|---|---|---|"))
for _, row in ipairs(rows) do
  local vm, vs = mean_sd(row.val)
  local tm, ts = mean_sd(row.test)
  local per = {}
  for i, t in ipairs(row.test) do per[i] = ("%.3f"):format(t) end
  local mm_, _ = mean_sd(row.minutes)
  print(("| %s | %.3f +- %.3f | %.3f +- %.3f | %s | %.1f |"):format(row.name, vm, vs, tm, ts, table.concat(per, " / "), mm_))
end
