-- Test-time augmentation: the test set gives every mashup in several views (the clip, then
-- copies rotated in time, see mm.data.test_set's `views` and `shift`); the prediction averages
-- the views' softmax probabilities. Replace `M.combine` to try another policy (max, a
-- geometric mean, weights per view).
local mm = require "mashup"

local M = {}

--- The probabilities of one batch: the mean of the views' softmax.
function M.combine(net, views)
  local sum = nil
  for _, x in ipairs(views) do
    local p = net:predict(x):softmax()
    sum = sum and (sum + p) or p
  end
  return sum / #views
end

--- Predicts every mashup of `test_set`; returns ids, probabilities (a table of rows),
--- predicted labels (1-based) and the top probability of each, in the test set's order. Under
--- mpirun each rank decodes and predicts its own contiguous share of the mashups and every rank
--- gets the whole result.
function M.predict(net, test_set, opts)
  opts = opts or {}
  local batch = opts.batch or 16
  net:evaluate()
  local rank, size, n = mm.dist.rank(), mm.dist.size(), #test_set
  local first, last = n * rank // size + 1, n * (rank + 1) // size
  local ids, rows, labels, confidence = {}, {}, {}, {}
  local bar = mm.progress(last - first + 1, {label = ("predicting, %d views"):format(test_set.views), unit = "mashup"})
  for i = first, last, batch do
    local batch_ids, views = test_set:batch(i, math.min(batch, last - i + 1))
    local probs = M.combine(net, views):totable()
    for j, id in ipairs(batch_ids) do
      local row, best = probs[j], 1
      for c = 2, #row do if row[c] > row[best] then best = c end end
      ids[#ids + 1], rows[#rows + 1] = id, row
      labels[#labels + 1], confidence[#confidence + 1] = best, row[best]
    end
    bar:update(#ids)
  end
  bar:finish()
  if size > 1 then
    local parts = mm.dist.gather{ids = ids, rows = rows, labels = labels, confidence = confidence}
    ids, rows, labels, confidence = {}, {}, {}, {}
    for _, part in ipairs(parts) do  -- rank order is the test set's order
      for _, pair in ipairs{{ids, part.ids}, {rows, part.rows}, {labels, part.labels}, {confidence, part.confidence}} do
        table.move(pair[2], 1, #pair[2], #pair[1] + 1, pair[1])
      end
    end
  end
  return ids, rows, labels, confidence
end

return M
