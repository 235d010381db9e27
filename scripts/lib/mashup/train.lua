-- The training loop of the recipes, as plain Lua functions a researcher can copy and replace:
-- one epoch, evaluation, early stopping, the mixup policy, and `fit`, which ties them to a run
-- folder (log, checkpoints, plots) with exact resume and Ctrl-C handling.
local mm = require "mashup"

local M = {}

--- Early stopping on a metric: `stopper:update(value, epoch)` returns improved, stop.
--- mode "max" for scores (macro F1), "min" for losses; patience counts epochs without a gain
--- larger than min_delta, from epoch `start` on (validation swings while a one-cycle
--- schedule's learning rate climbs, so the recipe starts counting at its peak).
function M.early_stopping(opts)
  opts = opts or {}
  local stopper = {
    start = opts.start or 1,
    patience = opts.patience or 7,
    mode = opts.mode or "max",
    min_delta = opts.min_delta or 0,
    best = nil,
    best_epoch = nil,
    bad_epochs = 0,
  }
  function stopper:update(value, epoch)
    local better = self.best == nil
      or (self.mode == "max" and value > self.best + self.min_delta)
      or (self.mode == "min" and value < self.best - self.min_delta)
    if better then
      self.best, self.best_epoch, self.bad_epochs = value, epoch, 0
    elseif epoch >= self.start then
      self.bad_epochs = self.bad_epochs + 1
    end
    return better, self.bad_epochs >= self.patience
  end
  return stopper
end

--- The mixup policy: with probability p, mixes the batch with a shuffled copy of itself,
--- lambda ~ Beta(alpha, alpha), and returns the mixed input and soft targets; otherwise the
--- batch as it is. alpha <= 0 turns it off.
function M.mixup(opts)
  opts = opts or {}
  local alpha, p, classes = opts.alpha or 0.4, opts.p or 1.0, opts.classes or 10
  return function(x, labels)
    if alpha <= 0 or mm.random() >= p then return x, labels end
    return mm.data.mixup(x, labels, {alpha = alpha, classes = classes})
  end
end

local function count_correct(logits, labels)
  local predicted = logits:argmax()
  local correct = 0
  for i = 1, #labels do
    if predicted[i] == labels[i] then correct = correct + 1 end
  end
  return correct
end

--- One epoch over `loader`; returns {loss =, acc =, examples =, seconds =} and, when Ctrl-C
--- arrived (see mm.defer_interrupt), the string "interrupted" after the current step.
function M.train_epoch(ctx, epoch)
  local net, opt, sched = ctx.model, ctx.optimizer, ctx.scheduler
  local mix = ctx.mixup or function(x, y) return x, y end
  net:training()
  local started = mm.clock()
  local loss_sum, correct, seen = 0, 0, 0
  local bar = mm.progress(#ctx.loader, {label = ("epoch %d/%d"):format(epoch, ctx.epochs), unit = "batch"})
  local batches = 0
  for x, labels in ctx.loader:epoch(epoch) do
    local input, target = mix(x, labels)
    opt:zero_grad()
    local logits = net:forward(input)
    local loss, grad = mm.nn.cross_entropy(logits, target, {label_smoothing = ctx.label_smoothing})
    net:backward(grad)
    opt:step()
    sched:step()
    local n = #labels
    loss_sum, seen = loss_sum + loss * n, seen + n
    correct = correct + count_correct(logits, labels)
    batches = batches + 1
    bar:update(batches, {loss = loss_sum / seen, acc = correct / seen})
    if mm.interrupted() then
      bar:finish()
      return {loss = loss_sum / seen, acc = correct / seen, examples = seen, seconds = mm.clock() - started}, "interrupted"
    end
  end
  bar:finish()
  return {loss = loss_sum / math.max(seen, 1), acc = correct / math.max(seen, 1), examples = seen,
          seconds = mm.clock() - started}
end

--- Evaluates `net` over batches (an iterator factory: `batches()` yields x, labels) in eval
--- mode; returns {loss =, acc =, f1 =, truth =, predicted =}.
function M.evaluate(net, batches, classes)
  net:evaluate()
  local truth, predicted = {}, {}
  local loss_sum = 0
  for x, labels in batches() do
    local logits = net:predict(x)
    local loss = mm.nn.cross_entropy(logits, labels)
    loss_sum = loss_sum + loss * #labels
    local p = logits:argmax()
    for i = 1, #labels do
      truth[#truth + 1] = labels[i]
      predicted[#predicted + 1] = p[i]
    end
  end
  local scores = mm.metrics.classify(truth, predicted, classes)
  return {loss = loss_sum / math.max(#truth, 1), acc = scores.accuracy, f1 = scores.macro_f1,
          truth = truth, predicted = predicted}
end

--- Trains for ctx.epochs epochs with early stopping on validation macro F1, logging each epoch
--- to ctx.run and keeping the best and last checkpoints. With ctx.resume_state, continues a
--- run from its last completed epoch and ends with the weights an uninterrupted run has.
--- Returns the stopper and the list of epoch records.
function M.fit(ctx)
  local run, net = ctx.run, ctx.model
  local stopper = M.early_stopping{patience = ctx.patience, mode = "max", start = ctx.patience_start}
  local first = 1
  if ctx.resume_state then
    local state = mm.optim.load_state(run.state, {model = net, optimizer = ctx.optimizer, scheduler = ctx.scheduler})
    first = state.epoch + 1
    stopper.best, stopper.best_epoch = state.best, state.extra.best_epoch
    stopper.bad_epochs = state.extra.bad_epochs or 0
    if not mm.quiet then print(("resuming %s after epoch %d (best macro F1 %.4f)"):format(run.path, state.epoch, state.best or 0)) end
  end
  mm.defer_interrupt(true)
  for epoch = first, ctx.epochs do
    local train, status = M.train_epoch(ctx, epoch)
    if status == "interrupted" then
      -- The last completed epoch is on disk; resuming redoes this one from there, exactly.
      net:save(run.path .. "/interrupted.safetensors")
      io.stderr:write(("\ninterrupted in epoch %d; weights at this step in %s/interrupted.safetensors\n"
        .. "resume with: mashup run %s --resume %s\n"):format(epoch, run.path, ctx.script or arg[0], run.path))
      os.exit(130)
    end
    local val = M.evaluate(net, ctx.validation, ctx.classes)
    local record = {epoch = epoch, train_loss = train.loss, train_acc = train.acc, val_loss = val.loss,
                    val_acc = val.acc, val_f1 = val.f1, lr = ctx.scheduler:lr(), seconds = train.seconds}
    run:log(record)
    local improved, stop = stopper:update(val.f1, epoch)
    if improved then net:save(run.best_model) end
    net:save(run.last_model)
    mm.optim.save_state(run.state, {model = net, optimizer = ctx.optimizer, scheduler = ctx.scheduler,
      epoch = epoch, best = stopper.best, extra = {best_epoch = stopper.best_epoch, bad_epochs = stopper.bad_epochs}})
    if not mm.quiet then
      print(("epoch %2d  train loss %.4f acc %.3f | val loss %.4f acc %.3f macro F1 %.4f%s | lr %.2e  %.1f s"):format(
        epoch, train.loss, train.acc, val.loss, val.acc, val.f1, improved and " *" or "  ",
        ctx.scheduler:lr(), train.seconds))
    end
    if ctx.on_epoch then ctx.on_epoch(record, val) end
    if stop then
      if not mm.quiet then print(("early stopping: no gain in macro F1 for %d epochs"):format(stopper.patience)) end
      break
    end
  end
  mm.defer_interrupt(false)
  return stopper, run:records()
end

return M
