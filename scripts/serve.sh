#!/usr/bin/env bash
# Installs, builds and starts the server on 127.0.0.1:8080 with its data in
# var/data. Extra arguments go to `parley serve` (e.g. --listen 0.0.0.0:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh parley
mkdir -p var/data var/buckets
exec build/parley serve --listen 127.0.0.1:8080 --data-dir var/data --bucket-dir var/buckets "$@"
