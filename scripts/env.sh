# Sourced by the scripts: one shared build cache for every build of tunelab on this machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tunelab/target}"
export TUNELAB_CACHE="${TUNELAB_CACHE:-$HOME/.cache/tunelab}"
mkdir -p "$TUNELAB_CACHE"

# The unpacked crates.io source of crate $1 at version $2 in cargo's registry, or nothing.
registry_src() { ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$1-$2" 2>/dev/null | head -n 1; }

# fetch_sources DIR VERSION CRATE...: makes cargo download and unpack the crates.io sources of
# VERSION of each CRATE into its registry (offline first, from crates.io when that fails),
# through a throwaway crate in DIR that depends on them; no checkout's Cargo.lock is touched.
fetch_sources() {
  local dir=$1 version=$2 name
  shift 2
  mkdir -p "$dir/src" || return 1
  : > "$dir/src/lib.rs" || return 1
  {
    printf '[package]\nname = "tunelab-fetch-sources"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[dependencies]\n'
    for name in "$@"; do printf '%s = "=%s"\n' "$name" "$version"; done
  } > "$dir/Cargo.toml" || return 1
  (cd "$dir" && { cargo fetch --offline --quiet 2>/dev/null || cargo fetch --quiet; })
}
