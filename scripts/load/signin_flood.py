#!/usr/bin/env python3
"""A sign-in flood against a running Demeu, as issue 8 measured it: RSS of the server and the
latency of GET /api/v1/campaigns/mentors, first idle, then during `seconds` of `workers`
concurrent sign-ins with unknown addresses. Prints one line per phase and the ratio.

Usage: signin_flood.py BASE_URL SERVER_PID [seconds=30] [workers=24]
(scripts/load/signin_flood.sh builds a release binary, starts it and runs this.)
Loopback only; every loop is bounded by the duration and stops by itself.
"""
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
import uuid

base, pid = sys.argv[1], int(sys.argv[2])
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 30.0
workers = int(sys.argv[4]) if len(sys.argv) > 4 else 24
url = urllib.parse.urlparse(base)
assert url.hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"


def rss_mb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def get_latencies(duration, out):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    end = time.monotonic() + duration
    while time.monotonic() < end:
        t0 = time.perf_counter()
        conn.request("GET", "/api/v1/campaigns/mentors")
        res = conn.getresponse()
        res.read()
        out.append(((time.perf_counter() - t0) * 1000, res.status))
        time.sleep(0.02)


def flood(end, counts):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    while time.monotonic() < end:
        body = json.dumps({"email": f"nobody-{uuid.uuid4().hex}@example.org", "password": "a wrong password"})
        try:
            conn.request("POST", "/api/v1/staff/sessions", body, {"Content-Type": "application/json"})
            res = conn.getresponse()
            res.read()
            counts[res.status] = counts.get(res.status, 0) + 1
        except (OSError, http.client.HTTPException):
            counts["error"] = counts.get("error", 0) + 1
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def sample_rss(end, peaks):
    while time.monotonic() < end:
        peaks.append(rss_mb())
        time.sleep(0.25)


idle = []
rss_idle = rss_mb()
get_latencies(5, idle)
idle_p50 = statistics.median(l for l, _ in idle)
print(f"idle: RSS {rss_idle:.0f} MB, GET campaign p50 {idle_p50:.2f} ms over {len(idle)} requests")

end = time.monotonic() + seconds
counts, peaks, during = {}, [], []
threads = [threading.Thread(target=flood, args=(end, counts)) for _ in range(workers)]
threads.append(threading.Thread(target=sample_rss, args=(end, peaks)))
threads.append(threading.Thread(target=get_latencies, args=(seconds, during)))
for t in threads:
    t.start()
for t in threads:
    t.join()
flood_p50 = statistics.median(l for l, _ in during)
failed = sum(1 for _, s in during if s != 200)
print(
    f"flood ({workers} workers, {seconds:.0f} s): RSS peak {max(peaks):.0f} MB, GET campaign p50 {flood_p50:.2f} ms "
    f"over {len(during)} requests ({failed} not 200); sign-in answers {dict(sorted(counts.items(), key=str))}"
)
print(f"ratio: GET campaign p50 during/idle = {flood_p50 / idle_p50:.2f} (target <= 2); RSS peak {max(peaks):.0f} MB (target < 100)")
