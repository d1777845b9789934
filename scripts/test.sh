#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests (release build, which
# the main job shares).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
start=$(date +%s)
echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy --all-targets (release) -D warnings"
cargo clippy --release --all-targets --quiet -- -D warnings
echo "== cargo test --release"
cargo test --release
echo "== test suite finished in $(( $(date +%s) - start )) s"
