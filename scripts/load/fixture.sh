#!/usr/bin/env bash
# Loads N consistent paid pledges into a Demeu database of either backend: one pledges row, one
# `payment` ledger row and one webhook_events row each, then the running totals set from the
# sums, so that `demeu reconcile` is clean. Rows are made by SQL on the database itself
# (scripts/load/fixture/*.sql), in transactions of 100 000 pledges.
#
#   scripts/load/fixture.sh <database-url> [n, default 1000000]
#
# The database must hold the schema and the campaign (`demeu migrate` does both);
# FIXTURE_CAMPAIGN names the campaign (default mentors). Run again, it adds N more after those
# it made before. Needs psql for PostgreSQL; for SQLite the sqlite3 CLI, or python3 without it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
url=${1:?usage: fixture.sh <database-url> [n]}
n=${2:-1000000}
campaign=${FIXTURE_CAMPAIGN:-mentors}
batch=100000

case "$url" in
  postgres://* | postgresql://*) backend=postgres ;;
  sqlite://*) backend=sqlite; db=${url#sqlite://} ;;
  *) echo "fixture.sh: not a postgres:// or sqlite:// URL: $url" >&2; exit 2 ;;
esac

# Runs SQL from standard input; with an argument, prints the one value a query returns.
sql() {
  if [ "$backend" = postgres ]; then
    psql "$url" -X -q -v ON_ERROR_STOP=1 ${1:+-At}
  elif command -v sqlite3 >/dev/null; then
    # A large page cache for the load (256 MiB); the busy timeout waits for a running server.
    { echo ".timeout 5000"; echo "PRAGMA cache_size = -262144;"; cat; } | sqlite3 -bail "$db"
  else
    python3 -c '
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA cache_size = -262144")
conn.execute("PRAGMA busy_timeout = 5000")
script = sys.stdin.read()
if sys.argv[2]:
    print(conn.execute(script).fetchone()[0])
else:
    conn.executescript(script)
' "$db" "${1:-}"
  fi
}

found=$(echo "SELECT COUNT(*) FROM campaigns WHERE slug = '$campaign';" | sql value)
if [ "$found" != 1 ]; then
  echo "fixture.sh: no campaign '$campaign' in $url: run \`demeu migrate\` on it first" >&2
  exit 1
fi
# Numbers go on after the fixture's own pledges already there ('pi_fixture_' is 11 characters).
last=$(echo "SELECT COALESCE(MAX(CAST(substr(provider_payment_id, 12) AS BIGINT)), 0) FROM pledges
             WHERE provider_payment_id LIKE 'pi_fixture_%';" | sql value)

start=$(date +%s%N)
first=$((last + 1))
end=$((last + n))
while [ "$first" -le "$end" ]; do
  to=$((first + batch - 1))
  [ "$to" -gt "$end" ] && to=$end
  sed -e "s/{first}/$first/g" -e "s/{last}/$to/g" -e "s/{campaign}/$campaign/g" "$here/fixture/$backend.sql" | sql
  first=$((to + 1))
done
sql <"$here/fixture/totals.sql"
if [ "$backend" = postgres ]; then
  # PostgreSQL plans from statistics, which autovacuum would gather only some time later.
  echo "VACUUM ANALYZE pledges; VACUUM ANALYZE ledger_entries; VACUUM ANALYZE webhook_events;" | sql
fi
ms=$((($(date +%s%N) - start) / 1000000))
echo "fixture: $n pledges loaded into $backend in $((ms / 1000)).$((ms % 1000 / 100)) s"
