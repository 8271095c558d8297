# Sourced by the load scripts. The binary to measure: a release build of this tree, or
# DEMEU_BIN=path/to/demeu (e.g. an older commit's build, for a before-and-after in one run).
release_binary() {
  if [ -z "${DEMEU_BIN:-}" ]; then cargo build --release --quiet; fi
  bin=${DEMEU_BIN:-${CARGO_TARGET_DIR:-target}/release/demeu}
}

# The load generator of the scripts that measure requests per second.
need_wrk() {
  command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
}

# A throwaway PostgreSQL cluster (the newest installed), run as the
# postgres user (initdb refuses root), on 127.0.0.1:$pg_port (15432 unless the caller set it),
# with its socket and data under "$work" (which the caller makes and removes), and a database
# named demeu. Durability is PostgreSQL's default (fsync on, synchronous_commit on; initdb's
# --no-sync only skips flushing the new cluster's files once). Extra server options in
# $pg_options.
pg_dir=""
pg_options=""
pg_port=${pg_port:-15432}
stop_pg() {
  if [ -n "$pg_dir" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    pg_dir=""
  fi
}
start_pg() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pg_dir="$work/pg"
  chmod 755 "$work"
  mkdir -p "$pg_dir" && chown postgres:postgres "$pg_dir"
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 --no-sync >/dev/null
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=100 $pg_options" start >/dev/null
  runuser -u postgres -- "$pg_bin/createdb" -h 127.0.0.1 -p $pg_port demeu
  pg_url="postgres://postgres@127.0.0.1:$pg_port/demeu"
}
# Starts `demeu serve` on port $port with the database $1 and extra environment in "${@:2}";
# sets $server to its pid once /ready answers.
start_server() {
  local url=$1
  shift
  env DEMEU__DATABASE__URL="$url" DEMEU__SERVER__PORT=$port DEMEU__LIMITS__PLEDGES_PER_HOUR=1000000 \
    DEMEU__DATABASE__POOL_SIZE=8 RUST_LOG=warn "$@" "$bin" serve >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && return 0; sleep 0.2; done
  echo "the server did not become ready:" >&2
  cat "$work/server.log" >&2
  return 1
}
stop_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
# Requests per second wrk reaches on $1 (32 connections, $duration seconds), with the request
# header $2 when given (e.g. "Accept-Encoding: gzip, deflate, br", as browsers send).
rps() {
  wrk -t2 -c32 -d"${duration}s" ${2:+-H "$2"} "http://127.0.0.1:$port$1" | awk '/Requests\/sec/ {print $2}'
}

# CPU seconds (user + system) that processes have used so far: `cpu_seconds PID...`.
cpu_seconds() {
  local ticks=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}'
}
