#!/usr/bin/env python3
"""Times the seed recipe's on-the-fly training example in librosa + numpy, on one thread:
the work Benchmarks/MashupBench/PipelineBench.swift times natively.

Run: /work/venv-ref/bin/python tools/peers/pipeline.py [DATA_DIR]
DATA_DIR is the synthetic set PipelineBench writes (default $MASHUP_BENCH_DIR/pipeline_synth).
Stems and noise clips are decoded once (librosa.load, sr=22050, mono) and not timed; each
timed example is: a genre's song per stem (different songs), volume U(0.4, 1), a random crop
of U(15.84, 30) s looped when short, 1-3 noise clips at U(0.05, 0.35) of the music's peak,
peak normalisation to 0.98, zero-padding to 30 s, then the 128 x 1292 log-mel
(power_to_db ref=max, top_db 80) scaled to [0, 1]. Prints one JSON object.
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = "1"

import glob
import json
import sys
import time

import librosa
import numpy as np

SR = 22050
STEMS = ("drums", "vocals", "bass", "other")


def load(root):
    songs = {}
    for folder in sorted(glob.glob(os.path.join(root, "genres_stems", "*", "*"))):
        genre = os.path.basename(os.path.dirname(folder))
        stems = [librosa.load(os.path.join(folder, f"{s}.wav"), sr=SR, mono=True)[0] for s in STEMS]
        songs.setdefault(genre, []).append(stems)
    noise = [librosa.load(p, sr=SR, mono=True)[0] for p in sorted(glob.glob(os.path.join(root, "ESC-50-master", "audio", "*.wav")))]
    return songs, noise


def looped(x, start, length):
    idx = (start + np.arange(length)) % len(x)
    return x[idx]


def example(songs, noise, rng):
    genre = rng.choice(sorted(songs))
    pool = songs[genre]
    order = rng.permutation(len(pool))
    length = int(rng.uniform(15.84, 30.0) * SR)
    music = np.zeros(length, dtype=np.float32)
    for k in range(4):
        stem = pool[order[k % len(pool)]][k]
        start = rng.integers(0, max(1, len(stem) - length + 1))
        music += np.float32(rng.uniform(0.4, 1.0)) * looped(stem, start, length)
    peak = max(np.abs(music).max(), 1e-3)
    mix = music.copy()
    for _ in range(rng.integers(1, 4)):
        clip = noise[rng.integers(0, len(noise))]
        gain = rng.uniform(0.05, 0.35) * peak / np.abs(clip).max()
        mix += np.float32(gain) * looped(clip, rng.integers(0, len(clip)), length)
    mix *= 0.98 / np.abs(mix).max()
    y = librosa.util.fix_length(mix, size=30 * SR)
    s = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=2048, hop_length=512, n_mels=128, fmin=20.0, fmax=8000.0)
    db = librosa.power_to_db(s, ref=np.max, top_db=80.0)
    return (db - db.min()) / (db.max() - db.min())


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("MASHUP_BENCH_DIR", "/tmp/mashup-bench"), "pipeline_synth")
    songs, noise = load(root)
    rng = np.random.default_rng(1)
    example(songs, noise, rng)  # warm-up
    count = 24
    start = time.perf_counter()
    for _ in range(count):
        x = example(songs, noise, rng)
    elapsed = time.perf_counter() - start
    assert x.shape == (128, 1292)
    print(json.dumps({"suite": "pipeline", "impl": "librosa", "bench": "on_the_fly_examples", "threads": 1,
                      "examples_per_s": round(count / elapsed, 2), "examples": count,
                      "librosa": librosa.__version__, "numpy": np.__version__}), flush=True)


if __name__ == "__main__":
    main()
