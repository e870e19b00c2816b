#!/usr/bin/env bash
# Download the wheels of bench/gpu/wheels.txt into bench/gpu/wheels/ (ignored by git), for each
# CPython the GPU machine may have, so that they travel with the working tree to a machine with
# no network. Run it where pip can reach an index: bench/gpu/fetch_wheels.sh [PYTHON_VERSIONS]
#   PYTHON_VERSIONS: default "3.10 3.11 3.12 3.13"; PYTHON: the pip to use (default python3).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
dest="$here/wheels"
mkdir -p "$dest"
requirements="$(mktemp)"
trap 'rm -f "$requirements"' EXIT
"$python" "$here/wheels.py" all > "$requirements"
for version in ${1:-3.10 3.11 3.12 3.13}; do
  "$python" -m pip download --quiet --no-deps --only-binary=:all: --dest "$dest" \
    --python-version "$version" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -r "$requirements"
done
ls "$dest" | wc -l | xargs echo "wheels in $dest:"
du -sh "$dest"
