#!/usr/bin/env bash
# Installs, builds and runs every test (unit, store, HTTP, API cases, official
# clients, crash) and a short fuzzing run of every parser of outside input
# (tests/fuzz, its own clang build in build-fuzz/). Exits non-zero if any test
# fails or the fuzzers find a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --with-test-clients
bash scripts/build.sh
# Not a CTest test: build-fuzz is a second, sanitized clang build of most of
# the code, too slow to build inside ctest (docs/RELIABILITY.md, "Fuzzing").
# It runs first so that CTest's summary is the last thing printed.
bash tests/fuzz/run.sh 5
ctest --test-dir build --output-on-failure -j 2 --timeout 600
