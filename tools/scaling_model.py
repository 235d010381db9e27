#!/usr/bin/env python3
"""The README's table of expected data-parallel scaling over several machines (issue 14).

Reads the `dist` rows of a bench results file (tools/bench.sh writes bench-out/results.jsonl) for
the measured one-machine step and gradient size, and models a ring all-reduce over N machines:
each sends and receives 2 (N - 1) / N of the gradient bytes per step, at the link's bandwidth
(latency, 2 (N - 1) hops of tens of microseconds, is left out: milliseconds at N = 32). Every
machine trains a local batch of 16 (global batch 16 N). One message after backward adds the
whole all-reduce to the step; buckets overlapped with backward (mm.dist.overlap, 4 MiB) hide it
behind backward (taken as 2/3 of the step, as backward costs about twice forward) and leave at
least the last bucket's all-reduce exposed.

usage: tools/scaling_model.py results.jsonl [--node-speedup 16]
"""
import argparse
import json

BUCKET_MB = 4 * 1.048576


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--node-speedup", type=float, default=16,
                    help="a node's throughput as a multiple of the measured machine's (16: 32 cores against 2)")
    args = ap.parse_args()
    rows = [json.loads(line) for line in open(args.results) if line.startswith("{")]
    one = next(r for r in rows if r.get("suite") == "dist" and r["ranks"] == 1)
    gradient_mb = one["gradient_mib"] * 1.048576
    machines = [("this machine (measured: %.2f samples/s)" % one["value"], 16 / one["value"]),
                ("a node %gx as fast" % args.node_speedup, 16 / one["value"] / args.node_speedup)]
    print("| machines | link | all-reduce s/step | %s |" % " | ".join(
        f"{name}: samples/s, efficiency (one message / overlapped)" for name, _ in machines))
    print("|---|---|---|" + "---|" * len(machines))
    for gbit in (1, 10):
        bandwidth = gbit * 125.0  # MB/s
        for n in (1, 2, 8, 32):
            ring = 0 if n == 1 else 2 * (n - 1) / n * gradient_mb / bandwidth
            last = 0 if n == 1 else 2 * (n - 1) / n * BUCKET_MB / bandwidth
            cells = []
            for _, step in machines:
                hidden = 0 if n == 1 else max(ring - 2 / 3 * step, last)
                cells.append("%.1f, %.0f%% / %.1f, %.0f%%" % (
                    16 * n / (step + ring), 100 * step / (step + ring),
                    16 * n / (step + hidden), 100 * step / (step + hidden)))
            print(f"| {n} | {gbit} Gbit/s | {ring:.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
