#!/usr/bin/env bash
# Installs the notebook kernel, evcxr_jupyter 0.22.0, at $TUNELAB_CACHE/bin/evcxr_jupyter, built
# against evcxr 0.22.0 with scripts/evcxr/evcxr-0.22.0.patch applied (a fresh kernel answers its
# first tunelab cell in seconds instead of a minute; see the patch's header). Idempotent: a marker
# beside the binary records what was installed (the patch's checksum), and nothing is rebuilt
# while it matches.
#
# Usage: scripts/build-evcxr.sh           the patched kernel
#        scripts/build-evcxr.sh --stock   the unmodified crates.io kernel (for comparisons)
#        scripts/build-evcxr.sh --stock-copy   the unmodified kernel beside the installed one, at
#                                  $TUNELAB_CACHE/evcxr-stock/bin/evcxr_jupyter (scripts/bench.sh
#                                  times both: the patch on and off)
#
# The crates.io sources of evcxr and evcxr_jupyter 0.22.0 are copied to
# $TUNELAB_CACHE/evcxr-src, the patch is applied with `patch -p1`, and evcxr_jupyter is built
# with `[patch.crates-io] evcxr = { path = ... }` and its published Cargo.lock (--locked), in
# the target directory of the stock install, so only evcxr and evcxr_jupyter are recompiled
# (about a minute). If the patch does not apply or the build fails, the stock kernel is
# installed instead, and one line says so.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
unset CARGO_TARGET_DIR      # env.sh's tunelab target dir is not the kernel's
VERSION=0.22.0
PATCH="$(pwd)/scripts/evcxr/evcxr-$VERSION.patch"
BIN="$TUNELAB_CACHE/bin"
SRC="$TUNELAB_CACHE/evcxr-src"
TARGET="$TUNELAB_CACHE/evcxr-install-target"
MARKER="$TUNELAB_CACHE/.evcxr_jupyter-build"
LOG="$SRC/build.log"
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"

exec 3>&1                   # progress lines reach the terminal even from the logged build
say() { echo "== evcxr_jupyter: $*" >&3; }

# The crates.io evcxr_jupyter, unpatched, into ROOT/bin (in the shared install target dir).
cargo_install_stock() {
  CARGO_TARGET_DIR="$TARGET" \
    cargo install evcxr_jupyter --version "$VERSION" --locked --root "$1" --force --quiet
}

stock=0
case "${1:-}" in
  --stock) stock=1 ;;
  --stock-copy)
    if [ ! -x "$TUNELAB_CACHE/evcxr-stock/bin/evcxr_jupyter" ]; then
      say "building the stock evcxr_jupyter $VERSION beside the installed kernel (cargo install)"
      cargo_install_stock "$TUNELAB_CACHE/evcxr-stock"
    fi
    echo "$TUNELAB_CACHE/evcxr-stock/bin/evcxr_jupyter"
    exit 0 ;;
  "") ;;
  *) echo "usage: $0 [--stock | --stock-copy]" >&2; exit 2 ;;
esac

# What the binary is: the marker's line, or "stock" for an install by an older set-up script.
installed() {
  if [ ! -x "$BIN/evcxr_jupyter" ]; then
    echo none
  elif [ -f "$MARKER" ]; then
    cat "$MARKER"
  elif [ -f "$TUNELAB_CACHE/.evcxr_jupyter-$VERSION" ]; then
    echo "$VERSION stock"
  else
    echo unknown
  fi
}

install_stock() {
  # `cargo install` records the version it installed; --force because the binary it finds may be
  # a patched one.
  say "building the stock evcxr_jupyter $VERSION (cargo install)"
  cargo_install_stock "$TUNELAB_CACHE"
  touch "$TUNELAB_CACHE/.evcxr_jupyter-$VERSION"
  echo "$VERSION stock" > "$MARKER"
}

if [ "$stock" = 1 ]; then
  if [ "$(installed)" = "$VERSION stock" ]; then
    say "stock $VERSION already installed"
  else
    install_stock
    say "installed the stock kernel ($BIN/evcxr_jupyter)"
  fi
  exit 0
fi

want="$VERSION patched $(sha256sum "$PATCH" | cut -d' ' -f1)"
if [ "$(installed)" = "$want" ]; then
  say "patched $VERSION already installed (${want##* })"
  exit 0
fi

# The crates.io sources, from cargo's registry cache (env.sh's fetch_sources downloads them when
# they are missing).
mkdir -p "$SRC"
if [ -z "$(registry_src evcxr "$VERSION")" ] || [ -z "$(registry_src evcxr_jupyter "$VERSION")" ]; then
  say "fetching the crates.io sources of evcxr and evcxr_jupyter $VERSION"
  fetch_sources "$SRC/fetch" "$VERSION" evcxr evcxr_jupyter
fi

# Runs as an `if` condition, where `set -e` does not apply: every step checks its status.
patched_build() {
  local evcxr_src jupyter_src
  evcxr_src=$(registry_src evcxr "$VERSION")
  jupyter_src=$(registry_src evcxr_jupyter "$VERSION")
  if [ -z "$evcxr_src" ] || [ -z "$jupyter_src" ]; then
    echo "the crates.io sources of evcxr $VERSION were not found under $CARGO_HOME/registry/src"
    return 1
  fi
  rm -rf "$SRC/evcxr-$VERSION" "$SRC/evcxr_jupyter-$VERSION" || return 1
  cp -R "$evcxr_src" "$SRC/evcxr-$VERSION" || return 1
  cp -R "$jupyter_src" "$SRC/evcxr_jupyter-$VERSION" || return 1
  say "applying $(basename "$PATCH")"
  if ! patch -p1 --forward --batch --quiet -d "$SRC/evcxr-$VERSION" < "$PATCH"; then
    echo "the patch does not apply"
    return 1
  fi
  cd "$SRC/evcxr_jupyter-$VERSION" || return 1
  printf '\n[patch.crates-io]\nevcxr = { path = "../evcxr-%s" }\n' "$VERSION" >> Cargo.toml || return 1
  # The published lock file, with evcxr now a path package (no registry source or checksum).
  awk -v v="$VERSION" '
    /^\[\[package\]\]/ { in_evcxr = 0 }
    /^name = "evcxr"$/ { in_evcxr = 1 }
    in_evcxr && /^version = / && $3 != "\"" v "\"" { in_evcxr = 0 }
    in_evcxr && (/^source = / || /^checksum = /) { next }
    { print }' Cargo.lock > Cargo.lock.new && mv Cargo.lock.new Cargo.lock || return 1
  say "building evcxr_jupyter $VERSION with the patched evcxr (about a minute when the stock one was built in $TARGET)"
  CARGO_TARGET_DIR="$TARGET" cargo build --release --locked --bin evcxr_jupyter || return 1
  mkdir -p "$BIN" || return 1
  cp "$TARGET/release/evcxr_jupyter" "$BIN/evcxr_jupyter.new" || return 1
  mv "$BIN/evcxr_jupyter.new" "$BIN/evcxr_jupyter" || return 1
}

say "building the patched kernel (log: $LOG)"
if (patched_build) > "$LOG" 2>&1; then
  echo "$want" > "$MARKER"
  say "installed the patched kernel ($BIN/evcxr_jupyter, patch ${want##* })"
else
  tail -n 20 "$LOG" | sed 's/^/   | /'
  if [ "$(installed)" != "$VERSION stock" ]; then
    install_stock
  fi
  echo "== evcxr_jupyter: the patched build failed (log: $LOG); the STOCK evcxr_jupyter $VERSION kernel is used"
fi
