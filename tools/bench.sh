#!/usr/bin/env bash
# `make bench`: runs mashup's benchmark suites and the peers a user would otherwise use
# (librosa for DSP and the data pipeline, PyTorch CPU for the CNN) on this machine in one run,
# then writes BENCHMARKS.md from both.
#
# Peers run in a virtual environment, .venv-bench (created on first use from PyPI:
# librosa 0.11, soundfile, torch, safetensors), or under $MASHUP_PEER_PYTHON for librosa and
# $MASHUP_TORCH_PYTHON for PyTorch when those are set. SUITES picks suites (dsp nn dist pipeline
# synth cache generalisation; dist trains the reference model on 1 process and on 2 MPI ranks); `cache` runs only when MASHUP_FULL_DIR names a full-size data set (see
# CacheBench). `generalisation` trains the quickstart's model 12 times (4 recipes x 3 seeds, about
# an hour on 2 cores): GENERALISATION_VARIANTS and GENERALISATION_SEEDS change what it runs.
# OpenBLAS's kernels are the ones the environment gives (mashup restarts itself onto better ones
# only where the library fell back and OPENBLAS_CORETYPE is unset); machine.json records which.
set -euo pipefail
cd "$(dirname "$0")/.."

out=.build/bench
mkdir -p "$out"
suites=${SUITES:-"dsp pipeline cache nn dist synth generalisation"}
threads=${BENCH_THREADS:-2}

if [ -z "${MASHUP_PEER_PYTHON:-}" ] || [ -z "${MASHUP_TORCH_PYTHON:-}" ]; then
  if [ ! -x .venv-bench/bin/python ]; then
    echo "bench: creating .venv-bench (librosa, soundfile, torch, onnxruntime from PyPI; a large download once)"
    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -q librosa==0.11.0 soundfile safetensors torch numpy onnx onnxruntime
  fi
fi
peer_python=${MASHUP_PEER_PYTHON:-.venv-bench/bin/python}
torch_python=${MASHUP_TORCH_PYTHON:-.venv-bench/bin/python}

{
  echo "{\"machine\": \"cpu\", \"model\": \"$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)\","\
       "\"cores\": $(nproc), \"memory_gib\": $(free -g | awk '/^Mem:/ {print $2}'),"\
       "\"date\": \"$(date -u +%Y-%m-%dT%H:%MZ)\", \"swift\": \"$(swift --version 2>&1 | head -1 | sed 's/"/\\"/g')\","\
       "\"openblas\": \"$(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo unknown)\","\
       "\"fftw\": \"$(dpkg-query -W -f='${Version}' libfftw3-single3 2>/dev/null || echo unknown)\","\
       "\"openblas_core\": \"$(OPENBLAS_VERBOSE=2 .build/release/mashup -e '' 2>&1 | sed -n 's/^Core: //p' | tail -1)\","\
       "\"openblas_coretype_set\": \"${OPENBLAS_CORETYPE:-}\"}"
} > "$out/machine.json"

: > "$out/results.jsonl"
for suite in $suites; do
  echo "bench: mashup $suite"
  if [ "$suite" = generalisation ]; then
    rm -f "$out/generalisation.jsonl"
    .build/release/mashup --quiet run scripts/bench/generalisation.lua --out "$out/generalisation.jsonl" \
      --variants "${GENERALISATION_VARIANTS:-baseline,cache,fresh,fresh+ema,fresh+ema+aug}" --seeds "${GENERALISATION_SEEDS:-1,2,3}"
    cat "$out/generalisation.jsonl" >> "$out/results.jsonl"
    continue
  fi
  if [ "$suite" = dist ]; then
    # The reference model data-parallel: 1 process x 2 threads against 2 ranks x 1 thread,
    # with the all-reduce after backward and overlapped with it.
    DIST_BENCH_THREADS=2 .build/release/MashupBench dist | tee -a "$out/results.jsonl"
    if command -v mpirun > /dev/null; then
      root=(); [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
      for mb in 0 4; do  # one all-reduce after backward, then 4 MiB buckets overlapped with it
        mpirun "${root[@]}" --oversubscribe -np 2 -x DIST_BENCH_THREADS=1 -x DIST_BENCH_BUCKET_MB=$mb \
          --mca btl_vader_single_copy_mechanism none .build/release/MashupBench dist | tee -a "$out/results.jsonl"
      done
    else
      echo "bench: mpirun not found (make deps installs openmpi-bin); 2-rank row skipped"
    fi
    continue
  fi
  .build/release/MashupBench "$suite" | tee -a "$out/results.jsonl"
  case $suite in
    dsp) echo "bench: librosa (dsp)"; "$peer_python" tools/peers/dsp.py | tee -a "$out/results.jsonl" ;;
    pipeline) echo "bench: librosa + numpy (pipeline)"; "$peer_python" tools/peers/pipeline.py | tee -a "$out/results.jsonl" ;;
    nn) echo "bench: PyTorch (nn)"; "$torch_python" tools/peers/torch_train.py --threads "$threads" | tee -a "$out/results.jsonl"
        echo "bench: ONNX Runtime (nn inference)"
        "$torch_python" tools/peers/onnx_infer.py --threads "$threads" | tee -a "$out/results.jsonl" ;;
  esac
done

python3 tools/bench_report.py "$out/machine.json" "$out/results.jsonl" > BENCHMARKS.md
echo "bench: wrote BENCHMARKS.md"
