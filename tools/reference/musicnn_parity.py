#!/usr/bin/env python3
"""Parity fixtures for the native musicnn (issue 15), made once with the original `musicnn`
package under TensorFlow: Tests/Fixtures/musicnn/.

  audio.npy        (2, 51200) two generated 3.2 s clips at 16 kHz (chords, a bass line, noise bursts)
  logmel.npy       (2, 201, 96) the package's input representation of each clip: librosa's
                   melspectrogram (16 kHz, n_fft 512, hop 256, 96 bands), cast to float16, then
                   log10(10000 x + 1), as musicnn.extractor.batch_data computes it
  patches.npy      (2, 187, 96) the first 187-frame (3 s) patch of each clip
  logits.npy       (2, 50) MSD_musicnn's logits for the patches (is_training False)
  penultimate.npy  (2, 200) its penultimate layer (the 'penultimate' feature)
  r.npy            (2, 50) a fixed random direction; L = sum(logits * r)
  dpatches.npy     (2, 187, 96) dL/dpatches
  gradients.json   per network variable: sum and L2 norm of dL/dvariable
  vgg_*            the same for MSD_vgg: vgg_logits.npy, vgg_features.npy (pool5 flattened as
                   TensorFlow flattens it, (H, W, C)), vgg_dpatches.npy, vgg_gradients.json

usage: TF_USE_LEGACY_KERAS=1 python tools/reference/musicnn_parity.py WHEEL
       (needs `pip install tensorflow-cpu tf_keras librosa` and `pip install --no-deps WHEEL`)
"""
import json
import os
import sys
import tempfile
import zipfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import librosa  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.compat.v1.disable_eager_execution()
from musicnn import configuration as config  # noqa: E402
from musicnn import models  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "musicnn")
MODEL = "MSD_musicnn"
SAMPLES = 51200


def clip(seed):
    """A few seconds of music-like sound: a chord progression, a bass line, noise bursts and a noise floor."""
    rng = np.random.default_rng(seed)
    t = np.arange(SAMPLES) / config.SR
    y = np.zeros(SAMPLES)
    for k, root in enumerate(rng.choice([220.0, 246.9, 261.6, 293.7, 329.6], 4)):
        part = (t >= 0.8 * k) & (t < 0.8 * (k + 1))
        for ratio in (1.0, 1.26, 1.5):
            y[part] += 0.15 * np.sin(2 * np.pi * root * ratio * t[part]) * np.exp(-3 * (t[part] - 0.8 * k))
        y[part] += 0.2 * np.sin(2 * np.pi * root / 4 * t[part])
    for start in rng.integers(0, SAMPLES - 800, 12):
        y[start:start + 800] += 0.3 * rng.standard_normal(800) * np.linspace(1, 0, 800)
    # a noise floor 60 dB down, as recordings have: no band is silent, so no two bands of the
    # input are equal and a frequency max-pool has one winner (which band wins a tie is up to
    # each implementation's scan order)
    y += 1e-3 * rng.standard_normal(SAMPLES)
    # quiet enough that 10000 x stays inside float16 (the package computes it in float16: louder
    # tonal bins overflow to inf there, which the native front end does not copy)
    return (y / np.abs(y).max() * 0.05).astype(np.float32)


def representation(audio):
    rep = librosa.feature.melspectrogram(y=audio, sr=config.SR, hop_length=config.FFT_HOP, n_fft=config.FFT_SIZE,
                                         n_mels=config.N_MELS).T
    return np.log10(10000 * rep.astype(np.float16) + 1)


def run(folder, model, patches, r):
    """The model's logits, features, dL/dpatches and per-variable gradient stats."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 187, config.N_MELS])
        training = tf.compat.v1.placeholder(tf.bool)
        outputs = models.define_model(x, training, model, 50)
        logits = outputs[0]
        features = outputs[-1] if model.endswith("musicnn") else tf.compat.v1.layers.flatten(outputs[-1])
        loss = tf.reduce_sum(logits * r)
        trainable = tf.compat.v1.trainable_variables()
        variables = trainable + [v for v in tf.compat.v1.global_variables() if "moving" in v.name]
        grads = tf.gradients(loss, [x] + trainable)
        with tf.compat.v1.Session() as session:
            tf.compat.v1.train.Saver(variables).restore(session, os.path.join(folder, "musicnn", model) + "/")
            values = session.run([logits, features] + grads, {x: patches, training: False})
    stats = {v.name.split(":")[0]: {"sum": float(np.sum(g, dtype=np.float64)),
                                   "norm": float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))}
             for v, g in zip(trainable, values[3:])}
    return values[0], values[1], values[2], stats


def main():
    wheel = sys.argv[1]
    audio = np.stack([clip(1), clip(2)])
    logmel = np.stack([representation(a) for a in audio]).astype(np.float32)
    patches = logmel[:, :187, :].copy()
    r = np.random.default_rng(3).standard_normal((2, 50)).astype(np.float32)
    os.makedirs(OUT, exist_ok=True)
    arrays = [("audio", audio), ("logmel", logmel), ("patches", patches), ("r", r)]
    with tempfile.TemporaryDirectory() as folder:
        zipfile.ZipFile(wheel).extractall(folder)
        for model, prefix, feature in [(MODEL, "", "penultimate"), ("MSD_vgg", "vgg_", "features")]:
            logits, features, dpatches, stats = run(folder, model, patches, r)
            arrays += [(prefix + "logits", logits), (prefix + feature, features), (prefix + "dpatches", dpatches)]
            with open(os.path.join(OUT, prefix + "gradients.json"), "w") as f:
                json.dump(stats, f, indent=1, sort_keys=True)
                f.write("\n")
    for name, array in arrays:
        np.save(os.path.join(OUT, name + ".npy"), np.asarray(array, dtype=np.float32))
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"models": [MODEL, "MSD_vgg"], "tensorflow": tf.__version__, "librosa": librosa.__version__,
                   "musicnn": "0.1.0", "numpy": np.__version__}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
