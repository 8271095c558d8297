#!/usr/bin/env bash
# SQLite's disk all but full (issue 21, item 8): a release build serves a database on a small
# filesystem of its own (a 16 MB tmpfs: run as root); 20 pledges are made, the disk is filled
# but for $left KiB, and sandbox payments are delivered one after another until one is refused.
# Prints how many counted, what the refused one answered, and what /ready says then: ready
# must mean that a payment's write would succeed, so that a load balancer stops sending them.
# Then the disk is emptied and /ready and the refused payment are tried again.
#
#   scripts/load/full_disk.sh [KiB left, default 16]
#
# DEMEU_BIN=path/to/demeu measures another build (an older commit's, for a before-and-after).
set -euo pipefail
cd "$(dirname "$0")/../.."
left=${1:-16}
port=18096
work=$(mktemp -d)
server=""
source scripts/load/lib.sh
disk="$work/disk"
mkdir -p "$disk"
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; umount -l "$disk" 2>/dev/null; rm -rf "$work"' EXIT
mount -t tmpfs -o size=16m tmpfs "$disk" || { echo "mounting a tmpfs needs root" >&2; exit 1; }

release_binary
start_server "sqlite://$disk/demeu.db" DEMEU__MAIL__FILE_DIR="$work/mail"

python3 - "$port" "$disk" "$left" <<'PY'
import json, os, sys, urllib.error, urllib.request

port, disk, left = sys.argv[1], sys.argv[2], int(sys.argv[3]) * 1024
base = f"http://127.0.0.1:{port}"

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None

opener = urllib.request.build_opener(NoRedirect)

def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        res = opener.open(req, timeout=30)
        return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

checkouts = []
for _ in range(20):
    status, body = call("POST", "/api/v1/campaigns/mentors/pledges", {"amount": 500000})
    assert status == 201, (status, body)
    url = json.loads(body)["checkout_url"]
    checkouts.append(url[url.index("/sandbox/"):])
print("ready before the disk fills:", call("GET", "/ready")[0])

filler = os.path.join(disk, "filler")
fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
written = 0
while True:
    try:
        n = os.write(fd, b"\0" * 65536)
    except OSError:
        break
    if n == 0:
        break
    written += n
os.close(fd)
os.truncate(filler, max(written - left, 0))
print(f"disk filled but for {left // 1024} KiB")

counted, refused = 0, None
for checkout in checkouts:
    status, _ = call("POST", checkout + "/pay")
    if status == 303:
        counted += 1
        continue
    refused = (checkout, status)
    break
if refused is None:
    print(f"all {counted} payments counted: the disk did not fill")
    sys.exit(0)
print(f"{counted} payments counted, then one answered {refused[1]}")
print("ready while payments are refused:", call("GET", "/ready")[0], "(503 is right)")
os.remove(filler)
print("after the disk is emptied: ready", call("GET", "/ready")[0],
      "and the refused payment again:", call("POST", refused[0] + "/pay")[0])
PY
