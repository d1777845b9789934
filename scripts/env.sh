# Sourced by the scripts: one shared build cache for every build of tunelab on this machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tunelab/target}"
export TUNELAB_CACHE="${TUNELAB_CACHE:-$HOME/.cache/tunelab}"
mkdir -p "$TUNELAB_CACHE"
