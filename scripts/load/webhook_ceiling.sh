#!/usr/bin/env bash
# Target 3 of the scale issue: verified webhook deliveries per second on PostgreSQL against
# the durable-commit ceiling of the same cluster in the same run: pgbench, one INSERT per
# transaction, the same 16 clients, synchronous_commit on (the default). Prints both and the
# ratio (the target is >= 0.5).
#
#   scripts/load/webhook_ceiling.sh [seconds, default 15] [pledges, default 4000]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-15}
pledges=${2:-4000}
port=18082
secret=whsec_load_test
work=$(mktemp -d)
trap 'stop_server; stop_pg; rm -rf "$work"' EXIT
source scripts/load/lib.sh
server=""

need_wrk
release_binary
# pg_stat_statements counts the statements (each one round trip) a delivery takes; it costs
# pgbench's statement and ours alike.
pg_options="-c shared_preload_libraries=pg_stat_statements"
start_pg
psql() { command psql -h 127.0.0.1 -p $pg_port -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

# The ceiling: what this cluster commits durably, one row per transaction.
psql demeu -c "CREATE TABLE ceiling (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL, at TIMESTAMP NOT NULL DEFAULT now())"
echo "INSERT INTO ceiling (body) VALUES (repeat('x', 600));" >"$work/insert.sql"
ceiling=$("$pg_bin/pgbench" -h 127.0.0.1 -p $pg_port -U postgres -n -c 16 -j 2 -T "$duration" -f "$work/insert.sql" demeu \
  | awk '/^tps/ {print $3; exit}')
psql demeu -c "DROP TABLE ceiling"

start_server "$pg_url" DEMEU__PAYMENTS__SANDBOX__WEBHOOK_SECRET=$secret
python3 scripts/load/prepare.py "http://127.0.0.1:$port" "$secret" "$pledges" "$work/deliveries.txt" >/dev/null
# Where the CPU goes during the deliveries: the server, and PostgreSQL's processes (on a 2-core
# machine the three of them, wrk included, share it).
psql demeu -c "CREATE EXTENSION pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null
psql demeu -c "SELECT pg_stat_reset()" >/dev/null
server_cpu=$(cpu_seconds "$server")
pg_cpu=$(cpu_seconds $(pgrep -u postgres postgres))
DELIVERIES="$work/deliveries.txt" wrk -t2 -c16 -d"$((duration * 4))s" -s scripts/load/webhooks.lua \
  "http://127.0.0.1:$port/api/v1/webhooks/stripe" >/dev/null
server_cpu=$(awk -v a="$server_cpu" -v b="$(cpu_seconds "$server")" 'BEGIN {print b - a}')
pg_cpu=$(awk -v a="$pg_cpu" -v b="$(cpu_seconds $(pgrep -u postgres postgres))" 'BEGIN {print b - a}')
delivered=$(psql demeu -c "SELECT count(*) FROM webhook_events")
# What a delivery costs the database: statements (BEGIN and COMMIT included; diesel sends each
# in one round trip) and row versions written, per table. (The table statistics are sent by
# the backends at the end of their transactions: a moment's wait lets the last ones in.)
sleep 1
psql demeu -c "SELECT sum(calls) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%'" \
  | awk -v n="$delivered" '{printf "statements per delivery: %.1f\n", $1 / n}'
psql demeu -F' ' -c "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
                     WHERE n_tup_ins + n_tup_upd > 0 ORDER BY relname" \
  | awk -v n="$delivered" '{printf "  %-16s per delivery: %.2f inserted, %.2f updated (%.2f of them in place, no index entries)\n", $1, $2 / n, $3 / n, $4 / n}'
echo "top statements (calls per delivery, mean ms):"
psql demeu -F' ' -c "SELECT calls, round(mean_exec_time::numeric, 3), left(regexp_replace(query, '\s+', ' ', 'g'), 90)
                     FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%' ORDER BY total_exec_time DESC LIMIT 12" \
  | awk -v n="$delivered" '{c = $1; m = $2; $1 = ""; $2 = ""; printf "  %5.2f  %6s ms %s\n", c / n, m, $0}' 
rate=$(python3 scripts/load/inbox_rate.py "$pg_url" | awk '{print $(NF-2)}')
awk -v n="$delivered" -v s="$server_cpu" -v p="$pg_cpu" 'BEGIN {
  printf "CPU per delivery: server %.0f us, PostgreSQL %.0f us\n", s / n * 1e6, p / n * 1e6 }'
stop_server
DEMEU__DATABASE__URL=$pg_url "$bin" reconcile | tail -1
awk -v c="$ceiling" -v r="$rate" 'BEGIN {
  printf "pgbench ceiling %.0f commits/s; webhooks %.0f deliveries/s; ratio %.2f\n", c, r, r / c }'
