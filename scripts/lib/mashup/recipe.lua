-- The experiment both canned scripts run (scripts/kaggle.lua with the seed recipe,
-- scripts/quickstart.lua with a small model on the synthetic set): data, training, test-time
-- augmentation, submission, plots. Each step is a function here or in mashup.train /
-- mashup.tta, so a script can run its own variant of any of them.
local mm = require "mashup"
local train = require "mashup.train"
local tta = require "mashup.tta"
local options = require "mashup.options"

local M = {}

--- The recipe: every value a named option (`--name value` on the command line). The seed's
--- values, except where a measurement on songs the model never heard chose otherwise (README
--- "Results"): fresh mashups every epoch instead of a fixed cache, a weight average for
--- validation and prediction, and randomly equalised stems. Tempo-aligning the training
--- stems is an option: it lowered the unseen-song F1 on every seed measured.
M.kaggle = {
  synth = "small",            -- the synthetic set made when --data is not given
  synth_seed = 2026,          -- its generator's seed: one fixed set whatever the run's --seed
  test_from_train = false,    -- the synthetic set's test mashups from the training songs (old sets)
  cache = false,              -- train on a fixed pre-computed cache (the seed's recipe) instead
  cache_folder = "data/cache",
  runs = "runs",
  sr = 22050, duration = 30, n_mels = 128, n_fft = 2048, hop = 512, fmin = 20, fmax = 8000,
  noise_intensity = {0.05, 0.35}, noise_clips = {1, 3}, stem_volume = {0.4, 1.0},
  batch = 16, epochs = 30, lr = 1e-3, weight_decay = 1e-4, pct_start = 0.3,
  mashups_per_song = 5, val_split = 0.15, val_mashups_per_song = 10,
  label_smoothing = 0.1, mixup_alpha = 0.4, mixup_p = 1.0, patience = 7, patience_from = 0.6,
  ema = true, ema_decay = 0.999, select_window = 1,
  tempo_align = false, same_song = 0.0, stem_eq = 0.5,
  eq = 0.0, lowpass = 0.0, pitch = 0.0, stretch = 0.0, reverb = 0.0, spec_augment = 0.0,
  tta_views = 3, tta_shift = 5, confidence_threshold = 0.5,
  model = "seresnet", dropout = 0.5, seed = 42, workers = 2,
  weights = "MSD", trainable = "5",
  sync_bn = false, bucket_mb = 4,
}

--- The quickstart's values (`make demo`, scripts/quickstart.lua, the generalisation benchmark):
--- the recipe with the small SE-ResNet, 20 epochs and 6 training mashups per song an epoch, and
--- seed 1, the first of the benchmark's seeds, so `make demo` repeats a row of README "Results".
M.quickstart = {}
for k, v in pairs(M.kaggle) do M.quickstart[k] = v end
M.quickstart.model, M.quickstart.epochs, M.quickstart.seed = "small", 20, 1
M.quickstart.mashups_per_song, M.quickstart.val_mashups_per_song = 6, 10

--- Options without a default (strings), and help lines of the others.
M.notes = {
  data = "the Messy Mashup folder (default: the synthetic set, made if absent)",
  synth_seed = "the seed of the synthetic set made when --data is not given (a new seed makes a new folder)",
  run = "the run's name under --runs (default: a timestamp)",
  resume = "continue the run in this folder from its last completed epoch",
  model = "seresnet (the reference, 11.2 M parameters), small, or a pretrained musicnn network: musicnn or vgg "
    .. "(make weights; its own input at 16 kHz, trained on 3 s crops, predicting with the mean over a clip's 3 s "
    .. "patches; one test view unless --tta-views is given)",
  weights = "musicnn/vgg: the pretrained weights, MSD (Million Song Dataset) or MTT (MagnaTagATune), "
    .. "or none (the architecture from random weights)",
  trainable = "musicnn/vgg: what trains, 'head' (the new 10-genre classifier), 'all', or the last K of the 7 layer "
    .. "groups (5: all but the input norm and the front end, or the VGG's first block; README \"Results\")",
  val_duration = "seconds of each validation mashup the model sees (default: --duration)",
  examples_per_epoch = "fresh training mashups per epoch (default: mashups-per-song x training songs)",
  cache = "train on a fixed cache of mashups-per-song mashups per song, the same every epoch (the seed's recipe)",
  cache_folder = "where pre-computed spectrograms are kept",
  test_from_train = "make the synthetic set's test mashups from its training songs (the first versions' set)",
  ema = "validate, keep and predict with an exponential moving average of the weights",
  ema_decay = "the average's decay per step, in (0, 1)",
  patience_from = "early stopping counts epochs without gain only after this share of the epochs "
    .. "(the one-cycle rate is still high before)",
  select_window = "keep the checkpoint whose mean validation F1 over this many epochs is best",
  tempo_align = "time-stretch every stem to the drums' tempo, as the competition's mashups are",
  same_song = "probability that a training mashup's stems all come from one song",
  stem_eq = "probability that a training stem passes a random 3-band equaliser (+-6 dB)",
  eq = "probability of a random 3-band equaliser on the whole training mashup",
  lowpass = "probability of a random low-pass (2-8 kHz) on the training mashup (lo-fi)",
  pitch = "probability of a pitch shift of up to +-1 semitone",
  stretch = "probability of a tempo change of up to +-8%",
  reverb = "probability of a generated room's reverb",
  spec_augment = "probability of SpecAugment masks (2 time, 2 frequency bands) on the spectrogram",
  noise_intensity = "each noise clip's peak relative to the music's",
  mashups_per_song = "cached mashups per training song (--cache), and the epoch's size otherwise",
  synth = "the size of the synthetic set made when --data is not given: tiny, small or full",
  runs = "the folder that holds one folder per run",
  sr = "sample rate of the model's input in Hz",
  duration = "seconds of audio per spectrogram (shorter clips are padded, longer ones cut)",
  n_mels = "mel bands", n_fft = "FFT size in samples", hop = "hop between frames in samples",
  fmin = "lowest mel frequency in Hz", fmax = "highest mel frequency in Hz",
  noise_clips = "how many noise clips a training mashup gets: a range {low, high}",
  stem_volume = "each stem's volume: a range {low, high}",
  batch = "examples per training step", epochs = "training epochs (at most; early stopping may end sooner)",
  lr = "the one-cycle schedule's peak learning rate", weight_decay = "AdamW's decoupled weight decay",
  pct_start = "share of the steps over which the one-cycle rate rises",
  val_split = "share of each genre's songs held out for validation",
  val_mashups_per_song = "validation mashups per held-out song (fixed for the whole run)",
  label_smoothing = "label smoothing of the cross-entropy",
  mixup_alpha = "mixup's Beta(alpha, alpha); 0 turns mixup off", mixup_p = "probability that a batch is mixed",
  patience = "early stopping: epochs without a better validation F1 before the run ends",
  tta_views = "test-time views of each test mashup, averaged", tta_shift = "seconds between the views",
  confidence_threshold = "the report counts a prediction below this probability as unsure",
  dropout = "dropout before the classifier", seed = "the run's seed (weights, mashups, order)",
  workers = "loader threads that build mashups while the network trains",
  sync_bn = "under mpirun: BatchNorm normalises with the whole global batch's statistics (SyncBatchNorm), "
    .. "not each rank's share",
  bucket_mb = "under mpirun: MiB of gradients per all-reduce sent while backward still runs; 0 sends them all after",
}

--- Checks every option a run uses before any data work starts; the error names the option.
function M.check(cfg)
  local function fail(name, expected, got)
    error(("--%s: %s expected, got %s"):format(name:gsub("_", "-"), expected, tostring(got)), 0)
  end
  local function probability(name)
    local p = cfg[name]
    if type(p) ~= "number" or p ~= p or p < 0 or p > 1 then fail(name, "a probability in [0, 1]", p) end
  end
  for _, name in ipairs{"same_song", "stem_eq", "eq", "lowpass", "pitch", "stretch", "reverb", "spec_augment",
                        "mixup_p", "val_split", "patience_from"} do
    probability(name)
  end
  local d = cfg.ema_decay
  if type(d) ~= "number" or not (d > 0 and d < 1) then fail("ema_decay", "a decay in (0, 1) (like 0.999)", d) end
  for _, name in ipairs{"epochs", "batch", "mashups_per_song", "val_mashups_per_song", "select_window", "workers",
                        "tta_views"} do
    local n = cfg[name]
    if math.type(n) ~= "integer" or n < 1 then fail(name, "an integer of at least 1", n) end
  end
  local mb = cfg.bucket_mb or 4
  if type(mb) ~= "number" or not (mb >= 0 and mb <= 4096) then fail("bucket_mb", "MiB in [0, 4096]", mb) end
  if cfg.examples_per_epoch ~= nil then
    local n = math.tointeger(tonumber(cfg.examples_per_epoch))
    if not n or n < 1 then fail("examples_per_epoch", "an integer of at least 1", cfg.examples_per_epoch) end
    if cfg.cache then error("--examples-per-epoch: a cached epoch has mashups-per-song x songs examples; "
      .. "leave out --cache or --examples-per-epoch", 0) end
    cfg.examples_per_epoch = n
  end
  if not M.models[cfg.model] then
    error(("--model: 'seresnet', 'small', 'musicnn' or 'vgg' expected, got '%s'"):format(cfg.model), 0)
  end
  local weights, trainable = cfg.weights or "MSD", cfg.trainable or "5"   -- runs saved before these had none
  if weights ~= "MSD" and weights ~= "MTT" and weights ~= "none" then
    error(("--weights: 'MSD', 'MTT' or 'none' expected, got '%s'"):format(tostring(weights)), 0)
  end
  local k = math.tointeger(tonumber(trainable))
  if trainable ~= "head" and trainable ~= "all" and not (k and k >= 0) then
    error(("--trainable: 'head', 'all' or a count of layer groups expected, got '%s'"):format(tostring(trainable)), 0)
  end
  if M.pretrained(cfg) then
    -- each test view already averages all of a clip's patches
    if not options.given(cfg).tta_views then cfg.tta_views = 1 end
  end
  if cfg.val_duration ~= nil then
    local v = tonumber(cfg.val_duration)
    if not v or not (v > 0 and v <= 600) then fail("val_duration", "seconds in (0, 600]", cfg.val_duration) end
    cfg.val_duration = v
  end
  return cfg
end

--- The run ends by predicting the test mashups into a submission checked against
--- sample_submission.csv: a data set without them (a training-only copy) fails here, before
--- training, instead of after it.
function M.check_test_files(ds, folder)
  local sample = io.open(folder .. "/sample_submission.csv")
  if sample then sample:close() end
  if ds.test_count == 0 or not sample then
    error(("%s: the recipe predicts the test mashups, but %s; expected test.csv (id,filename) with "
      .. "its mashups/ and sample_submission.csv (id,genre)"):format(folder,
      ds.test_count == 0 and "test.csv lists none (or mashups/ is empty)" or "sample_submission.csv is missing"), 0)
  end
end

--- The models --model names: the two SE-ResNets trained from scratch, and musicnn's pretrained
--- networks with a new 10-genre head (mm.nn.musicnn; `make weights` fetches them).
M.models = {
  small = function(cfg)
    return mm.nn.seresnet{widths = {16, 32, 64, 128}, blocks = {1, 1, 1, 1}, reduction = 8, classes = 10,
                          dropout = cfg.dropout}
  end,
  seresnet = function(cfg) return mm.nn.seresnet{classes = 10, dropout = cfg.dropout} end,
  musicnn = function(cfg) return M.musicnn(cfg, "musicnn") end,
  vgg = function(cfg) return M.musicnn(cfg, "vgg") end,
}

--- Whether cfg.model is a pretrained musicnn network (its own input, 3 s patches).
function M.pretrained(cfg) return cfg.model == "musicnn" or cfg.model == "vgg" end

--- musicnn's frames per patch, and the seconds of audio they span at 16 kHz, hop 256.
M.patch_frames = 187
M.patch_seconds = (M.patch_frames - 1) * 256 / 16000

function M.musicnn(cfg, model)
  local trainable = math.tointeger(tonumber(cfg.trainable)) or cfg.trainable
  return mm.nn.musicnn{model = model, weights = cfg.weights ~= "none" and cfg.weights, classes = 10,
                       trainable = trainable, clips = true, dropout = cfg.dropout}
end

--- The network for cfg.model.
function M.model(cfg)
  local make = M.models[cfg.model]
  if not make then error(("--model: 'seresnet', 'small', 'musicnn' or 'vgg' expected, got '%s'"):format(cfg.model), 0) end
  return make(cfg)
end

--- The data folder: cfg.data, or the synthetic set of scale cfg.synth (made when absent).
function M.data_folder(cfg)
  if cfg.data then return cfg.data end
  local seed = cfg.synth_seed or M.kaggle.synth_seed   -- runs saved before the option had none
  local folder = "data/synth-" .. cfg.synth .. (seed ~= M.kaggle.synth_seed and "-" .. seed or "")
    .. (cfg.test_from_train and "-test-from-train" or "")
  -- A set made by another seed (earlier versions used the run's) or by a version that wrote no
  -- description beside it (its test songs may be training songs) is made again.
  local probe = io.open(folder .. ".synth.json")
  local description = probe and probe:read("a") or ""
  if probe then probe:close() end
  -- Under mpirun every rank makes its share of the set (rank 0's view of the folder decides).
  if not mm.dist.broadcast(description:find('"seed": ' .. seed .. "[,}]") ~= nil) then
    if not mm.quiet then print(("no --data given: generating the synthetic '%s' set in %s"):format(cfg.synth, folder)) end
    mm.data.synth{out = folder, scale = cfg.synth, seed = seed, test_from_train = cfg.test_from_train}
  end
  return folder
end

--- A copy of t with the fields of extra added.
local function with(t, extra)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  for k, v in pairs(extra) do out[k] = v end
  return out
end

--- The sample rate the model's input is made at: cfg.sr, or musicnn's 16 kHz.
function M.rate(cfg) return M.pretrained(cfg) and 16000 or cfg.sr end

--- The model input of cfg: the clip length and the log-mel settings, at rate cfg.sr; for a
--- musicnn network its own representation (whose settings are fixed) at 16 kHz.
function M.input(cfg)
  if M.pretrained(cfg) then return {seconds = cfg.duration, rate = M.rate(cfg), representation = "musicnn"} end
  return {seconds = cfg.duration, rate = cfg.sr, n_mels = cfg.n_mels, n_fft = cfg.n_fft, hop = cfg.hop,
          fmin = cfg.fmin, fmax = cfg.fmax}
end

--- The mashup recipe of cfg (what mm.data.builder and mm.data.cache take): the model input
--- and the mixing knobs of the seed. Validation mashups are made this way (tempo-aligned, as
--- the competition's test mashups are), training ones with `M.training_recipe`.
function M.recipe(cfg)
  return with(M.input(cfg), {stem_volume = cfg.stem_volume, noise_clips = cfg.noise_clips,
                             noise_intensity = cfg.noise_intensity, tempo_align = true})
end

--- The training mashups' recipe: the seed's, with the stem-level options of cfg. A musicnn
--- network trains on 3 s mashups, one patch each, from random places of the stems (as musicnn
--- was trained on random 3 s crops): a tenth of the audio work of a 30 s mashup.
function M.training_recipe(cfg)
  local recipe = with(M.recipe(cfg), {tempo_align = cfg.tempo_align, same_song = cfg.same_song, stem_eq = cfg.stem_eq})
  if M.pretrained(cfg) then
    recipe.seconds, recipe.crop_seconds = M.patch_seconds, {M.patch_seconds, M.patch_seconds}
  end
  return recipe
end

--- The augmentations of the training mashups (audio) and of their spectrograms, from cfg's
--- probabilities; nil where every probability is 0.
function M.augmentations(cfg)
  local audio, spectrogram = {}, {}
  local function add(list, p, augmentation)
    if p > 0 then list[#list + 1] = {augmentation, p = p} end
  end
  add(audio, cfg.eq, mm.augment.eq{gain = {-6, 6}})
  add(audio, cfg.lowpass, mm.augment.lowpass{cutoff = {2000, 8000}})
  add(audio, cfg.pitch, mm.augment.pitch_shift{semitones = {-1, 1}})
  add(audio, cfg.stretch, mm.augment.time_stretch{rate = {0.92, 1.08}})
  add(audio, cfg.reverb, mm.augment.reverb{rt60 = {0.2, 1.0}, wet = {0.05, 0.3}})
  if cfg.spec_augment > 0 then
    spectrogram[1] = {mm.augment.spec_mask{axis = "time", width = {0, 40}, count = 2}, p = cfg.spec_augment}
    spectrogram[2] = {mm.augment.spec_mask{axis = "freq", width = {0, 12}, count = 2}, p = cfg.spec_augment}
  end
  local function pipeline(list, kind)
    if #list == 0 then return nil end
    list.kind = kind
    return mm.augment.pipeline(list)
  end
  return pipeline(audio, "audio"), pipeline(spectrogram, "spectrogram")
end

--- The training loader: fresh mashups every epoch from a builder (the default), or the seed's
--- fixed cache (cfg.cache), with the augmentations of cfg either way.
function M.training_loader(cfg, bank, songs)
  local augment, spec_augment = M.augmentations(cfg)
  local recipe = with(M.training_recipe(cfg), {seed = cfg.seed})
  local source
  if cfg.cache then
    -- under mpirun every rank computes its share of the cache and all get the whole of it
    source = mm.data.cache(with(recipe, {dataset = bank, songs = songs, per_song = cfg.mashups_per_song,
                                         folder = cfg.cache_folder, augment = augment}))
  else
    source = mm.data.builder(bank, songs, recipe)
  end
  return mm.data.loader{source = source, batch = cfg.batch, shuffle = true, workers = cfg.workers, seed = cfg.seed,
                        augment = not cfg.cache and augment or nil, spec_augment = spec_augment,
                        examples_per_epoch = not cfg.cache and (cfg.examples_per_epoch or cfg.mashups_per_song * #songs) or nil}
end

--- The validation mashups: val_mashups_per_song fixed mashups of each validation song, made
--- like the test mashups (tempo-aligned, no augmentation) and cached.
function M.validation_cache(cfg, bank, songs)
  return mm.data.cache(with(M.recipe(cfg), {dataset = bank, songs = songs, per_song = cfg.val_mashups_per_song,
                                            folder = cfg.cache_folder, seed = cfg.seed + 1,
                                            seconds = cfg.val_duration or cfg.duration}))
end

--- Reads an `id,genre` file (the hidden answers of a synthetic set) into id -> genre.
function M.read_labels(path)
  local f = io.open(path)
  if not f then return nil end
  local labels = {}
  for line in f:lines() do
    local id, genre = line:match("^%s*([^,]+),%s*([%w]+)%s*\r?$")
    if id and id ~= "id" then labels[id] = genre end
  end
  f:close()
  return labels
end

local function same(a, b)
  if type(a) == "table" and type(b) == "table" then
    if #a ~= #b then return false end
    for i = 1, #a do if a[i] ~= b[i] then return false end end
    return true
  end
  return a == b
end

local function shown(value)
  if type(value) == "table" then return table.concat(value, ",") end
  return tostring(value)
end

--- The options a resumed run goes on with: those it started with (its config.json), plus the
--- command line's --epochs (to run longer; the one-cycle schedule is recomputed for the new
--- length from the step reached) and --data (the same set, moved), which are applied and saved.
--- Changing --model is an error; any other option given is kept from the run. A line on
--- standard error says what was applied and what was kept, so nothing is ignored silently.
function M.resumed_config(run, cfg, given)
  local saved = run:read_config()
  local names = {}
  for name in pairs(given) do if name ~= "resume" then names[#names + 1] = name end end
  table.sort(names)
  local applied, kept = {}, {}
  for _, name in ipairs(names) do
    local option = "--" .. name:gsub("_", "-")
    if not same(saved[name], cfg[name]) then
      if name == "model" then
        error(("%s %s: the run in %s trains the %s model; a resumed run cannot change it (start a new run)")
          :format(option, shown(cfg.model), cfg.resume, shown(saved.model)), 0)
      elseif name == "epochs" and cfg.epochs < run.last_epoch then
        error(("%s %d: the run in %s has already completed %d epochs"):format(option, cfg.epochs, cfg.resume,
          run.last_epoch), 0)
      elseif name == "epochs" or name == "data" then
        applied[#applied + 1] = ("%s %s (was %s)"):format(option, shown(cfg[name]), shown(saved[name]))
        saved[name] = cfg[name]
      else
        kept[#kept + 1] = ("%s %s (not %s)"):format(option, shown(saved[name]), shown(cfg[name]))
      end
    end
  end
  local writer = mm.dist.rank() == 0  -- under mpirun rank 0 writes and speaks for the job
  if #applied > 0 then
    M.check(saved)
    if writer then
      run:config(saved)
      io.stderr:write(("resume: applied %s\n"):format(table.concat(applied, ", ")))
    end
  end
  if #kept > 0 and writer then
    io.stderr:write(("resume: kept the run's own %s; only --epochs and --data can change when resuming\n")
      :format(table.concat(kept, ", ")))
  end
  saved.resume = cfg.resume
  return saved
end

--- The recipe's steps. Each takes the run's context `ctx` and adds to it; `M.run` calls them in
--- order, and a script replaces any one by passing a table of its own steps (the others come
--- from this module):
---
---   local recipe = require "mashup.recipe"
---   recipe.run(cfg, "my.lua", {build = function(ctx) recipe.build(ctx); ctx.net = my_net() end})
---
--- open:     the options (or a resumed run's), the seed, the data set, the run folder -> ctx.cfg,
---           ctx.run, ctx.ds, ctx.folder, ctx.genres, ctx.split
--- prepare:  the stem bank, the training loader, the validation cache -> ctx.bank, ctx.loader,
---           ctx.val_cache, ctx.validation
--- build:    the network, optimiser, schedule and weight average -> ctx.net, ctx.optimizer,
---           ctx.scheduler, ctx.ema
--- train:    the epochs (mashup.train.fit) and the training-history plot -> ctx.stopper, ctx.records
--- validate: the best checkpoint on the validation songs and its confusion matrix -> ctx.val
--- predict:  test-time augmentation over the test mashups, the checked submission and the
---           prediction-distribution plot -> ctx.ids, ctx.predicted, ctx.probabilities
--- score:    the summary, with the test F1 when the set's answers are known beside it
function M.open(cfg)
  local run
  if cfg.resume then
    run = mm.run.resume(cfg.resume)
    cfg = M.resumed_config(run, cfg, options.given(cfg))
  else
    M.check(cfg)
  end
  mm.seed(cfg.seed)
  -- A pretrained network is made now, so that missing weights (`make weights`) stop the run
  -- before any data work; `build` takes it from ctx.net.
  local net = M.pretrained(cfg) and M.model(cfg) or nil
  local folder = M.data_folder(cfg)
  local ds = mm.data.kaggle(folder)
  M.check_test_files(ds, folder)
  -- The run folder opens once the data set is known to be usable, so a bad one leaves no
  -- half-made run behind to block the name.
  if not run then
    -- Under mpirun rank 0 makes the run folder; the others open it to read what it writes.
    if mm.dist.rank() == 0 then
      run = mm.run.open{root = cfg.runs, name = cfg.run}
      run:config(cfg)
    end
    local path = mm.dist.broadcast(run and run.path or nil)
    run = run or mm.run.resume(path)
  end
  if not mm.quiet then print(("run folder: %s"):format(run.path)) end
  local genres = ds:genres()
  local split = ds:split{val = cfg.val_split, seed = cfg.seed}
  if not mm.quiet then print(tostring(ds)) end
  return {cfg = cfg, run = run, ds = ds, folder = folder, genres = genres, split = split, net = net}
end

function M.prepare(ctx)
  local cfg = ctx.cfg
  ctx.bank = mm.data.bank(ctx.ds, {rate = M.rate(cfg)})
  ctx.loader = M.training_loader(cfg, ctx.bank, ctx.split.train)
  ctx.val_cache = M.validation_cache(cfg, ctx.bank, ctx.split.val)
  -- Every rank validates on all of it (shard = false), so all take the same early-stopping step.
  local val_loader = mm.data.loader{source = ctx.val_cache, batch = cfg.batch, shuffle = false, workers = cfg.workers,
                                    seed = cfg.seed, shard = false}
  ctx.validation = function() return val_loader:epoch(1) end
end

function M.build(ctx)
  local cfg = ctx.cfg
  local net = ctx.net or M.model(cfg)
  local opt = mm.optim.adamw(net, {lr = cfg.lr, weight_decay = cfg.weight_decay})
  ctx.net, ctx.optimizer = net, opt
  ctx.scheduler = mm.optim.onecycle(opt, {max_lr = cfg.lr, total_steps = cfg.epochs * #ctx.loader,
                                          pct_start = cfg.pct_start})
  ctx.ema = cfg.ema and mm.optim.ema(net, {decay = cfg.ema_decay}) or nil
  if mm.dist.size() > 1 then  -- data-parallel: the gradient all-reduce and BatchNorm's statistics
    if (cfg.bucket_mb or 4) > 0 then mm.dist.overlap(net, opt, {bucket_mb = cfg.bucket_mb or 4}) end
    if cfg.sync_bn then mm.dist.sync_batchnorm(net) end
  end
  if not mm.quiet then
    print(("model %s: %d parameters; %d %s training and %d validation spectrograms (%d validation songs), %d batches an epoch%s"):format(
      cfg.model, net:parameter_count(), ctx.loader.examples, cfg.cache and "cached" or "fresh", #ctx.val_cache,
      #ctx.split.val, #ctx.loader, ctx.ema and (", weight average (decay %g)"):format(cfg.ema_decay) or ""))
  end
end

function M.train(ctx, script)
  local cfg = ctx.cfg
  ctx.stopper, ctx.records = train.fit{
    run = ctx.run, model = ctx.net, optimizer = ctx.optimizer, scheduler = ctx.scheduler, loader = ctx.loader,
    validation = ctx.validation, epochs = cfg.epochs, patience = cfg.patience,
    patience_start = math.ceil(cfg.patience_from * cfg.epochs), classes = ctx.genres,
    label_smoothing = cfg.label_smoothing,
    mixup = train.mixup{alpha = cfg.mixup_alpha, p = cfg.mixup_p, classes = #ctx.genres},
    ema = ctx.ema, window = cfg.select_window,
    resume_state = cfg.resume ~= nil, script = script,
  }
  if mm.dist.rank() == 0 then mm.plot.history(ctx.records, ctx.run.history_png) end
end

function M.validate(ctx)
  local genres = ctx.genres
  ctx.net:load(ctx.run.best_model)
  local val = train.evaluate(ctx.net, ctx.validation, genres)
  local confusion = mm.metrics.confusion(val.truth, val.predicted, {classes = #genres, names = genres})
  if mm.dist.rank() == 0 then mm.plot.confusion(confusion, ctx.run.confusion_png) end
  if not mm.quiet then
    print(("\nbest epoch %d: validation macro F1 %.4f +- %.4f (standard error)\n"):format(ctx.stopper.best_epoch or 0,
      val.f1, val.f1_se))
    print(confusion:report())
  end
  ctx.val = val
end

function M.predict(ctx)
  local cfg, run, genres = ctx.cfg, ctx.run, ctx.genres
  local test_set = mm.data.test_set(ctx.ds, with(M.input(cfg), {views = cfg.tta_views, shift = cfg.tta_shift}))
  local ids, probabilities, labels = tta.predict(ctx.net, test_set, {batch = cfg.batch})
  local predicted = {}
  for i, label in ipairs(labels) do predicted[i] = genres[label] end
  local report = mm.submission.confidence(probabilities, genres, {threshold = cfg.confidence_threshold})
  if mm.dist.rank() == 0 then
    mm.submission.write(run.submission, ids, predicted, {sample = ctx.folder .. "/sample_submission.csv"})
    mm.plot.distribution(report, run.distribution_png)
  end
  if not mm.quiet then
    print(report:text())
    print(("wrote %s, %s, %s, %s and %s"):format(run.best_model, run.submission, run.history_png,
      run.confusion_png, run.distribution_png))
  end
  ctx.ids, ctx.predicted, ctx.probabilities = ids, predicted, probabilities
end

function M.score(ctx)
  local genres = ctx.genres
  local summary = {run = ctx.run.path, best_val_f1 = ctx.val.f1, best_val_f1_se = ctx.val.f1_se,
                   best_epoch = ctx.stopper.best_epoch, epochs_run = #ctx.records, submission = ctx.run.submission}
  -- A synthetic set keeps its answers beside the folder: score the submission against them.
  local answers = M.read_labels(ctx.folder .. ".labels.csv")
  if answers then
    local truth, guess = {}, {}
    for i, id in ipairs(ctx.ids) do
      truth[i], guess[i] = answers[id], ctx.predicted[i]
    end
    local scores = mm.metrics.classify(truth, guess, {classes = #genres, names = genres})
    summary.test_f1, summary.test_acc = scores.macro_f1, scores.accuracy
    if not mm.quiet then
      print(("\ntest mashups (hidden labels): macro F1 %.4f, accuracy %.4f\n"):format(scores.macro_f1, scores.accuracy))
      print(mm.metrics.report(truth, guess, {classes = #genres, names = genres}))
    end
  end
  return summary
end

--- Runs the whole experiment, step by step (see above; `steps` replaces any of them); returns
--- a summary table (run folder, best validation F1, test F1 when answers are known).
function M.run(cfg, script, steps)
  local function step(name) return steps and steps[name] or M[name] end
  local ctx = step("open")(cfg)
  step("prepare")(ctx)
  step("build")(ctx)
  step("train")(ctx, script)
  step("validate")(ctx)
  step("predict")(ctx)
  return step("score")(ctx)
end

return M
