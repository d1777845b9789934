#!/usr/bin/env bash
# The whole test suite: formatting, the committed notebooks' form (no outputs, canonical JSON;
# also under --no-notebooks), lints, unit and integration tests (release build, which the main
# job shares; the default features have the flex and ndarray CPU backends), a build without
# flex (ndarray the default device), the libtorch backend's tests, then every notebook through
# the real Jupyter kernel (with flex and libtorch in the kernel when libtorch is set up). Everything it installs is cached under $HOME/.cache/tunelab.
# Every build here uses burn-autodiff with scripts/burn-autodiff/burn-autodiff-0.22.1.patch (set up
# first by scripts/patch-burn.sh; tests/autodiff_threads.rs checks graphs that cross threads).
# Usage: scripts/test.sh [--no-notebooks] [--no-tch]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
notebooks=1
tch=1
for arg in "$@"; do
  case "$arg" in
    --no-notebooks) notebooks=0 ;;
    --no-tch) tch=0 ;;
    *) echo "unknown option $arg (use --no-notebooks, --no-tch)" >&2; exit 2 ;;
  esac
done
start=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - start )) s] $*"; }
stamp "burn-autodiff with tunelab's patch: scripts/patch-burn.sh"
bash scripts/patch-burn.sh
stamp "cargo fmt --check"
cargo fmt --check
stamp "notebook files: scripts/check_notebooks.py and its self-test"
python3 scripts/check_notebooks.py
python3 scripts/test_check_notebooks.py
stamp "cargo clippy --all-targets (release) -D warnings"
cargo clippy --release --all-targets --quiet -- -D warnings
stamp "cargo test --release"
cargo test --release
stamp "ndarray only (no flex): cargo clippy and the reproducibility, LR finder and cross-thread autodiff tests"
cargo clippy --release --all-targets --no-default-features --features ndarray --quiet -- -D warnings
cargo test --release --no-default-features --features ndarray --test lr_finder --test reproducible --test autodiff_threads
if [ "$tch" = 1 ]; then
  stamp "libtorch backend: scripts/setup-libtorch.sh, cargo test --features tch"
  eval "$(bash scripts/setup-libtorch.sh)"
  cargo test --release --features tch --test tch_backend --test training
fi
if [ "$notebooks" = 1 ]; then
  stamp "notebooks"
  bash scripts/test-notebooks.sh out/notebooks
fi
stamp "test suite finished"
