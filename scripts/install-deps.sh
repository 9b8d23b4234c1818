#!/usr/bin/env bash
# Installs what building and testing Parley needs, from Debian 12's packages
# (and the npm registry for the client-compatibility tests). Idempotent and
# quick when everything is already there. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost-dev libprotobuf-dev protobuf-compiler libabsl-dev
  libsqlite3-dev sqlite3 libssl-dev rapidjson-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  wrk libicu-dev iso-codes liblz4-dev libjemalloc-dev libstemmer-dev
  python3-fake-factory wamerican tzdata python3-requests libre2-dev
  libsndfile1-dev libsoxr-dev libcurl4-openssl-dev
  libpq-dev postgresql-15
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us pocketsphinx-testdata
  clang llvm
)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -d third_party/npm/node_modules ] && [ ! third_party/npm/package-lock.json -nt third_party/npm/node_modules ] || (cd third_party/npm && npm ci --no-audit --no-fund --loglevel=error)  # sentiment lexicons the build embeds

# The official client libraries used by tests/compat (versions pinned in its lock file),
# and the headless Chromium that tests/compat/ui.test.mjs drives with puppeteer-core.
if [ "${1:-}" = "--with-test-clients" ]; then
  if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
    echo "install-deps: installing chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  if [ ! -d tests/compat/node_modules ] || [ tests/compat/package-lock.json -nt tests/compat/node_modules ]; then
    (cd tests/compat && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
