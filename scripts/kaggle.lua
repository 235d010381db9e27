-- The seed's Kaggle recipe for Messy Mashup, every value a named option:
--
--   mashup run scripts/kaggle.lua --data /path/to/messy_mashup
--   mashup run scripts/kaggle.lua --epochs 3 --model small --mashups-per-song 1   (scaled down)
--   mashup run scripts/kaggle.lua --resume runs/NAME                             (continue a run)
--   mashup run scripts/kaggle.lua --help
--
-- Without --data it runs on the synthetic set (made in data/synth-small when absent).
-- Writes into runs/<name>/: config.json, metrics.jsonl, best and last checkpoints,
-- submission.csv (checked against sample_submission.csv), training_history.png,
-- confusion_matrix.png and prediction_distribution.png.
local options = require "mashup.options"
local recipe = require "mashup.recipe"

local cfg = options.parse(arg, recipe.kaggle, "scripts/kaggle.lua", recipe.notes)
return recipe.run(cfg, "scripts/kaggle.lua")
