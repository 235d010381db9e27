#!/usr/bin/env python3
"""What TensorFlow itself reads from the musicnn wheel's four checkpoints, for the native
reader's test (Tests/NativeTests/TensorFlowCheckpointTests, run when `make weights` has
fetched the weights): each network variable's shape, sum, sum of squares and first values, in
Tests/Fixtures/musicnn/checkpoints.json. The weights themselves are never committed.

usage: python tools/reference/musicnn_checkpoints.py WHEEL   (needs `pip install tensorflow-cpu`)
"""
import json
import os
import sys
import tempfile
import zipfile

import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "musicnn", "checkpoints.json")
MODELS = ["MSD_musicnn", "MTT_musicnn", "MSD_vgg", "MTT_vgg"]


def network_variable(name):
    return not (name.endswith("/Adam") or name.endswith("/Adam_1") or name.startswith("beta1_power")
                or name.startswith("beta2_power") or name == "global_step")


def main():
    wheel = sys.argv[1]
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        zipfile.ZipFile(wheel).extractall(folder)
        for model in MODELS:
            # the prefix is the folder itself: its files are named ".index" and ".data-..."
            reader = tf.compat.v1.train.NewCheckpointReader(os.path.join(folder, "musicnn", model) + "/")
            shapes = reader.get_variable_to_shape_map()
            stats = {}
            for name in sorted(shapes):
                if not network_variable(name):
                    continue
                v = reader.get_tensor(name).astype(np.float64)
                stats[name] = {"shape": list(shapes[name]), "sum": float(v.sum()),
                               "sum_squares": float((v * v).sum()), "first": v.reshape(-1)[:4].tolist()}
            out[model] = stats
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
