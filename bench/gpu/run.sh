#!/usr/bin/env bash
# The GPU benchmark in one call (docs/benchmarks.md): install what this machine's Python lacks from
# bench/gpu/wheels/ (made by fetch_wheels.sh), then run bench/gpu/bench_gpu.py with these arguments.
#   bench/gpu/run.sh                                                    # GPU: bench/results/gpu.json
#   bench/gpu/run.sh --device cpu --small --out /tmp/gpu-cpu-small.json # the same steps, tiny, CPU
#   bench/gpu/run.sh --tests ...      # then tests/merge/test_cuda.py too (CUDA against CPU outputs)
# PYTHON: the interpreter (default python3). Wheels go to a temporary folder put on PYTHONPATH for
# this run only: the machine's own environment is left as it is.
set -euo pipefail
tests=0
if [ "${1:-}" = "--tests" ]; then tests=1; shift; fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-python3}"
site="$(mktemp -d)"
trap 'rm -rf "$site"' EXIT
missing="$("$python" "$root/bench/gpu/wheels.py" missing)"
if [ -n "$missing" ]; then
  echo "run.sh: installing from bench/gpu/wheels:" $missing >&2
  "$python" -m pip install --quiet --no-index --no-deps --disable-pip-version-check \
    --target "$site" --find-links "$root/bench/gpu/wheels" $missing
fi
export PYTHONPATH="$root:$site${PYTHONPATH:+:$PYTHONPATH}"
cd "$root"
status=0
"$python" bench/gpu/bench_gpu.py "$@" || status=$?
if [ "$tests" = 1 ]; then
  "$python" -m pytest -q -p no:cacheprovider -rs tests/merge/test_cuda.py || status=$?
fi
exit "$status"
