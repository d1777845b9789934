#!/usr/bin/env bash
# The whole test suite: formatting, the committed notebooks' form (no outputs, canonical JSON;
# also under --no-notebooks), lints, unit and integration tests, a build without flex (ndarray
# the default device), then every notebook through the real Jupyter kernel (with flex and
# libtorch in the kernel when libtorch is set up). Everything it installs is cached under
# $HOME/.cache/tunelab.
# Unless --no-tch, libtorch is installed first (scripts/setup-libtorch.sh, from PyPI) and every
# build has the tch feature: the lints and all tests build once, the libtorch backend's with
# them, and the build without flex has it too. The tch feature changes the features of crates
# that polars and burn are built from (serde, syn, once_cell...), so a build without it next to
# one with it compiles polars and burn twice: about 12-15 more minutes on 2 cores. The only code
# that exists without the tch feature is the one-line error for libtorch devices; its message
# is tested in every build, the error itself under --no-tch (the default features).
# Every build here uses the stock crates from crates.io (a burn-autodiff patch left in this
# checkout by scripts/patch-burn.sh is switched off first); TUNELAB_PATCH_BURN=1 runs the whole
# suite with tunelab's opt-in burn-autodiff patch instead (tests/autodiff_threads.rs checks the
# ways it can break: gradients lost across threads, graphs never freed).
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
if [ "${TUNELAB_PATCH_BURN:-0}" = 1 ]; then
  stamp "burn-autodiff with tunelab's opt-in patch: scripts/patch-burn.sh"
  bash scripts/patch-burn.sh
else
  stamp "the stock burn-autodiff: scripts/patch-burn.sh --off"
  bash scripts/patch-burn.sh --off
fi
stamp "cargo fmt --check"
cargo fmt --check
stamp "notebook files: scripts/check_notebooks.py and its self-test"
python3 scripts/check_notebooks.py
python3 scripts/test_check_notebooks.py
features=()
ndarray_only=ndarray
if [ "$tch" = 1 ]; then
  stamp "libtorch for the tch backend: scripts/setup-libtorch.sh"
  eval "$(bash scripts/setup-libtorch.sh)"
  features=(--features tch)
  ndarray_only=ndarray,tch
fi
stamp "cargo clippy --all-targets (release) ${features[*]} -D warnings"
cargo clippy --release --all-targets "${features[@]}" --quiet -- -D warnings
stamp "cargo test --release ${features[*]}"
cargo test --release "${features[@]}"
stamp "without flex (--features $ndarray_only): cargo clippy, the unit tests and the reproducibility, LR finder and cross-thread autodiff tests"
cargo clippy --release --all-targets --no-default-features --features "$ndarray_only" --quiet -- -D warnings
cargo test --release --no-default-features --features "$ndarray_only" --lib --test lr_finder --test reproducible --test autodiff_threads
if [ "$notebooks" = 1 ]; then
  stamp "notebooks"
  bash scripts/test-notebooks.sh out/notebooks
fi
stamp "test suite finished"
