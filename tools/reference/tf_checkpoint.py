#!/usr/bin/env python3
"""A tiny TensorFlow checkpoint (V2 tensor bundle, written by TensorFlow's own Saver) for the
native reader's tests: Tests/Fixtures/tf_checkpoint/tiny.{index,data-00000-of-00001} and
expected.json (every variable's dtype, shape and values).

The variables are named as musicnn's (tf.compat.v1.layers): a conv kernel in HWIO order, a
BatchNorm's moving statistics, a dense kernel, plus a float64 and an int64 variable and an Adam
slot, so the reader's conversion, type handling and name filtering are all exercised.

usage: python tools/reference/tf_checkpoint.py   (needs `pip install tensorflow-cpu`)
"""
import json
import os

import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "tf_checkpoint")


def main():
    tf.compat.v1.disable_eager_execution()
    rng = np.random.default_rng(15)
    values = {
        "conv2d/kernel": rng.standard_normal((7, 3, 1, 4)).astype(np.float32),
        "conv2d/bias": rng.standard_normal(4).astype(np.float32),
        "batch_normalization/moving_mean": rng.standard_normal(4).astype(np.float32),
        "batch_normalization/moving_variance": rng.uniform(0.5, 2, 4).astype(np.float32),
        "dense/kernel": rng.standard_normal((12, 5)).astype(np.float32),
        "dense/kernel/Adam": rng.standard_normal((12, 5)).astype(np.float32),
        "scale64": np.array([1.0 / 3, -2.5e-8, 1e30], dtype=np.float64),
        "global_step": np.array(1234567890123, dtype=np.int64),
    }
    graph = tf.Graph()
    with graph.as_default():
        for name, value in values.items():
            tf.compat.v1.get_variable(name, initializer=tf.constant(value))
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            os.makedirs(OUT, exist_ok=True)
            saver.save(session, os.path.join(OUT, "tiny"), write_meta_graph=False, write_state=False)
    expected = {name: {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.reshape(-1).tolist()}
                for name, v in values.items()}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
