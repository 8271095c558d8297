#!/usr/bin/env bash
# A short PostgreSQL outage as the server sees it (issue 21, item 9): a release build serves a
# throwaway cluster (lib.sh's start_pg); one client reads a route that needs the database (the
# donor wall) back to back; the cluster is stopped (`pg_ctl stop -m immediate`, as a crash) for
# $down seconds and started again. Prints, for the requests made while it was down, how long
# each took to be answered 503 (the pool waited its whole timeout, 5 s, before), and how long
# after the database took connections again the first 200 came (r2d2's reconnect back-off
# made that about 2 s before).
#
#   scripts/load/outage.sh [seconds down, default 3]
#
# DEMEU_BIN=path/to/demeu measures another build (an older commit's, for a before-and-after).
# Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
down=${1:-3}
port=18095
pg_port=15447
work=$(mktemp -d)
server=""
source scripts/load/lib.sh
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; stop_pg; rm -rf "$work"' EXIT

release_binary
start_pg
start_server "$pg_url"

python3 - "$port" "$down" "$pg_bin" "$pg_dir" "$pg_port" <<'PY'
import subprocess, sys, threading, time, urllib.error, urllib.request

port, down, pg_bin, pg_dir, pg_port = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
url = f"http://127.0.0.1:{port}/api/v1/campaigns/mentors/pledges"
log = []  # (sent, answered, status)
stop = threading.Event()

def client():
    while not stop.is_set():
        sent = time.monotonic()
        try:
            status = urllib.request.urlopen(url, timeout=30).status
        except urllib.error.HTTPError as e:
            status = e.code
        except Exception:
            status = 0
        log.append((sent, time.monotonic(), status))
        time.sleep(0.02)

def pg_ctl(*args):
    subprocess.run(["runuser", "-u", "postgres", "--", f"{pg_bin}/pg_ctl", "-D", f"{pg_dir}/data", *args],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

thread = threading.Thread(target=client)
thread.start()
time.sleep(1.0)
stopped = time.monotonic()
pg_ctl("-m", "immediate", "stop")
time.sleep(down)
pg_ctl("-l", f"{pg_dir}/log", "-w", "-o",
       f"-p {pg_port} -k {pg_dir} -c listen_addresses=127.0.0.1 -c max_connections=100", "start")
back = time.monotonic()  # pg_ctl -w returns once the server takes connections
deadline = back + 30
while time.monotonic() < deadline and not any(s >= back and st == 200 for s, _, st in log):
    time.sleep(0.05)
time.sleep(0.5)
stop.set()
thread.join()

sent_down = [(a - s, st) for s, a, st in log if stopped <= s < back]
refused = sorted(t for t, st in sent_down if st == 503)
waited = sorted(t for t, st in sent_down if st != 503)
first_ok = min((a for s, a, st in log if a >= back and st == 200), default=None)
print(f"outage of {down:.1f} s: {len(sent_down)} requests sent while the database was down")
if refused:
    print(f"  {len(refused)} answered 503 in: median {refused[len(refused)//2]*1000:.0f} ms, max {refused[-1]*1000:.0f} ms")
if waited:
    print(f"  {len(waited)} answered otherwise (200 once it was back, or before it stopped), the longest after {waited[-1]*1000:.0f} ms")
if first_ok is None:
    print("  no 200 within 30 s of the database's return")
else:
    print(f"  first 200 after the database took connections again: {(first_ok - back)*1000:.0f} ms")
PY
