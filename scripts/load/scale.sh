#!/usr/bin/env bash
# Flat as pledges grow (issue 10, targets 2 and 5): on a release build, for SQLite and then
# PostgreSQL (a throwaway cluster: lib.sh's start_pg), loads 10 and then 10⁶ pledges with
# scripts/load/fixture.sh, serves each database and measures the donor wall (first and middle
# page), the staff list (first and middle page, each filter, searches) and the CSV export's first
# byte, each the median of 31 requests (scale_probe.py); then the whole CSV with the server's
# resident memory, and `demeu reconcile`. Prints each figure at 10 and at 10⁶ pledges and their
# ratio (target ≤ 1.5), and the server's peak RSS (target < 60 MB).
#
#   scripts/load/scale.sh [pledges, default 1000000]
#
# Pages are of 10 pledges, so that both databases answer with the same rows. Needs python3, curl
# and, for PostgreSQL, the installed binaries and psql. Everything runs on 127.0.0.1 and stops by
# itself; the databases live in a temporary directory (about 2 GB at 10⁶ pledges).
set -euo pipefail
cd "$(dirname "$0")/../.."
big=${1:-1000000}
small=10
port=18090
pg_port=15442
work=$(mktemp -d)
server=""
source scripts/load/lib.sh
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; stop_pg; rm -rf "$work"' EXIT

release_binary
password="scale measuring password"
export RUST_LOG=warn

# seconds <command...>: runs the command quietly and prints how long it took.
seconds() {
  local start=$(date +%s%N)
  "$@" >"$work/last.out" 2>&1 || { cat "$work/last.out" >&2; return 1; }
  echo $((($(date +%s%N) - start) / 1000000))
}

# measure <backend> <url> <pledges>: loads, serves, probes; writes $work/<backend>-<pledges>.json.
measure() {
  local name=$1 url=$2 n=$3
  export DEMEU__DATABASE__URL=$url
  "$bin" migrate >/dev/null
  local load_ms
  load_ms=$(seconds scripts/load/fixture.sh "$url" "$n")
  echo "$password" | "$bin" staff add --email scale@dara.kz --role accountant >/dev/null
  DEMEU__SERVER__PORT=$port DEMEU__DATABASE__POOL_SIZE=8 "$bin" serve >"$work/$name-$n.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
  local token
  token=$(curl -sf -H 'content-type: application/json' \
    -d "{\"email\":\"scale@dara.kz\",\"password\":\"$password\"}" "http://127.0.0.1:$port/api/v1/staff/sessions" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  python3 scripts/load/scale_probe.py "$port" "$token" "$n" "$server" "$work/$name-$n.json"
  kill "$server"; wait "$server" 2>/dev/null || true
  server=""
  local reconcile_ms
  reconcile_ms=$(seconds "$bin" reconcile)
  python3 - "$work/$name-$n.json" "$load_ms" "$reconcile_ms" "$(tail -1 "$work/last.out")" <<'EOF'
import json, sys
path, load_ms, reconcile_ms, line = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
r = json.load(open(path))
r.update(load_seconds=load_ms / 1000, reconcile_seconds=reconcile_ms / 1000, reconcile=line)
json.dump(r, open(path, "w"))
EOF
  unset DEMEU__DATABASE__URL
}

report() {
  python3 - "$1" "$work/$1-$small.json" "$work/$1-$big.json" <<'EOF'
import json, sys
name, small, big = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
a, b = small["pledges"], big["pledges"]
print(f"== {name}")
print(f"{'':34} {f'{a} pledges':>14} {f'{b} pledges':>16} {'ratio':>7}")
for what, x in small["ms"].items():
    y = big["ms"][what]
    flag = "" if y / x <= 1.5 else "  > 1.5"
    print(f"{what:34} {x:11.2f} ms {y:13.2f} ms {y / x:7.2f}{flag}")
mb = lambda kb: kb / 1024
print(f"{'whole CSV: rows, MB, seconds':34} {small['csv_rows']:>8}, {small['csv_bytes'] / 2**20:.2f}, {small['csv_seconds']:.2f}"
      f"   {big['csv_rows']}, {big['csv_bytes'] / 2**20:.0f}, {big['csv_seconds']:.1f}")
print(f"{'server RSS during the CSV (max)':34} {mb(small['csv_rss_kb']):11.1f} MB {mb(big['csv_rss_kb']):13.1f} MB")
print(f"{'server peak RSS (VmHWM), whole run':34} {mb(small['vm_hwm_kb']):11.1f} MB {mb(big['vm_hwm_kb']):13.1f} MB")
print(f"{'demeu reconcile':34} {small['reconcile_seconds']:11.2f} s  {big['reconcile_seconds']:13.2f} s   ({big['reconcile']})")
print(f"{'fixture load':34} {small['load_seconds']:11.2f} s  {big['load_seconds']:13.2f} s")
EOF
}

measure sqlite "sqlite://$work/small.db" "$small"
measure sqlite "sqlite://$work/big.db" "$big"
report sqlite
rm -f "$work"/*.db*
start_pg
runuser -u postgres -- "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" small
runuser -u postgres -- "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" big
measure postgres "postgres://postgres@127.0.0.1:$pg_port/small" "$small"
measure postgres "postgres://postgres@127.0.0.1:$pg_port/big" "$big"
report postgres
