#!/usr/bin/env python3
"""ONNX Runtime peer of Benchmarks/MashupBench/NNBench.swift's inference rows: the reference
SE-ResNet (tools/reference/nn.py's module tree, eval mode) exported with torch.onnx and run by
ONNX Runtime's CPU provider with all graph optimisations, the same batch (16 x 1 x 128 x 1292)
and thread count. Prints JSON lines (suite "nn-onnx"): inference samples/s, best of the runs,
repeated while the two fastest differ by more than 5%, with that spread.

Run: .venv-bench/bin/python tools/peers/onnx_infer.py [--threads 2] [--steps 3] [--small]
"""
import argparse
import importlib.util
import json
import os
import tempfile
import time
import warnings

import numpy as np
import onnxruntime as ort
import torch

spec = importlib.util.spec_from_file_location("nn_reference", os.path.join(os.path.dirname(__file__), "../reference/nn.py"))
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)


def best(run, repeats):
    times = []
    while True:
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
        times.sort()
        spread = times[1] / times[0] - 1 if len(times) > 1 else 0.0
        if len(times) >= repeats and (spread <= 0.05 or len(times) >= 3 * max(repeats, 2)):
            return times[0], spread


def bench(label, model, shape, threads, repeats):
    # the TorchScript exporter (the newer one needs onnxscript) warns that it is the old one
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    model.eval()
    x = torch.rand(*shape)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.onnx")
        torch.onnx.export(model, (x,), path, input_names=["x"], output_names=["logits"], opset_version=17,
                          dynamo=False)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    feed = {"x": x.numpy()}
    out = session.run(None, feed)[0]
    with torch.no_grad():
        assert np.allclose(out, model(x).numpy(), rtol=1e-3, atol=1e-3), "ONNX Runtime disagrees with PyTorch"
    t, spread = best(lambda: session.run(None, feed), repeats)
    print(json.dumps({"suite": "nn-onnx", "name": f"{label}.inference", "value": float(f"{shape[0] / t:.4g}"),
                      "unit": "samples/s", "threads": threads, "onnxruntime": ort.__version__,
                      "spread": f"{spread:.3f}", "input": "x".join(map(str, shape))}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--small", action="store_true", help="only the small model (a quick check)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    bench("small", reference.SEResNet(widths=(16, 32, 64, 128), blocks=(1, 1, 1, 1)), (16, 1, 128, 256), args.threads,
          10)
    if not args.small:
        bench("seresnet", reference.SEResNet(), (16, 1, 128, 1292), args.threads, args.steps)


if __name__ == "__main__":
    main()
