#!/usr/bin/env bash
# The campaign page's weight on a first visit, everything included (the page, its style sheet,
# script and QR code image), plain and gzip-compressed, in each language; and the page alone as
# Demeu sends it to a browser (gzip: it keeps the page compressed; the static files are left to
# a proxy in front).
#
#   scripts/load/page_weight.sh [base URL, default: a fresh release server on SQLite]
set -euo pipefail
cd "$(dirname "$0")/../.."
port=18083
work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT
source scripts/load/lib.sh
server=""
base=${1:-}
if [ -z "$base" ]; then
  release_binary
  start_server "sqlite://$work/demeu.db"
  base="http://127.0.0.1:$port"
fi
for lang in kk ru en; do
  curl -s "$base/campaigns/mentors?lang=$lang" >"$work/page.html"
  total=$(wc -c <"$work/page.html")
  gz=$(gzip -9c "$work/page.html" | wc -c)
  sent=$(curl -s -H 'Accept-Encoding: gzip, deflate, br' "$base/campaigns/mentors?lang=$lang" | wc -c)
  for asset in $(grep -o '/static/[^"]*\|/campaigns/[^"]*/qr.svg' "$work/page.html"); do
    curl -s "$base$asset" >"$work/asset"
    total=$((total + $(wc -c <"$work/asset")))
    gz=$((gz + $(gzip -9c "$work/asset" | wc -c)))
  done
  echo "$lang: $total bytes in all, $gz gzip-compressed (budget 61440); the page as sent to a browser: $sent bytes"
done
