#!/usr/bin/env bash
# The fuzz suite (part of `make test`): runs scripts/fuzz/fuzz.lua under the release build in a
# scratch folder, so files that bad arguments name land there. Exits non-zero when the suite
# reports a wrong result or the process dies by a signal, naming the input it was on.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${MASHUP_BIN:-$root/.build/release/mashup}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mashup-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/cwd"
(cd "$scratch/cwd" && "$bin" --quiet --threads 2 run "$root/scripts/fuzz/fuzz.lua" "$scratch")
status=$?
if [ $status -gt 128 ]; then
  echo "fuzz: the process died by signal $((status - 128)) on: $(cat "$scratch/last-case" 2>/dev/null)" >&2
elif [ $status -ne 0 ]; then
  echo "fuzz: failed (status $status); last input: $(cat "$scratch/last-case" 2>/dev/null)" >&2
fi
exit $status
