#!/usr/bin/env bash
# Opt-in, never on a default path: points this checkout's builds at burn-autodiff 0.22.1 with
# scripts/burn-autodiff/burn-autodiff-0.22.1.patch applied: one graph locator per thread instead of
# one process-wide lock, so trials training on several threads at once wait less on each other
# (see the patch's header; the upstream discussion of the lock is
# https://github.com/tracel-ai/burn/issues/2729). Measured on 2 cores: 8 trials on 2 threads
# 1.73x over one thread with the patch, 1.68x with the stock crate (medians of 8 rounds).
#
# The crates.io source (from cargo's registry cache, fetched from crates.io when missing) is copied
# to .cargo/burn-autodiff-0.22.1, patched there, and .cargo/config.toml gets a
# `[patch.crates-io]` entry for it; both are ignored by git. From then on every cargo command run
# in this checkout builds with it, and cargo rewrites the committed Cargo.lock to record
# burn-autodiff as that path package: do not commit that change (`--off` and one build put the
# stock entry back). tunelab used as a dependency elsewhere (the notebook kernel) always gets the
# stock crate. `TUNELAB_PATCH_BURN=1 scripts/test.sh` runs the whole suite on the patch
# (tests/autodiff_threads.rs checks its failure modes: gradients lost across threads, graphs
# never freed).
#
# Idempotent: a marker records the patch's checksum, and nothing is redone while it matches. If the
# source cannot be had or the patch does not apply, the stock crate is used and this says so (exit
# status 0: the builds work either way).
# Usage: scripts/patch-burn.sh         apply (or keep) the patch
#        scripts/patch-burn.sh --off   go back to the stock crate (remove .cargo/config.toml)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
VERSION=0.22.1
PATCH="scripts/burn-autodiff/burn-autodiff-$VERSION.patch"
DIR=".cargo/burn-autodiff-$VERSION"
CONFIG=.cargo/config.toml
MARK="# Written by scripts/patch-burn.sh"
say() { echo "patch-burn: $*" >&2; }

stock() {
  if [ -f "$CONFIG" ] && head -n 1 "$CONFIG" | grep -qF "$MARK"; then
    rm -f "$CONFIG"
  fi
}

if [ "${1:-}" = "--off" ]; then
  stock
  say "builds in this checkout use the stock burn-autodiff $VERSION"
  exit 0
elif [ -n "${1:-}" ]; then
  echo "unknown option $1 (use --off)" >&2
  exit 2
fi

want="$VERSION $(sha256sum "$PATCH" | cut -d' ' -f1)"
if [ -f "$CONFIG" ] && [ "$(cat "$DIR/.tunelab-patch" 2>/dev/null)" = "$want" ]; then
  say "builds in this checkout use burn-autodiff $VERSION with $(basename "$PATCH") (already set up)"
  exit 0
fi

# Runs as an `if` condition, where `set -e` does not apply: every step checks its status.
patched_source() {
  local src tmp
  src=$(registry_src burn-autodiff "$VERSION")
  if [ -z "$src" ]; then
    fetch_sources "$TUNELAB_CACHE/burn-autodiff-fetch" "$VERSION" burn-autodiff || return 1
    src=$(registry_src burn-autodiff "$VERSION")
    [ -n "$src" ] || { echo "burn-autodiff $VERSION not found in cargo's registry"; return 1; }
  fi
  mkdir -p .cargo || return 1
  tmp="$DIR.tmp-$$"
  rm -rf "$tmp" || return 1
  cp -R "$src" "$tmp" || return 1
  if ! patch -p1 --forward --batch --quiet -d "$tmp" < "$PATCH"; then
    rm -rf "$tmp"
    echo "$(basename "$PATCH") does not apply to $src"
    return 1
  fi
  echo "$want" > "$tmp/.tunelab-patch" || return 1
  rm -rf "$DIR" && mv "$tmp" "$DIR" || return 1
  printf '%s: burn-autodiff %s with %s.\n[patch.crates-io]\nburn-autodiff = { path = "%s" }\n' \
    "$MARK" "$VERSION" "$PATCH" "$DIR" > "$CONFIG.tmp-$$" && mv "$CONFIG.tmp-$$" "$CONFIG"
}

if why=$(patched_source 2>&1); then
  say "builds in this checkout use burn-autodiff $VERSION with $(basename "$PATCH")"
else
  stock
  say "could not patch burn-autodiff ($why); the builds use the stock crate (parallel trials are slower)"
fi
