#!/usr/bin/env bash
# Fails when `nbdev-export` would change the library or `nbdev-clean` would change a notebook.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -r realiisr_lite "$tmp/lib"; cp -r nbs "$tmp/nbs"; cp pyproject.toml "$tmp/"
nbdev-export
nbdev-clean
fail=0
if ! diff -r -q -x __pycache__ -x weights "$tmp/lib" realiisr_lite || ! diff -q "$tmp/pyproject.toml" pyproject.toml; then
  echo "FAIL: the library is out of sync with the notebooks (nbdev-export changed it). Commit the exported files."; fail=1
fi
if ! diff -r -q -x .ipynb_checkpoints "$tmp/nbs" nbs; then
  echo "FAIL: notebooks are not clean (nbdev-clean changed them). Commit the cleaned notebooks."; fail=1
fi
[ $fail = 0 ] && echo "notebooks clean and library in sync"
exit $fail
