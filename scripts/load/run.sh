#!/usr/bin/env bash
# Load figures for the note: webhook deliveries per second (signature verified, inbox, ledger),
# GET campaign and GET /health requests per second, on SQLite and on PostgreSQL, against a
# release build on loopback. Needs wrk (Debian: apt-get install wrk) and python3.
#
#   scripts/load/run.sh [seconds per run, default 20] [pledges, default 3000]
#
# Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-20}
pledges=${2:-3000}
port=18080
secret=whsec_load_test
work=$(mktemp -d)
trap 'stop_server; stop_pg; rm -rf "$work"' EXIT
source scripts/load/lib.sh
server=""

need_wrk
release_binary

run_backend() {
  local name=$1 url=$2
  start_server "$url" DEMEU__PAYMENTS__SANDBOX__WEBHOOK_SECRET=$secret
  python3 scripts/load/prepare.py "http://127.0.0.1:$port" "$secret" "$pledges" "$work/deliveries.txt"
  local distinct=$((pledges * 2))
  echo "== $name"
  for target in "/health" "/api/v1/campaigns/mentors"; do
    printf '%-28s ' "GET $target"
    wrk -t2 -c32 -d"${duration}s" "http://127.0.0.1:$port$target" | awk '/Requests\/sec/ {print $2 " req/s"}'
  done
  printf '%-28s ' "POST webhooks, $distinct distinct"
  DELIVERIES="$work/deliveries.txt" wrk -t2 -c16 -d"${duration}s" -s scripts/load/webhooks.lua \
    "http://127.0.0.1:$port/api/v1/webhooks/stripe" | awk '/requests in/ {n=$1} /Non-2xx/ {e=$NF} END {print n " sent" (e ? ", non-2xx: " e : "")}'
  python3 scripts/load/inbox_rate.py "$url"
  curl -s "http://127.0.0.1:$port/api/v1/campaigns/mentors" | python3 -c 'import json,sys; c=json.load(sys.stdin); print("raised", c["raised"], "pledges", c["pledges"])'
  DEMEU__DATABASE__URL=$url "$bin" reconcile | tail -1
  stop_server
}

run_backend sqlite "sqlite://$work/demeu.db"
start_pg
run_backend postgres "$pg_url"
