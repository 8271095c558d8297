#!/usr/bin/env bash
# Issue 23's figures for a 24-megapixel phone photo (6000 x 4000 JPEG):
#  1. the pipeline alone: the time from the upload's bytes to its variants, and the peak memory
#     of the process doing it (the bench makes the JPEG in the same process first: an upper
#     bound);
#  2. the server: the photo uploaded to a running release build (SQLite, as the README serves),
#     the upload's time from outside, and the server's peak memory (VmHWM) before and after.
# Release build.
#
#   scripts/pictures.sh [megapixels, default 24]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/load/lib.sh
mp=${1:-24}
cargo bench -p demeu-api --bench picture_variants --no-run --quiet 2>/dev/null
bench=$(ls -t target/release/deps/picture_variants-* | grep -v '\.d$' | head -1)
/usr/bin/time -v "$bench" "$mp" 2>"${TMPDIR:-/tmp}/pictures.time"
grep -E "Maximum resident set size" "${TMPDIR:-/tmp}/pictures.time" \
  | awk '{printf "the bench process in all (making the photo too): %.0f MB\n", $6 / 1024}'

release_binary
work=$(mktemp -d)
port=${port:-18093}
trap 'stop_server; rm -rf "$work"' EXIT
"$bench" "$mp" --write "$work/photo.jpg"
db="sqlite://$work/demeu.db"
echo "a long enough password" | DEMEU__DATABASE__URL="$db" "$bin" staff add --email pictures@dara.kz --role editor >/dev/null
start_server "$db" ${PICTURES_ENV:-}
token=$(curl -sf -X POST -H 'content-type: application/json' \
  -d '{"email":"pictures@dara.kz","password":"a long enough password"}' \
  "http://127.0.0.1:$port/api/v1/staff/sessions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
hwm() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$server/status"; }
# The server's peak from here on only: writing 5 to clear_refs resets VmHWM to what is resident.
echo 5 > "/proc/$server/clear_refs" 2>/dev/null || true
before=$(hwm)
took=$(curl -s -o "$work/answer.json" -w '%{http_code} %{time_total}' -H "authorization: Bearer $token" \
  -F role=cover -F "alt_ru=Фото" -F "file=@$work/photo.jpg;type=image/jpeg" \
  "http://127.0.0.1:$port/api/v1/staff/campaigns/mentors/images")
after=$(hwm)
echo "server: upload of $(($(stat -c %s "$work/photo.jpg") / 1024)) KB answered $took s; resident ${before} MB before, peak ${after} MB during the upload"
