-- What `make demo` runs: the Kaggle recipe with a small SE-ResNet on the synthetic `small`
-- set (generated on first use into data/synth-small), scored at the end against the set's
-- hidden labels. Every option of scripts/kaggle.lua works here too:
--
--   mashup run scripts/quickstart.lua [--epochs N] [--seed N] [--run NAME] ...
local options = require "mashup.options"
local recipe = require "mashup.recipe"

local defaults = {}
for k, v in pairs(recipe.kaggle) do defaults[k] = v end
defaults.model = "small"
defaults.epochs = 20
defaults.mashups_per_song = 6
defaults.val_mashups_per_song = 10

local cfg = options.parse(arg, defaults, "scripts/quickstart.lua", recipe.notes)
return recipe.run(cfg, "scripts/quickstart.lua")
