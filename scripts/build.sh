#!/usr/bin/env bash
# Configures and builds Parley into build/ (Ninja + ccache). Extra arguments are
# ninja targets (default: everything).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C build -j "$jobs" "$@"
