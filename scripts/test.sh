#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests (release build, which
# the main job shares), then every notebook through the real kernel.
# Usage: scripts/test.sh [--no-notebooks]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
start=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - start )) s] $*"; }
stamp "cargo fmt --check"
cargo fmt --check
stamp "cargo clippy --all-targets (release) -D warnings"
cargo clippy --release --all-targets --quiet -- -D warnings
stamp "cargo test --release"
cargo test --release
if [ "${1:-}" != "--no-notebooks" ]; then
  stamp "notebooks"
  bash scripts/test-notebooks.sh out/notebooks
fi
stamp "test suite finished"
