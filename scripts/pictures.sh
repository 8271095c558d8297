#!/usr/bin/env bash
# Issue 23's figure: the time from a 24-megapixel phone photo to its variants, and the peak
# memory of the process doing it (the bench builds the JPEG first; its peak is included, so
# the figure is an upper bound). Release build.
#
#   scripts/pictures.sh [megapixels, default 24]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p demeu-api --bench picture_variants --no-run --quiet 2>/dev/null
bench=$(ls -t target/release/deps/picture_variants-* | grep -v '\.d$' | head -1)
/usr/bin/time -v "$bench" "${1:-24}" 2>"${TMPDIR:-/tmp}/pictures.time"
grep -E "Maximum resident set size" "${TMPDIR:-/tmp}/pictures.time" | awk '{printf "peak memory: %.0f MB\n", $6 / 1024}'
