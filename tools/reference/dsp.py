#!/usr/bin/env python3
"""Golden fixtures for mashup's audio I/O and DSP (Tests/Fixtures/dsp/).

Run with the reference environment:  /work/venv-ref/bin/python tools/reference/dsp.py
Every clip is short (8192 samples at 22050 Hz, or 0.25-0.3 s files) so that the whole folder
stays a few hundred KB. The library versions used are recorded in manifest.json.

Per clip the folder holds, as .npy (float32 unless noted):
  input.npy     the mono 22050 Hz signal (none for silence; for the files: librosa.load(path, sr=22050, mono=True))
  mel.npy       librosa.feature.melspectrogram(y, sr=22050, n_fft=2048, hop_length=512,
                n_mels=128, fmin=20, fmax=8000, power=2.0)          [128, T]
  db.npy        librosa.power_to_db(mel, ref=np.max, amin=1e-10, top_db=80)
  minmax.npy    (db - db.min()) / (db.max() - db.min()), zeros when the range is 0
  rms.npy       librosa.feature.rms(y=y)                             [1, T]
  zcr.npy       librosa.feature.zero_crossing_rate(y)                [1, T] float64
  centroid.npy  librosa.feature.spectral_centroid(y=y, sr=22050)     [1, T] float64
  flatness.npy  librosa.feature.spectral_flatness(y=y)               [1, T]
  mfcc.npy      librosa.feature.mfcc(y=y, sr=22050, n_mfcc=20)       [20, T]
"""
import json
import os
import sys

import librosa
import numpy as np
import scipy
import scipy.signal
import soundfile as sf
import soxr

SR = 22050
N = 8192
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "Tests", "Fixtures", "dsp")


def save(folder, name, array):
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, name + ".npy"), np.ascontiguousarray(array))


def features(name, y, extra=None, store_input=True):
    folder = os.path.join(OUT, name)
    y = np.asarray(y, dtype=np.float32)
    if store_input:
        save(folder, "input", y)
    mel = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=2048, hop_length=512, n_mels=128, fmin=20.0, fmax=8000.0, power=2.0
    )
    db = librosa.power_to_db(mel, ref=np.max, amin=1e-10, top_db=80.0)
    lo, hi = db.min(), db.max()
    minmax = (db - lo) / (hi - lo) if hi > lo else np.zeros_like(db)
    save(folder, "mel", mel)
    save(folder, "db", db)
    save(folder, "minmax", minmax.astype(np.float32))
    save(folder, "rms", librosa.feature.rms(y=y))
    save(folder, "zcr", librosa.feature.zero_crossing_rate(y))
    save(folder, "centroid", librosa.feature.spectral_centroid(y=y, sr=SR))
    save(folder, "flatness", librosa.feature.spectral_flatness(y=y))
    save(folder, "mfcc", librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20))
    entry = {"samples": int(len(y)), "frames": int(mel.shape[1])}
    entry.update(extra or {})
    return entry


def main():
    rng = np.random.default_rng(1234)
    t = np.arange(N) / SR
    clips = {}

    sine_mix = (
        0.5 * np.sin(2 * np.pi * 440.0 * t)
        + 0.3 * np.sin(2 * np.pi * 1234.5 * t)
        + 0.1 * np.sin(2 * np.pi * 5000.0 * t)
        + 0.05 * rng.standard_normal(N)
    )
    clips["sine_mix"] = features("sine_mix", sine_mix, {"signal": "sines 440/1234.5/5000 Hz + N(0, 0.05^2)"})

    chirp = 0.8 * scipy.signal.chirp(t, f0=50.0, t1=t[-1], f1=10000.0, method="logarithmic")
    clips["chirp"] = features("chirp", chirp, {"signal": "log chirp 50 Hz -> 10 kHz, amplitude 0.8"})

    # No input.npy: the signal is `samples` zeros.
    clips["silence"] = features("silence", np.zeros(N), {"signal": "zeros"}, store_input=False)

    # A short stereo 44.1 kHz PCM16 WAV, loaded as librosa loads it (downmix, soxr_hq to 22050).
    n = 11025
    ts = np.arange(n) / 44100
    left = 0.6 * np.sin(2 * np.pi * 330.0 * ts) + 0.05 * rng.standard_normal(n)
    right = 0.4 * np.sin(2 * np.pi * 2000.0 * ts + 0.3) + 0.05 * rng.standard_normal(n)
    wav = os.path.join(OUT, "stereo44k.wav")
    sf.write(wav, np.stack([left, right], axis=1), 44100, subtype="PCM_16")
    y, _ = librosa.load(wav, sr=SR, mono=True)
    clips["stereo44k"] = features("stereo44k", y, {"file": "stereo44k.wav", "rate": 44100, "channels": 2})

    # A 24-bit mono FLAC at 48 kHz: a ratio soxr cannot do with a short polyphase filter.
    n = 14400
    tf = np.arange(n) / 48000
    mono = 0.7 * np.sin(2 * np.pi * 700.0 * tf) * np.exp(-3 * tf) + 0.02 * rng.standard_normal(n)
    flac = os.path.join(OUT, "mono48k_24.flac")
    sf.write(flac, mono, 48000, subtype="PCM_24")
    y, _ = librosa.load(flac, sr=SR, mono=True)
    clips["mono48k_24"] = features("mono48k_24", y, {"file": "mono48k_24.flac", "rate": 48000, "channels": 1})

    # Filterbanks small enough to store whole: librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk).
    banks = {
        "slaney": dict(sr=22050, n_fft=256, n_mels=32, fmin=20.0, fmax=8000.0, htk=False),
        "htk": dict(sr=16000, n_fft=256, n_mels=24, fmin=0.0, fmax=None, htk=True),
    }
    for name, kw in banks.items():
        save(os.path.join(OUT, "filters"), name, librosa.filters.mel(**kw))

    manifest = {
        "generator": "tools/reference/dsp.py",
        "versions": {
            "python": sys.version.split()[0],
            "librosa": librosa.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "soundfile": sf.__version__,
            "libsndfile": sf.__libsndfile_version__,
            "soxr": soxr.__version__,
            "libsoxr": soxr.__libsoxr_version__,
        },
        "sr": SR,
        "mel": dict(n_fft=2048, hop_length=512, n_mels=128, fmin=20.0, fmax=8000.0, power=2.0),
        "power_to_db": dict(ref="max", amin=1e-10, top_db=80.0),
        "mfcc": dict(n_mfcc=20, note="librosa.feature.mfcc defaults: melspectrogram fmin=0, fmax=sr/2; power_to_db ref=1.0 top_db=80; DCT-II ortho"),
        "clips": clips,
        "filters": {k: {kk: vv for kk, vv in v.items()} for k, v in banks.items()},
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
