-- The baseline a CNN has to beat: logistic regression on each mel band's mean and standard
-- deviation over time (2 x 128 numbers a clip), fitted to the recipe's fresh training mashups,
-- validated on the recipe's validation songs and scored on the test mashups like the CNN.
-- A network that does no better has learnt nothing about songs it never heard that these
-- statistics do not already say.
--
-- The same regression over a pretrained network's embedding (features = "musicnn" or "vgg":
-- musicnn's 200 penultimate features or the VGG's 256, of 3 s training mashups, and averaged
-- over a validation or test clip's 3 s patches) is the quick way to see what the pretrained
-- features know before fine-tuning (`--model musicnn` in the recipe).
--
--   local baseline = require "mashup.baseline"
--   local summary = baseline.run(cfg)            -- cfg: the recipe's options (mashup.recipe)
--   local summary = baseline.run(cfg, {features = "musicnn"})
local mm = require "mashup"
local recipe = require "mashup.recipe"

local M = {}

--- Appends one row per example of x (N, 1, bins, frames) to `rows`: the bins' means over time,
--- then their standard deviations.
function M.features(x, rows)
  local n, bins, frames = x:size(1), x:size(3), x:size(4)
  local flat = x:reshape{n * bins, frames}
  local ones = mm.ones(frames, 1)
  local mean = (flat:matmul(ones) / frames):totable()
  local square = ((flat * flat):matmul(ones) / frames):totable()
  for i = 0, n - 1 do
    local row = {}
    for b = 1, bins do
      local m = mean[i * bins + b][1]
      row[b], row[bins + b] = m, math.sqrt(math.max(square[i * bins + b][1] - m * m, 0))
    end
    rows[#rows + 1] = row
  end
  return rows
end

--- The per-column mean and standard deviation of `rows`, and a function standardising rows to
--- a tensor with them.
function M.standardizer(rows)
  local width, count = #rows[1], #rows
  local mean, sd = {}, {}
  for j = 1, width do
    local sum, sq = 0, 0
    for i = 1, count do sum = sum + rows[i][j] end
    mean[j] = sum / count
    for i = 1, count do sq = sq + (rows[i][j] - mean[j]) ^ 2 end
    sd[j] = math.max(math.sqrt(sq / count), 1e-6)
  end
  return function(xs)
    local out = {}
    for i, row in ipairs(xs) do
      local z = {}
      for j = 1, width do z[j] = (row[j] - mean[j]) / sd[j] end
      out[i] = z
    end
    return mm.tensor(out)
  end
end

--- Multinomial logistic regression (a linear layer under cross-entropy, L2 through AdamW's
--- weight decay), full batch; returns the layer.
function M.fit(x, labels, opts)
  local classes, steps = opts.classes, opts.steps or 500
  local layer = mm.nn.Linear(x:size(2), classes)
  local opt = mm.optim.adamw(layer, {lr = opts.lr or 0.01, weight_decay = opts.weight_decay or 0.01})
  for _ = 1, steps do
    opt:zero_grad()
    local _, grad = mm.nn.cross_entropy(layer:forward(x), labels)
    layer:backward(grad)
    opt:step()
  end
  return layer
end

--- A feature function of a pretrained network (`model` "musicnn" or "vgg", cfg.weights): one
--- row per clip of x (N, 1, 96, frames), its embedding averaged over the clip's 3 s patches.
function M.embedding(cfg, model)
  local net = mm.nn.musicnn{model = model, weights = cfg.weights, clips = true}
  net:evaluate()
  return function(x, rows)
    for _, row in ipairs(net:embed(x):totable()) do rows[#rows + 1] = row end
    return rows
  end
end

--- Runs the baseline on cfg's data with cfg's training mashups (`examples` of them, 3,000 by
--- default) and `features` ("mel", the default, or a pretrained network's embedding: "musicnn",
--- "vgg"); returns a summary shaped like mashup.recipe's (best_val_f1, best_val_f1_se,
--- test_f1 when the answers are known).
function M.run(cfg, opts)
  opts = opts or {}
  local features = M.features
  if opts.features and opts.features ~= "mel" then
    if opts.features ~= "musicnn" and opts.features ~= "vgg" then
      error(("features: 'mel', 'musicnn' or 'vgg' expected, got '%s'"):format(tostring(opts.features)), 0)
    end
    local copy = {}
    for k, v in pairs(cfg) do copy[k] = v end
    copy.model, cfg = opts.features, copy   -- the recipe's input and training mashups for that network
  end
  recipe.check(cfg)
  if recipe.pretrained(cfg) then features = M.embedding(cfg, cfg.model) end
  mm.seed(cfg.seed)
  local folder = recipe.data_folder(cfg)
  local ds = mm.data.kaggle(folder)
  local genres = ds:genres()
  local split = ds:split{val = cfg.val_split, seed = cfg.seed}
  local bank = mm.data.bank(ds, {rate = recipe.rate(cfg)})

  local train_cfg = {}
  for k, v in pairs(cfg) do train_cfg[k] = v end
  train_cfg.cache, train_cfg.examples_per_epoch = false, opts.examples or 3000
  local rows, labels = {}, {}
  for x, _, batch_labels in recipe.training_loader(train_cfg, bank, split.train):epoch(1) do
    features(x, rows)
    table.move(batch_labels, 1, #batch_labels, #labels + 1, labels)
  end
  local standardize = M.standardizer(rows)
  local layer = M.fit(standardize(rows), labels, {classes = #genres, steps = opts.steps,
                                                  weight_decay = opts.weight_decay})

  local val_cache = recipe.validation_cache(cfg, bank, split.val)   -- the CNN's validation mashups
  local val_rows, val_truth = {}, {}
  for x, _, batch_labels in mm.data.loader{source = val_cache, batch = cfg.batch, shuffle = false,
                                           workers = cfg.workers, seed = cfg.seed}:epoch(1) do
    features(x, val_rows)
    table.move(batch_labels, 1, #batch_labels, #val_truth + 1, val_truth)
  end
  local val = mm.metrics.classify(val_truth, layer:forward(standardize(val_rows)):argmax(), #genres)
  local summary = {best_val_f1 = val.macro_f1, best_val_f1_se = val.macro_f1_se, best_epoch = 0, epochs_run = 1}

  local answers = recipe.read_labels(folder .. ".labels.csv")
  if answers then
    local test_rows, ids = {}, {}
    local input = recipe.input(cfg)
    input.views = 1
    local test_set = mm.data.test_set(ds, input)
    for batch_ids, views in test_set:batches(cfg.batch) do
      features(views[1], test_rows)
      table.move(batch_ids, 1, #batch_ids, #ids + 1, ids)
    end
    local predicted = layer:forward(standardize(test_rows)):argmax()
    local truth, guess = {}, {}
    for i, id in ipairs(ids) do truth[i], guess[i] = answers[id], genres[predicted[i]] end
    local scores = mm.metrics.classify(truth, guess, {classes = #genres, names = genres})
    summary.test_f1, summary.test_acc = scores.macro_f1, scores.accuracy
  end
  return summary
end

return M
