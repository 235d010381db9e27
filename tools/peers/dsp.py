#!/usr/bin/env python3
"""Times librosa on the work Benchmarks/MashupBench/DSPBench.swift times, on one thread.

Run: /work/venv-ref/bin/python tools/peers/dsp.py [WAV]
Prints one JSON object per measurement, in the fields DSPBench prints. The WAV (30 s,
44.1 kHz, stereo, PCM16) is the one DSPBench writes; when it is missing this script writes the
same deterministic signal itself (see `signal`).
"""
import os

# One thread everywhere, before numpy loads its BLAS.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = "1"

import json
import statistics
import sys
import time

import librosa
import numpy as np
import soundfile as sf

DEFAULT_WAV = os.path.join(os.environ.get("MASHUP_BENCH_DIR", "/tmp/mashup-bench"), "dsp_30s_44k_stereo.wav")


def signal(frames, rate):
    """The benchmark's stereo test signal: two detuned chords with a slow tremolo, in [-0.8, 0.8]."""
    t = np.arange(frames, dtype=np.float64) / rate
    tremolo = 0.75 + 0.25 * np.sin(2 * np.pi * 0.5 * t)
    left = sum(np.sin(2 * np.pi * f * t) for f in (110.0, 220.5, 330.7, 441.3, 1234.0, 3210.0)) / 6
    right = sum(np.sin(2 * np.pi * f * t + 0.5) for f in (98.0, 196.2, 392.9, 523.1, 2100.0, 5000.0)) / 6
    return np.stack([0.8 * tremolo * left, 0.8 * tremolo * right], axis=1)


def timed(fn, runs):
    """Median and best of at least `runs` calls (ms) and the spread (next-best / best - 1): while
    the two fastest differ by more than 5% it runs on, up to three times as many calls, as
    mashup's benchmarks do."""
    fn()  # warm-up: numba compilation, caches, page faults
    times = []
    while True:
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        times.sort()
        spread = times[1] / times[0] - 1 if len(times) > 1 else 0.0
        if len(times) >= runs and (spread <= 0.05 or len(times) >= 3 * max(runs, 2)):
            return statistics.median(times), times[0], spread


def emit(name, runs, fn, **extra):
    median, best, spread = timed(fn, runs)
    record = {"suite": "dsp", "impl": "librosa", "bench": name, "threads": 1, "median_ms": round(median, 3),
              "min_ms": round(best, 3), "spread": round(spread, 3), "runs": runs}
    record.update(extra)
    print(json.dumps(record), flush=True)


def log_mel(y):
    s = librosa.feature.melspectrogram(y=y, sr=22050, n_fft=2048, hop_length=512, n_mels=128, fmin=20.0, fmax=8000.0)
    db = librosa.power_to_db(s, ref=np.max, amin=1e-10, top_db=80.0)
    lo, hi = db.min(), db.max()
    return (db - lo) / (hi - lo) if hi > lo else np.zeros_like(db)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_WAV
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        sf.write(path, signal(30 * 44100, 44100), 44100, subtype="PCM_16")
    y22, _ = librosa.load(path, sr=22050, mono=True)
    stereo, _ = sf.read(path, dtype="float32", always_2d=True)
    mono44 = librosa.to_mono(stereo.T)
    versions = {"librosa": librosa.__version__, "numpy": np.__version__}

    emit("decode_wav_30s", 20, lambda: sf.read(path, dtype="float32", always_2d=True))
    emit("downmix_30s", 20, lambda: librosa.to_mono(stereo.T))
    emit("resample_hq_44k_to_22k_30s", 20, lambda: librosa.resample(mono44, orig_sr=44100, target_sr=22050))
    emit("mel_power_30s", 20, lambda: librosa.feature.melspectrogram(
        y=y22, sr=22050, n_fft=2048, hop_length=512, n_mels=128, fmin=20.0, fmax=8000.0))
    emit("mel_step_30s", 20, lambda: log_mel(y22), shape=[128, int(log_mel(y22).shape[1])], **versions)
    emit("front_end_30s", 10, lambda: log_mel(librosa.load(path, sr=22050, mono=True)[0]), **versions)
    emit("mfcc_30s", 10, lambda: librosa.feature.mfcc(y=y22, sr=22050, n_mfcc=20))
    emit("spectral_features_30s", 10, lambda: (
        librosa.feature.rms(y=y22), librosa.feature.zero_crossing_rate(y22),
        librosa.feature.spectral_centroid(y=y22, sr=22050), librosa.feature.spectral_flatness(y=y22)))
    clips = [np.roll(y22, 1000 * i) for i in range(8)]
    emit("batch_mel_step_8x30s", 5, lambda: [log_mel(c) for c in clips], clips=8)


if __name__ == "__main__":
    main()
