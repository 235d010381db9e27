-- A telephone line: the 8 kHz sampling of the line (nothing above 4 kHz survives), the band a
-- handset passes (300 Hz to 3.4 kHz), and the soft saturation of a cheap speaker, at the
-- level the buffer had. Built from native operations only, so it runs at native speed.
--
--   local pipe = mm.augment.pipeline{ {require "augment.telephone", p = 0.2} }
--
-- A custom augmentation is a module that returns function(buf, rng) -> buf: loader workers
-- run it in Lua states of their own, each `require`-ing the module, so everything it needs
-- is made here, at load time, or drawn from `rng` (the example's generator) in the call.
local mm = require "mashup"

local highpass = mm.augment.highpass{cutoff = 300}
local lowpass = mm.augment.lowpass{cutoff = 3400}
local speaker = mm.augment.tanh{drive = {0, 6}}
local line_rate = 8000

return function(buf, rng)
  local line = buf:resample(line_rate):resample(buf.rate)
  local out = speaker(lowpass(highpass(line, rng), rng), rng)
  local level = out:rms()
  if level == 0 then return out end
  return out:gain(20 * math.log(buf:rms() / level, 10))
end
