#!/usr/bin/env bash
# Two release binaries on the same routes, taken in turns, to see what a build setting or a
# change costs in speed (e.g. the release profile's `lto`). Each round starts both on the same
# SQLite file and measures each route for $duration seconds, A first in odd rounds and B first
# in even ones: whichever went first measured up to 15 % faster here, so with an even number of
# rounds the order cancels out, and the machine's drift is spread over both. Prints req/s per
# binary per round and B/A per route over all rounds.
# The donor wall is the one route here that reads SQLite on every request (the others are served
# from the campaign's snapshot): with AB_PLEDGES=n, the file holds n paid pledges
# (scripts/load/fixture.sh) for it to read.
#
#   [AB_PLEDGES=n] scripts/load/ab.sh A-binary B-binary [rounds, default 4] [seconds, default 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
a=$1
b=$2
rounds=${3:-4}
duration=${4:-5}
port=18083
work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT
source scripts/load/lib.sh
server=""
need_wrk
routes=(/health /api/v1/campaigns/mentors /api/v1/campaigns "/campaigns/mentors?lang=ru"
  "/api/v1/campaigns/mentors/pledges?limit=50")

DEMEU__DATABASE__URL="sqlite://$work/template.db" "$a" migrate >/dev/null
if [ "${AB_PLEDGES:-0}" -gt 0 ]; then
  scripts/load/fixture.sh "sqlite://$work/template.db" "$AB_PLEDGES" >/dev/null
fi

: >"$work/results"
for round in $(seq "$rounds"); do
  order="A B"
  if [ $((round % 2)) -eq 0 ]; then order="B A"; fi
  for which in $order; do
    if [ $which = A ]; then bin=$a; else bin=$b; fi
    cp "$work/template.db" "$work/demeu.db"
    start_server "sqlite://$work/demeu.db"
    for route in "${routes[@]}"; do
      echo "$which $route $(rps "$route" "Accept-Encoding: gzip")" | tee -a "$work/results"
    done
    stop_server
  done
done
awk '{sum[$1 " " $2] += $3; routes[$2] = 1}
  END {for (r in routes) printf "%-32s A %8.0f  B %8.0f  B/A %.3f\n", r, sum["A " r], sum["B " r], sum["B " r] / sum["A " r]}' \
  "$work/results"
