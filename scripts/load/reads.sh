#!/usr/bin/env bash
# Target 1 of the scale issue: the reads donors wait on (GET campaign, GET campaigns, the
# campaign page /campaigns/mentors in Russian) against
# GET /health of the same release binary in the same run, on SQLite and on PostgreSQL, with few
# pledges and with many (loaded by scripts/load/fixture.sh when it is there). Prints each rate
# and the ratio to /health (the target is >= 0.6). The page is measured as browsers ask for it
# (Accept-Encoding: gzip, which every browser sends) and plain (a client that takes no gzip).
#
#   scripts/load/reads.sh [seconds per run, default 10] [many pledges, default 1000000]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}
many=${2:-1000000}
port=18081
work=$(mktemp -d)
trap 'stop_server; stop_pg; rm -rf "$work"' EXIT
source scripts/load/lib.sh
server=""

need_wrk
release_binary

# Each route's rate: the mean of two runs of half the duration, the routes in one order and then
# in the reverse, so that each has on average the same place in the cell as /health. Measured in
# one pass, /health went first and the machine's drift over the next 40 s (its rate moved
# between 46 and 60 k/s from one cell to the next) fell on the routes alone.
measure() {
  local name=$1 url=$2 pledges=$3
  start_server "$url"
  local half=$(((duration + 1) / 2)) route rate header
  local -A path=([health]=/health [campaign]=/api/v1/campaigns/mentors [campaigns]=/api/v1/campaigns
    [page]="/campaigns/mentors?lang=ru" [plain]="/campaigns/mentors?lang=ru") sum=()
  for route in health campaign campaigns page plain plain page campaigns campaign health; do
    header=""
    if [ "$route" = page ]; then header="Accept-Encoding: gzip, deflate, br"; fi
    rate=$(duration=$half rps "${path[$route]}" "$header")
    sum[$route]=$(awk -v a="${sum[$route]:-0}" -v b="$rate" 'BEGIN {print a + b / 2}')
  done
  awk -v n="$name" -v p="$pledges" -v h="${sum[health]}" -v c="${sum[campaign]}" -v l="${sum[campaigns]}" \
    -v g="${sum[page]}" -v q="${sum[plain]}" 'BEGIN {
    printf "%-10s %8s pledges  /health %8.0f req/s  campaign %8.0f (%.2f)  campaigns %8.0f (%.2f)  page %8.0f (%.2f)  page plain %8.0f (%.2f)\n",
      n, p, h, c, c / h, l, l / h, g, g / h, q, q / h }'
  # Target 5: the server's peak resident memory over the run (< 60 MB).
  awk '/VmHWM/ {printf "           peak RSS %.1f MB\n", $2 / 1024}' "/proc/$server/status"
  stop_server
}

for backend in sqlite postgres; do
  if [ "$backend" = sqlite ]; then url="sqlite://$work/demeu.db"; else start_pg; url=$pg_url; fi
  # The first start applies the migrations the fixture loads into.
  measure "$backend" "$url" 0
  if [ -x scripts/load/fixture.sh ]; then
    scripts/load/fixture.sh "$url" "$many" >/dev/null
    measure "$backend" "$url" "$many"
  fi
  if [ "$backend" = postgres ]; then stop_pg; fi
done
