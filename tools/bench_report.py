#!/usr/bin/env python3
"""Writes BENCHMARKS.md (to stdout) from one `make bench` run: the machine, and each of
mashup's measurements beside its peer's (librosa, PyTorch) from the same run, with the ratio
and the issue's target. Standard library only.

Run: python3 tools/bench_report.py MACHINE.json RESULTS.jsonl > BENCHMARKS.md
"""
import json
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def fmt(x, digits=3):
    if x is None:
        return "–"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def timing_table(rows, suite, targets):
    """Rows timed in ms (median and best); ours and librosa's by bench name."""
    ours = {(r["bench"], r["threads"]): r for r in rows if r.get("suite") == suite and r.get("impl") == "mashup"
            and "min_ms" in r}
    peer = {r["bench"]: r for r in rows if r.get("suite") == suite and r.get("impl") != "mashup" and "min_ms" in r}
    out = ["| work (30 s of audio) | threads | mashup best ms | librosa best ms (1 thread) | speed-up | target |",
           "|---|---|---|---|---|---|"]

    def timed(r):  # best ms, with the spread (next-best / best - 1) where the run reported it
        return fmt(r["min_ms"]) + (f" (spread {100 * float(r['spread']):.1f}%)" if "spread" in r else "")

    for (bench, threads), r in sorted(ours.items()):
        p = peer.get(bench)
        ratio = p["min_ms"] / r["min_ms"] if p else None
        out.append(f"| {bench} | {threads} | {timed(r)} | {timed(p) if p else '–'} | "
                   f"{fmt(ratio) + 'x' if ratio else '–'} | {targets.get(bench, '')} |")
    return "\n".join(out)


def pipeline_table(rows):
    ours = [r for r in rows if r.get("suite") == "pipeline" and r.get("impl") == "mashup"]
    peer = {r["bench"]: r for r in rows if r.get("suite") == "pipeline" and r.get("impl") != "mashup"}
    out = ["| measurement | threads | mashup | librosa + numpy (1 thread) | ratio | target |", "|---|---|---|---|---|---|"]
    for r in ours:
        bench, threads = r["bench"], r["threads"]
        if "examples_per_s" in r:
            p = peer.get(bench)
            ratio = r["examples_per_s"] / p["examples_per_s"] if p else None
            out.append(f"| {bench} (examples/s) | {threads} | {fmt(r['examples_per_s'])} | "
                       f"{fmt(p['examples_per_s']) if p else '–'} | {fmt(ratio) + 'x' if ratio else '–'} | "
                       f"{'≥ 10x' if bench == 'on_the_fly_examples' else ''} |")
        else:
            detail = ", ".join(f"{k} {fmt(v) if isinstance(v, (int, float)) else v}" for k, v in r.items()
                               if k not in ("suite", "impl", "bench", "threads"))
            target = "5,000 in ≤ 180 s" if bench == "cache_build" else ""
            out.append(f"| {bench} | {threads} | {detail} | – | – | {target} |")
    return "\n".join(out)


def nn_table(rows):
    ours = {r["name"]: r for r in rows if r.get("suite") == "nn"}
    peer = {r["name"]: r for r in rows if r.get("suite") == "nn-torch"}
    onnx = {r["name"]: r for r in rows if r.get("suite") == "nn-onnx"}
    out = ["| measurement | unit | mashup | PyTorch | ratio (higher is better for mashup) | ONNX Runtime | ratio | target |",
           "|---|---|---|---|---|---|---|---|"]
    targets = {"seresnet.train": "≥ 1.5x PyTorch", "seresnet.inference": "≥ 1.0x ONNX Runtime",
               "seresnet.peak_rss": "≤ PyTorch"}
    for name, r in ours.items():
        if name.startswith(("conv.", "sgemm.")):
            continue
        p = peer.get(name)
        ratio = None
        if p:
            if r["unit"] in ("s/step", "MiB"):
                ratio = p["value"] / r["value"]
            else:
                ratio = r["value"] / p["value"]
        spread = f" (spread {100 * float(r['spread']):.1f}%)" if "spread" in r else ""
        o = onnx.get(name)
        o_ratio = r["value"] / o["value"] if o else None
        o_spread = f" (spread {100 * float(o['spread']):.1f}%)" if o and "spread" in o else ""
        out.append(f"| {name} | {r['unit']} | {fmt(r['value'])}{spread} | {fmt(p['value']) if p else '–'} | "
                   f"{fmt(ratio) + 'x' if ratio else '–'} | {fmt(o['value']) + o_spread if o else '–'} | "
                   f"{fmt(o_ratio) + 'x' if o_ratio else '–'} | {targets.get(name, '')} |")
    conv = ["| layer | conv forward GFLOP/s | conv backward GFLOP/s | sgemm GFLOP/s, same GEMM | forward / sgemm | "
            "Winograd forward | Winograd backward | Winograd / direct, forward |",
            "|---|---|---|---|---|---|---|---|"]
    for name, r in ours.items():
        if name.startswith("conv.") and name.endswith(".forward"):
            layer = name[len("conv."):-len(".forward")]
            back = ours.get(f"conv.{layer}.backward", {}).get("value")
            gemm = ours.get(f"sgemm.{layer}", {}).get("value")
            wino = ours.get(f"conv.{layer}.winograd", {}).get("value")
            wino_back = ours.get(f"conv.{layer}.winograd_backward", {}).get("value")
            conv.append(f"| {layer} | {fmt(r['value'])} | {fmt(back)} | {fmt(gemm)} | "
                        f"{fmt(r['value'] / gemm) if gemm else '–'} | {fmt(wino) if wino else '–'} | "
                        f"{fmt(wino_back) if wino_back else '–'} | {fmt(wino / r['value']) + 'x' if wino else '–'} |")
    return ("\n".join(out) + "\n\nConvolutions against OpenBLAS sgemm on the same shapes (target ≥ 0.7), in the "
            "direct convolution's GFLOP/s (Winograd F(2x2, 3x3) does 2.25x fewer multiplies for the same output, so "
            "its figure can pass sgemm's):\n\n" + "\n".join(conv))


def plain_table(rows, suite):
    out = ["| measurement | threads | values |", "|---|---|---|"]
    for r in rows:
        if r.get("suite") == suite:
            detail = ", ".join(f"{k} {fmt(v) if isinstance(v, (int, float)) else v}" for k, v in r.items()
                               if k not in ("suite", "impl", "bench", "threads"))
            out.append(f"| {r['bench']} | {r['threads']} | {detail} |")
    return "\n".join(out)


def generalisation_table(rows):
    """Macro F1 per recipe variant over seeds: mean and sample standard deviation."""
    by_variant = {}
    for r in rows:
        if r.get("suite") == "generalisation":
            by_variant.setdefault(r["variant"], []).append(r)

    def mean_sd(xs):
        m = sum(xs) / len(xs)
        sd = (sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5 if len(xs) > 1 else 0.0
        return f"{m:.3f} ± {sd:.3f}"

    out = ["| recipe | seeds | validation macro F1 (held-out songs) | test macro F1 (unseen songs) | test, per seed | "
           "minutes per run |", "|---|---|---|---|---|---|"]
    for variant, runs in by_variant.items():
        runs.sort(key=lambda r: r["seed"])
        tests = [r["test_f1"] for r in runs]
        out.append(f"| {variant} | {len(runs)} | {mean_sd([r['val_f1'] for r in runs])} | {mean_sd(tests)} | "
                   f"{' / '.join(f'{t:.3f}' for t in tests)} | {sum(r['minutes'] for r in runs) / len(runs):.1f} |")
    return "\n".join(out)


def main():
    machine = json.load(open(sys.argv[1]))
    rows = load(sys.argv[2])
    versions = sorted({f"{k} {r[k]}" for r in rows for k in ("librosa", "torch", "numpy") if k in r})
    print("# Benchmarks\n")
    print("Written by `make bench` (tools/bench.sh, tools/bench_report.py) from one run: mashup and its "
          "peers measured side by side on the same machine. Times are the best of several runs.\n")
    print(f"- Machine: {machine['model']}, {machine['cores']} cores, {machine['memory_gib']} GiB; {machine['date']}")
    core = machine.get("openblas_core") or "unknown"
    forced = machine.get("openblas_coretype_set")
    core += f" (OPENBLAS_CORETYPE={forced})" if forced else " (its own choice)"
    print(f"- {machine['swift']}; OpenBLAS {machine['openblas']}, {core} kernels; FFTW {machine['fftw']}")
    print(f"- Peers: {', '.join(versions) if versions else 'none ran'}\n")
    sections = {r.get("suite") for r in rows}
    if "dsp" in sections:
        print("## Audio and DSP (issue 3)\n")
        print(timing_table(rows, "dsp", {"mel_step_30s": "≥ 15x (issue 17; 10x issue 3)", "front_end_30s": "≥ 5x"}) + "\n")
    if "pipeline" in sections:
        print("## Data pipeline (issue 6)\n")
        print(pipeline_table(rows) + "\n")
    if "cache" in sections:
        print("## The pre-compute step on a full-size set (issue 6)\n")
        print("What scripts/kaggle.lua does before its first epoch, on the `full` synthetic set "
              "(1,000 songs, 2,000 noise clips; `mashup synth DIR --scale full`, MASHUP_FULL_DIR=DIR): "
              "index, decode every stem into the stem bank, then the caches of 5 mashups per training "
              "song and 10 per validation song. Target: 5,000 spectrograms in ≤ 180 s on 2 cores.\n")
        print(plain_table(rows, "cache") + "\n")
    if "nn" in sections:
        print("## CNN engine (issues 4 and 17)\n")
        print(nn_table(rows) + "\n")
    if "dist" in sections:
        print("## Data-parallel training (issue 14)\n")
        print("The reference SE-ResNet, a global batch of 16 spectrograms of 128 x 1292 per step, on one process "
              "and on MPI ranks sharing the machine's cores; each rank trains on its share and the gradients are "
              "averaged with one all-reduce of the flat gradient block after backward, or in buckets overlapped "
              "with backward (`overlap`); the all-reduce column is the time the step waits for it after backward. "
              "Best of the timed steps.\n")
        out = ["| layout (ranks x threads) | all-reduce | samples/s | s/step | all-reduce wait s/step | share | "
               "gradients MiB |",
               "|---|---|---|---|---|---|---|"]
        for r in rows:
            if r.get("suite") == "dist":
                kind = "-" if r["ranks"] == 1 else (
                    f"overlap, {r['buckets']} buckets" if ".overlap" in r["name"] else "one message")
                out.append(f"| {r['ranks']} x {r['threads']} | {kind} | {fmt(r['value'])} | {fmt(r['step_s'])} | "
                           f"{fmt(r['allreduce_s'])} | {fmt(100 * r['allreduce_share'])}% | {fmt(r['gradient_mib'])} |")
        print("\n".join(out) + "\n")
    if "generalisation" in sections:
        print("## Generalisation to unseen songs (issue 12)\n")
        print("scripts/bench/generalisation.lua: the quickstart's small SE-ResNet trained on the `small` synthetic "
              "set (seed 2026), whose 200 test mashups are made of 50 held-out songs never in genres_stems; "
              "validation on 2 held-out training songs per genre (10 mashups each). One run per seed.\n")
        print(generalisation_table(rows) + "\n")
    if "synth" in sections:
        print("## Synthetic data set (issue 5)\n")
        print(plain_table(rows, "synth") + "\n")


if __name__ == "__main__":
    main()
