#!/usr/bin/env python3
"""PyTorch peer of Benchmarks/MashupBench/NNBench.swift: the same SE-ResNet (module tree of
tools/reference/nn.py), the same batch, the same thread count. Prints JSON lines:
training step (forward, cross-entropy with label smoothing 0.1, backward, AdamW) in s/step and
samples/s, eval-mode inference samples/s, peak RSS.

Run: /work/venv-torch/bin/python tools/peers/torch_train.py [--threads 2] [--steps 2] [--small-only | --small-1292 | --inference-only]
"""
import argparse
import importlib.util
import json
import os
import resource
import time

import torch
import torch.nn.functional as F

spec = importlib.util.spec_from_file_location("nn_reference", os.path.join(os.path.dirname(__file__), "../reference/nn.py"))
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)


def emit(name, value, unit, **extra):
    print(json.dumps({"suite": "nn-torch", "name": name, "value": float(f"{value:.4g}"), "unit": unit,
                      "threads": torch.get_num_threads(), "torch": torch.__version__, **extra}), flush=True)


def bench(label, model, shape, steps, classes=10, train=True):
    x = torch.rand(*shape)
    y = torch.arange(shape[0]) % classes
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        loss.backward()
        opt.step()

    s = "x".join(map(str, shape))
    if train:
        model.train()
        step()
        # best of the steps, as Benchmarks/MashupBench/NNBench.swift: the machine is shared
        t = min(timed(step) for _ in range(steps))
        emit(f"{label}.train_step", t, "s/step", input=s)
        emit(f"{label}.train", shape[0] / t, "samples/s", input=s)
    model.eval()
    with torch.no_grad():
        model(x)
        infer = min(timed(lambda: model(x)) for _ in range(steps))
    emit(f"{label}.inference", shape[0] / infer, "samples/s", input=s)
    emit(f"{label}.peak_rss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MiB",
         params=str(sum(p.numel() for p in model.parameters())))


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--small-only", action="store_true")
    ap.add_argument("--small-1292", action="store_true", help="only the small model on 128 x 1292 inputs (the quickstart's)")
    ap.add_argument("--inference-only", action="store_true", help="time only eval-mode inference of the reference model")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.small_1292:
        bench("small-1292", reference.SEResNet(widths=(16, 32, 64, 128), blocks=(1, 1, 1, 1)), (16, 1, 128, 1292), 5)
        return
    if args.inference_only:
        bench("seresnet", reference.SEResNet(), (16, 1, 128, 1292), args.steps, train=False)
        return
    bench("small", reference.SEResNet(widths=(16, 32, 64, 128), blocks=(1, 1, 1, 1)), (16, 1, 128, 256), 10)
    if not args.small_only:
        bench("seresnet", reference.SEResNet(), (16, 1, 128, 1292), args.steps)


if __name__ == "__main__":
    main()
