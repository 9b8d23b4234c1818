#!/usr/bin/env bash
# Installs, builds and runs every test (unit, store, HTTP, API cases, official
# clients, crash). Exits non-zero if any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --with-test-clients
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j 2 --timeout 600
