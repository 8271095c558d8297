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
# The throwaway PostgreSQL cluster runs as the postgres user, which must reach into it.
chmod 755 "$work"
trap 'kill $(jobs -p) 2>/dev/null || true; stop_pg; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/demeu

pg_dir=""
stop_pg() {
  if [ -n "$pg_dir" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
}
start_pg() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pg_dir="$work/pg"
  mkdir -p "$pg_dir" && chown postgres:postgres "$pg_dir"
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres --no-sync >/dev/null
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p 15432 -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
  runuser -u postgres -- "$pg_bin/createdb" -h 127.0.0.1 -p 15432 demeu
}

run_backend() {
  local name=$1 url=$2
  DEMEU__DATABASE__URL=$url DEMEU__SERVER__PORT=$port DEMEU__PAYMENTS__SANDBOX__WEBHOOK_SECRET=$secret \
    DEMEU__LIMITS__PLEDGES_PER_HOUR=1000000 \
    DEMEU__DATABASE__POOL_SIZE=8 RUST_LOG=warn "$bin" serve >"$work/$name.log" 2>&1 &
  local server=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
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
  kill "$server"; wait "$server" 2>/dev/null || true
}

run_backend sqlite "sqlite://$work/demeu.db"
start_pg
run_backend postgres "postgres://postgres@127.0.0.1:15432/demeu"
