-- A complete training run of a small SE-ResNet, in a few seconds: a toy task where each of
-- four classes lights up one quadrant of a noisy 1 x 16 x 16 "spectrogram".
--
--   mashup run scripts/examples/train_small.lua [STEPS]
--
-- Returns {first_loss =, last_loss =, accuracy =, steps =} (for tests through dofile).
local mm = require "mashup"

local steps = tonumber(arg and arg[1]) or 40
local batch, classes, size = 16, 4, 16
mm.seed(7)

-- A batch of N images and their 1-based labels: noise, plus a bright 6 x 6 patch in the
-- quadrant of the class (1 top-left, 2 top-right, 3 bottom-left, 4 bottom-right).
local function make_batch(n)
  local x = mm.randn{n, 1, size, size} * 0.3
  local labels = {}
  for i = 1, n do
    local c = mm.random(classes)
    labels[i] = c
    local row0 = (c - 1) // 2 * 8 + 2
    local col0 = (c - 1) % 2 * 8 + 2
    for r = row0, row0 + 5 do
      for k = col0, col0 + 5 do x:set(x:get(i, 1, r, k) + 1, i, 1, r, k) end
    end
  end
  return x, labels
end

local net = mm.nn.seresnet{widths = {8, 16}, blocks = {1, 1}, reduction = 4, classes = classes, dropout = 0}
local opt = mm.optim.adamw(net:parameters(), {lr = 3e-3, weight_decay = 1e-4})
local sched = mm.optim.onecycle(opt, {max_lr = 3e-3, total_steps = steps})
print(("model: %d parameters; %d steps of %d"):format(net:parameter_count(), steps, batch))

net:training()
local first_loss, last_loss
local started = mm.clock()
for step = 1, steps do
  local x, y = make_batch(batch)
  opt:zero_grad()
  local logits = net:forward(x)
  local loss, grad = mm.nn.cross_entropy(logits, y, {label_smoothing = 0.1})
  net:backward(grad)
  opt:step()
  sched:step()
  first_loss = first_loss or loss
  last_loss = loss
  if step == 1 or step % 10 == 0 then
    print(("step %3d  loss %.4f  lr %.2e"):format(step, loss, sched:lr()))
  end
end
local seconds = mm.clock() - started

-- Accuracy on fresh examples, in evaluation mode (running batch-norm statistics).
net:evaluate()
local x, y = make_batch(64)
local predicted = net:forward(x):argmax()
local correct = 0
for i = 1, #y do
  if predicted[i] == y[i] then correct = correct + 1 end
end
local accuracy = correct / #y
print(("loss %.4f -> %.4f in %.2f s; held-out accuracy %.2f"):format(first_loss, last_loss, seconds, accuracy))
return {first_loss = first_loss, last_loss = last_loss, accuracy = accuracy, steps = steps}
