#!/usr/bin/env bash
# Installs, builds and starts the server. Extra arguments go to `parley serve`;
# --listen, --data-dir and --bucket-dir given there replace the defaults below
# (127.0.0.1:8080, var/data, var/buckets), e.g.
#   bash scripts/serve.sh --listen 0.0.0.0:9000 --threads 4
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh parley

# Whether the extra arguments set option $1 (as `$1 VALUE` or `$1=VALUE`).
given() {
  local arg
  for arg in "${extra[@]}"; do
    [[ "$arg" == "$1" || "$arg" == "$1="* ]] && return 0
  done
  return 1
}
extra=("$@")
defaults=()
given --listen || defaults+=(--listen 127.0.0.1:8080)
given --data-dir || { mkdir -p var/data; defaults+=(--data-dir var/data); }
given --bucket-dir || { mkdir -p var/buckets; defaults+=(--bucket-dir var/buckets); }
exec build/parley serve "${defaults[@]}" "${extra[@]}"
