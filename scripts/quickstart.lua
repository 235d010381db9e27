-- What `make demo` runs: the Kaggle recipe with a small SE-ResNet on the synthetic `small`
-- set (generated on first use into data/synth-small), scored at the end against the set's
-- hidden labels. Every option of scripts/kaggle.lua works here too:
--
--   mashup run scripts/quickstart.lua [--epochs N] [--seed N] [--run NAME] ...
local options = require "mashup.options"
local recipe = require "mashup.recipe"

local cfg = options.parse(arg, recipe.quickstart, "scripts/quickstart.lua", recipe.notes)
return recipe.run(cfg, "scripts/quickstart.lua")
