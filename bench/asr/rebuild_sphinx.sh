#!/usr/bin/env bash
# Rebuilds Debian 12's sphinxbase and pocketsphinx (0.8+5prealpha+1, Debian's
# patches applied) from Debian's own source packages with other compiler flags,
# to measure them against the binary packages side by side without relinking
# Parley (docs/quality/speech.md, "Fifth round"):
#
#   bash bench/asr/rebuild_sphinx.sh NAME "CFLAGS" ["LDFLAGS"]
#   LD_LIBRARY_PATH=build/sphinx/NAME/lib python3 bench/asr/asr_quality.py --parley old-bin/parley ...
#
# e.g. NAME=o3v3 CFLAGS="-O3 -march=x86-64-v3 -ffp-contract=off". The source
# comes from deb.debian.org through apt (`apt-get source`), which needs a
# deb-src entry (as root: an /etc/apt/sources.list.d/debian-src.sources with
# "Types: deb-src", the same URIs/Suites/Components as debian.sources, then
# `apt-get update`) and `bison`. Everything is written under build/sphinx/.
# A measuring tool only: Parley builds against Debian's binary libraries.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:?name}
cflags=${2:?CFLAGS}
ldflags=${3:-}
top=$PWD/build/sphinx
src=$top/src
mkdir -p "$src"
if [ ! -d "$src/pocketsphinx-0.8+5prealpha+1" ] || [ ! -d "$src/sphinxbase-0.8+5prealpha+1" ]; then
  command -v bison >/dev/null || { echo "rebuild_sphinx: needs bison (apt-get install bison)" >&2; exit 1; }
  (cd "$src" && apt-get source -qq sphinxbase pocketsphinx) || {
    echo "rebuild_sphinx: apt-get source failed: add a deb-src entry for deb.debian.org bookworm and run apt-get update" >&2
    exit 1
  }
  # The patches touch configure.ac/Makefile.am only for the Python and
  # cross-compiling parts; keep the shipped configure and Makefile.in rather
  # than regenerating them (which needs automake 1.13).
  for d in "$src"/sphinxbase-0.8+5prealpha+1 "$src"/pocketsphinx-0.8+5prealpha+1; do
    (cd "$d" && touch aclocal.m4 && sleep 1 && touch configure &&
      find . -name Makefile.in -exec touch {} + && find . -name config.h.in -exec touch {} +)
  done
fi
prefix=$top/$name
for pkg in sphinxbase pocketsphinx; do
  b=$top/build-$name-$pkg
  rm -rf "$b"
  mkdir -p "$b"
  (cd "$b" &&
    PKG_CONFIG_PATH=$prefix/lib/pkgconfig CFLAGS="-g $cflags -fstack-protector-strong" \
      CPPFLAGS="-D_FORTIFY_SOURCE=2" LDFLAGS="-Wl,-z,relro -Wl,-z,now $ldflags" \
      "$src/$pkg-0.8+5prealpha+1/configure" --prefix="$prefix" --without-python --disable-static >/dev/null &&
    nice -n 10 make -j"$(nproc)" -s >/dev/null 2>&1 && make -s install >/dev/null)
done
echo "LD_LIBRARY_PATH=$prefix/lib"
