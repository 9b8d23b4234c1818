#!/usr/bin/env bash
# Configures and builds Parley into build/ (Ninja + ccache). Extra arguments are
# ninja targets (default: everything).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
# Paths relative to the checkout, so every clone shares one compiler cache.
export CCACHE_BASEDIR="$PWD"
# With -g ccache would also hash the working directory; debug paths may then
# name another checkout, which is harmless.
export CCACHE_NOHASHDIR=1
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C build -j "$jobs" "$@"
