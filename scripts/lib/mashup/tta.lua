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
--- predicted labels (1-based) and the top probability of each.
function M.predict(net, test_set, opts)
  opts = opts or {}
  local batch = opts.batch or 16
  net:evaluate()
  local ids, rows, labels, confidence = {}, {}, {}, {}
  local bar = mm.progress(#test_set, {label = ("predicting, %d views"):format(test_set.views), unit = "mashup"})
  for batch_ids, views in test_set:batches(batch) do
    local probs = M.combine(net, views):totable()
    for i, id in ipairs(batch_ids) do
      local row, best = probs[i], 1
      for c = 2, #row do if row[c] > row[best] then best = c end end
      ids[#ids + 1], rows[#rows + 1] = id, row
      labels[#labels + 1], confidence[#confidence + 1] = best, row[best]
    end
    bar:update(#ids)
  end
  bar:finish()
  return ids, rows, labels, confidence
end

return M
