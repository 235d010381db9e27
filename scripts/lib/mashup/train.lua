-- The training loop of the recipes, as plain Lua functions a researcher can copy and replace:
-- one epoch, evaluation, early stopping, the mixup policy, and `fit`, which ties them to a run
-- folder (log, checkpoints, plots) with exact resume and Ctrl-C handling.
local mm = require "mashup"

local M = {}

--- Early stopping on a metric: `stopper:update(value, epoch)` returns improved, stop.
--- mode "max" for scores (macro F1), "min" for losses; patience counts epochs without a gain
--- larger than min_delta, from epoch `start` on (validation swings while a one-cycle
--- schedule's learning rate climbs, so the recipe starts counting at its peak). With
--- `window` > 1 the value compared is the mean of the last `window` epochs' values, so that
--- one epoch that happens to suit the validation set does not decide alone.
function M.early_stopping(opts)
  opts = opts or {}
  local stopper = {
    start = opts.start or 1,
    patience = opts.patience or 7,
    mode = opts.mode or "max",
    min_delta = opts.min_delta or 0,
    window = opts.window or 1,
    recent = {},
    best = nil,
    best_epoch = nil,
    bad_epochs = 0,
  }
  function stopper:update(value, epoch)
    local recent = self.recent
    recent[#recent + 1] = value
    if #recent > self.window then table.remove(recent, 1) end
    local sum = 0
    for _, v in ipairs(recent) do sum = sum + v end
    value = sum / #recent
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

--- One epoch over `loader`; returns {loss =, acc =, examples =, seconds =, data_wait =} and,
--- when Ctrl-C arrived (see mm.defer_interrupt), the string "interrupted" after the current
--- step. data_wait is the seconds the step spent waiting for the loader's next batch: near 0
--- when the loader's threads keep up with training. With ctx.ema, the weight average follows
--- every step.
function M.train_epoch(ctx, epoch)
  local net, opt, sched, ema = ctx.model, ctx.optimizer, ctx.scheduler, ctx.ema
  local mix = ctx.mixup or function(x, y) return x, y end
  net:training()
  local started = mm.clock()
  local loss_sum, correct, seen, waited = 0, 0, 0, 0
  local bar = mm.progress(#ctx.loader, {label = ("epoch %d/%d"):format(epoch, ctx.epochs), unit = "batch"})
  local batches = 0
  local function result()
    local loss, hits, n, wait = loss_sum, correct, seen, waited
    if mm.dist.size() > 1 then  -- under mpirun: the whole job's figures (each rank saw its shard)
      loss, hits, n = mm.dist.allreduce(loss), mm.dist.allreduce(hits), mm.dist.allreduce(n)
      wait = mm.dist.allreduce(wait, "max")
    end
    return {loss = loss / math.max(n, 1), acc = hits / math.max(n, 1), examples = n,
            seconds = mm.clock() - started, data_wait = wait}
  end
  local asked = mm.clock()
  for x, labels in ctx.loader:epoch(epoch) do
    waited = waited + (mm.clock() - asked)
    local input, target = mix(x, labels)
    opt:zero_grad()
    local logits = net:forward(input)
    local loss, grad = mm.nn.cross_entropy(logits, target, {label_smoothing = ctx.label_smoothing})
    net:backward(grad)
    mm.dist.average_gradients(opt, #labels)  -- data-parallel jobs only: the global batch's gradient
    opt:step()
    sched:step()
    if ema then ema:update() end
    local n = #labels
    loss_sum, seen = loss_sum + loss * n, seen + n
    correct = correct + count_correct(logits, labels)
    batches = batches + 1
    bar:update(batches, {loss = loss_sum / seen, acc = correct / seen})
    if mm.interrupted() then
      bar:finish()
      return result(), "interrupted"
    end
    asked = mm.clock()
  end
  bar:finish()
  return result()
end

--- Evaluates `net` over batches (an iterator factory: `batches()` yields x, labels) in eval
--- mode; returns {loss =, acc =, f1 =, truth =, predicted =}. Under mpirun every rank iterates
--- the same batches (a loader with shard = false) and predicts every size-th one of them; the
--- results are gathered, so every rank returns the whole set's figures (truth and predicted
--- then come rank by rank, not in the batches' order).
function M.evaluate(net, batches, classes)
  net:evaluate()
  local truth, predicted = {}, {}
  local loss_sum = 0
  local rank, size, b = mm.dist.rank(), mm.dist.size(), 0
  for x, labels in batches() do
    b = b + 1
    if (b - 1) % size == rank then
      local logits = net:predict(x)
      local loss = mm.nn.cross_entropy(logits, labels)
      loss_sum = loss_sum + loss * #labels
      local p = logits:argmax()
      for i = 1, #labels do
        truth[#truth + 1] = labels[i]
        predicted[#predicted + 1] = p[i]
      end
    end
  end
  if size > 1 then
    loss_sum = mm.dist.allreduce(loss_sum)
    local all_truth, all_predicted = {}, {}
    for _, part in ipairs(mm.dist.gather{truth = truth, predicted = predicted}) do
      table.move(part.truth, 1, #part.truth, #all_truth + 1, all_truth)
      table.move(part.predicted, 1, #part.predicted, #all_predicted + 1, all_predicted)
    end
    truth, predicted = all_truth, all_predicted
  end
  local scores = mm.metrics.classify(truth, predicted, classes)
  return {loss = loss_sum / math.max(#truth, 1), acc = scores.accuracy, f1 = scores.macro_f1,
          f1_se = scores.macro_f1_se, truth = truth, predicted = predicted}
end

--- Runs f() with the weight average in the network when there is one.
local function with_average(ema, f)
  if not ema then return f() end
  ema:swap()
  local ok, a, b = pcall(f)
  ema:swap()
  if not ok then error(a, 0) end
  return a, b
end
M.with_average = with_average

--- Trains for ctx.epochs epochs with early stopping on validation macro F1, logging each epoch
--- to ctx.run and keeping the best and last checkpoints. With ctx.ema (mm.optim.ema), the
--- weight average is what is validated and what the checkpoints hold; ctx.window smooths the
--- selection (see early_stopping). With ctx.resume_state, continues a run from its last
--- completed epoch and ends with the weights an uninterrupted run has. Returns the stopper
--- and the list of epoch records.
function M.fit(ctx)
  local run, net, ema = ctx.run, ctx.model, ctx.ema
  local writer = mm.dist.rank() == 0  -- under mpirun every rank trains alike; rank 0 writes
  local stopper = M.early_stopping{patience = ctx.patience, mode = "max", start = ctx.patience_start,
                                   window = ctx.window}
  local first = 1
  if ctx.resume_state then
    local state = mm.optim.load_state(run.state, {model = net, optimizer = ctx.optimizer, scheduler = ctx.scheduler,
                                                  ema = ema})
    first = state.epoch + 1
    stopper.best, stopper.best_epoch = state.best, state.extra.best_epoch
    stopper.bad_epochs = state.extra.bad_epochs or 0
    for k = 1, stopper.window - 1 do stopper.recent[k] = state.extra["recent" .. k] end
    if not mm.quiet then print(("resuming %s after epoch %d (best macro F1 %.4f)"):format(run.path, state.epoch, state.best or 0)) end
  end
  mm.defer_interrupt(true)
  for epoch = first, ctx.epochs do
    local train, status = M.train_epoch(ctx, epoch)
    if status == "interrupted" then
      -- The last completed epoch is on disk; resuming redoes this one from there, exactly.
      if writer then net:save(run.path .. "/interrupted.safetensors") end
      io.stderr:write(("\ninterrupted in epoch %d; weights at this step in %s/interrupted.safetensors\n"
        .. "resume with: mashup run %s --resume %s\n"):format(epoch, run.path, ctx.script or arg[0], run.path))
      os.exit(130)
    end
    local val = with_average(ema, function() return M.evaluate(net, ctx.validation, ctx.classes) end)
    local record = {epoch = epoch, train_loss = train.loss, train_acc = train.acc, val_loss = val.loss,
                    val_acc = val.acc, val_f1 = val.f1, val_f1_se = val.f1_se, lr = ctx.scheduler:lr(),
                    seconds = train.seconds, data_wait = train.data_wait}
    if writer then run:log(record) end
    local improved, stop = stopper:update(val.f1, epoch)
    if writer then
      with_average(ema, function()
        if improved then net:save(run.best_model) end
        net:save(run.last_model)
      end)
    end
    local extra = {best_epoch = stopper.best_epoch, bad_epochs = stopper.bad_epochs}
    for k = 1, #stopper.recent - 1 do extra["recent" .. k] = stopper.recent[k + 1] end
    if writer then
      mm.optim.save_state(run.state, {model = net, optimizer = ctx.optimizer, scheduler = ctx.scheduler, ema = ema,
        epoch = epoch, best = stopper.best, extra = extra})
    end
    if not mm.quiet then
      print(("epoch %2d  train loss %.4f acc %.3f | val loss %.4f acc %.3f macro F1 %.4f +- %.3f%s | lr %.2e  %.1f s (data wait %.1f s)"):format(
        epoch, train.loss, train.acc, val.loss, val.acc, val.f1, val.f1_se, improved and " *" or "  ",
        ctx.scheduler:lr(), train.seconds, train.data_wait))
    end
    if ctx.on_epoch then ctx.on_epoch(record, val) end
    if stop then
      if not mm.quiet then print(("early stopping: no gain in macro F1 for %d epochs"):format(stopper.patience)) end
      break
    end
  end
  mm.defer_interrupt(false)
  mm.dist.barrier()  -- the checkpoints rank 0 wrote are on disk for every rank
  return stopper, mm.dist.broadcast(writer and run:records() or nil)
end

return M
