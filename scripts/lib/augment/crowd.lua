-- A crowd under the music: a bed of pink noise shaped by three vowel-formant bands (the
-- spectrum of many voices at once) and spread by a large room, mixed 5 to 20 dB below the
-- buffer's power. Built from native operations only.
--
--   local pipe = mm.augment.pipeline{ {require "augment.crowd", p = 0.3} }
local mm = require "mashup"

-- Pink noise at the buffer's own power (0 dB SNR); subtracting the buffer leaves the noise.
local pink = mm.augment.noise{color = "pink", snr = 0}
local formants = {
  mm.augment.bandpass{center = {350, 800}, q = 1.2},
  mm.augment.bandpass{center = {900, 1700}, q = 1.5},
  mm.augment.bandpass{center = {2000, 3000}, q = 2},
}
local room = mm.augment.reverb{rt60 = {0.8, 1.6}, wet = {0.6, 1.0}}
local snr_db = {5, 20}

return function(buf, rng)
  local bed = pink(buf, rng):add(buf, -1)
  local voices = formants[1](bed, rng)
  for k = 2, #formants do voices = voices:add(formants[k](bed, rng)) end
  voices = room(voices, rng)
  local level = voices:rms()
  if level == 0 then return buf end
  local snr = rng:uniform(snr_db[1], snr_db[2])
  return buf:add(voices, buf:rms() / level * 10 ^ (-snr / 20))
end
