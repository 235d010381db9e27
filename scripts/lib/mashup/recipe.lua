-- The experiment both canned scripts run (scripts/kaggle.lua with the seed recipe,
-- scripts/quickstart.lua with a small model on the synthetic set): data, training, test-time
-- augmentation, submission, plots. Each step is a function here or in mashup.train /
-- mashup.tta, so a script can run its own variant of any of them.
local mm = require "mashup"
local train = require "mashup.train"
local tta = require "mashup.tta"

local M = {}

--- The seed's recipe: every value a named option (`--name value` on the command line).
M.kaggle = {
  synth = "small",            -- the synthetic set made when --data is not given
  cache = "data/cache",
  runs = "runs",
  sr = 22050, duration = 30, n_mels = 128, n_fft = 2048, hop = 512, fmin = 20, fmax = 8000,
  noise_intensity = {0.05, 0.35}, noise_clips = {1, 3}, stem_volume = {0.4, 1.0},
  batch = 16, epochs = 30, lr = 1e-3, weight_decay = 1e-4, pct_start = 0.3,
  mashups_per_song = 5, val_split = 0.15, val_mashups_per_song = 10,
  label_smoothing = 0.1, mixup_alpha = 0.4, mixup_p = 1.0, patience = 7,
  tta_views = 3, tta_shift = 5, confidence_threshold = 0.5,
  model = "seresnet", dropout = 0.5, seed = 42, workers = 2,
}

--- Options without a default (strings), with their help lines.
M.notes = {
  data = "the Messy Mashup folder (default: the synthetic set, made if absent)",
  run = "the run's name under --runs (default: a timestamp)",
  resume = "continue the run in this folder from its last completed epoch",
  model = "seresnet (the reference, 11.2 M parameters) or small",
}

--- The network for cfg.model.
function M.model(cfg)
  if cfg.model == "small" then
    return mm.nn.seresnet{widths = {16, 32, 64, 128}, blocks = {1, 1, 1, 1}, reduction = 8, classes = 10,
                          dropout = cfg.dropout}
  elseif cfg.model == "seresnet" then
    return mm.nn.seresnet{classes = 10, dropout = cfg.dropout}
  end
  error(("--model: 'seresnet' or 'small' expected, got '%s'"):format(cfg.model), 0)
end

--- The data folder: cfg.data, or the synthetic set of scale cfg.synth (made when absent).
function M.data_folder(cfg)
  if cfg.data then return cfg.data end
  local folder = "data/synth-" .. cfg.synth
  local probe = io.open(folder .. "/test.csv")
  if probe then
    probe:close()
  else
    if not mm.quiet then print(("no --data given: generating the synthetic '%s' set in %s"):format(cfg.synth, folder)) end
    mm.data.synth{out = folder, scale = cfg.synth, seed = cfg.seed}
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

--- The model input of cfg: the clip length and the log-mel settings, at rate cfg.sr.
function M.input(cfg)
  return {seconds = cfg.duration, rate = cfg.sr, n_mels = cfg.n_mels, n_fft = cfg.n_fft, hop = cfg.hop,
          fmin = cfg.fmin, fmax = cfg.fmax}
end

--- The mashup recipe of cfg (what mm.data.builder and mm.data.cache take): the model input
--- and the mixing knobs.
function M.recipe(cfg)
  return with(M.input(cfg), {stem_volume = cfg.stem_volume, noise_clips = cfg.noise_clips,
                             noise_intensity = cfg.noise_intensity})
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

--- Runs the whole experiment; returns a summary table (run folder, best validation F1,
--- test F1 when answers are known).
function M.run(cfg, script)
  local run
  if cfg.resume then
    run = mm.run.resume(cfg.resume)
    -- A resumed run goes on with the options it started with.
    local saved = run:read_config()
    saved.resume = cfg.resume
    cfg = saved
  else
    run = mm.run.open{root = cfg.runs, name = cfg.run}
    run:config(cfg)
  end
  mm.seed(cfg.seed)
  if not mm.quiet then print(("run folder: %s"):format(run.path)) end

  local folder = M.data_folder(cfg)
  local ds = mm.data.kaggle(folder)
  local genres = ds:genres()
  local split = ds:split{val = cfg.val_split, seed = cfg.seed}
  if not mm.quiet then print(tostring(ds)) end
  local bank = mm.data.bank(ds, {rate = cfg.sr})
  local recipe = M.recipe(cfg)
  local train_cache = mm.data.cache(with(recipe, {
    dataset = bank, songs = split.train, per_song = cfg.mashups_per_song, folder = cfg.cache, seed = cfg.seed}))
  local val_cache = mm.data.cache(with(recipe, {
    dataset = bank, songs = split.val, per_song = cfg.val_mashups_per_song, folder = cfg.cache, seed = cfg.seed + 1}))
  local loader = mm.data.loader{source = train_cache, batch = cfg.batch, shuffle = true, workers = cfg.workers,
                                seed = cfg.seed}
  local val_loader = mm.data.loader{source = val_cache, batch = cfg.batch, shuffle = false, workers = cfg.workers,
                                    seed = cfg.seed}
  local validation = function() return val_loader:epoch(1) end

  local net = M.model(cfg)
  local opt = mm.optim.adamw(net, {lr = cfg.lr, weight_decay = cfg.weight_decay})
  local sched = mm.optim.onecycle(opt, {max_lr = cfg.lr, total_steps = cfg.epochs * #loader,
                                         pct_start = cfg.pct_start})
  if not mm.quiet then
    print(("model %s: %d parameters; %d training and %d validation spectrograms, %d batches an epoch"):format(
      cfg.model, net:parameter_count(), #train_cache, #val_cache, #loader))
  end

  local stopper, records = train.fit{
    run = run, model = net, optimizer = opt, scheduler = sched, loader = loader, validation = validation,
    epochs = cfg.epochs, patience = cfg.patience, patience_start = math.ceil(cfg.pct_start * cfg.epochs), classes = genres, label_smoothing = cfg.label_smoothing,
    mixup = train.mixup{alpha = cfg.mixup_alpha, p = cfg.mixup_p, classes = #genres},
    resume_state = cfg.resume ~= nil, script = script,
  }
  mm.plot.history(records, run.history_png)

  -- The best checkpoint on the validation set: its confusion matrix.
  net:load(run.best_model)
  local val = train.evaluate(net, validation, genres)
  local confusion = mm.metrics.confusion(val.truth, val.predicted, {classes = #genres, names = genres})
  mm.plot.confusion(confusion, run.confusion_png)
  if not mm.quiet then
    print(("\nbest epoch %d: validation macro F1 %.4f\n"):format(stopper.best_epoch or 0, val.f1))
    print(confusion:report())
  end

  -- Test-time augmentation over the test mashups, then the checked submission.
  local test_set = mm.data.test_set(ds, with(M.input(cfg), {views = cfg.tta_views, shift = cfg.tta_shift}))
  local ids, probabilities, labels = tta.predict(net, test_set, {batch = cfg.batch})
  local predicted = {}
  for i, label in ipairs(labels) do predicted[i] = genres[label] end
  mm.submission.write(run.submission, ids, predicted, {sample = folder .. "/sample_submission.csv"})
  local report = mm.submission.confidence(probabilities, genres, {threshold = cfg.confidence_threshold})
  mm.plot.distribution(report, run.distribution_png)
  if not mm.quiet then
    print(report:text())
    print(("wrote %s, %s, %s, %s and %s"):format(run.best_model, run.submission, run.history_png,
      run.confusion_png, run.distribution_png))
  end

  local summary = {run = run.path, best_val_f1 = stopper.best, submission = run.submission}
  -- A synthetic set keeps its answers beside the folder: score the submission against them.
  local answers = M.read_labels(folder .. ".labels.csv")
  if answers then
    local truth, guess = {}, {}
    for i, id in ipairs(ids) do
      truth[i], guess[i] = answers[id], predicted[i]
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

return M
