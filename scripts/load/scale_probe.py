"""Times the reads that grow with the pledges, against a running server holding the fixture of
scripts/load/fixture.sh (its ids and times are functions of the pledge's number), and writes
the figures as JSON. Used by scale.sh; each figure is the median of many requests made one after
another on one kept-alive connection (the CSV's first byte: on a new connection each time, left
as soon as the byte came, which is also a client walking away from an export).

    python3 scale_probe.py <port> <token> <pledges> <server pid> <out.json>
"""
import http.client
import json
import statistics
import sys
import threading
import time

port, token, pledges, pid, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
RUNS, WARM = 31, 3
EPOCH = 1748736000  # pledge n is made at EPOCH + n seconds and counted a minute later


def fixture_id(n):
    return "%08x-0000-4000-8000-%012x" % ((n * 2654435761) % 4294967296, n)


def header(auth):
    return {"Authorization": f"Bearer {token}"} if auth else {}


def median_ms(path, auth=True):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    times = []
    for i in range(WARM + RUNS):
        start = time.perf_counter()
        conn.request("GET", path, headers=header(auth))
        res = conn.getresponse()
        body = res.read()
        elapsed = time.perf_counter() - start
        if res.status != 200:
            raise SystemExit(f"GET {path}: {res.status} {body[:300]!r}")
        if i >= WARM:
            times.append(elapsed * 1000)
    conn.close()
    return statistics.median(times)


def first_byte_ms(path, runs=15):
    times = []
    for _ in range(runs):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.connect()
        start = time.perf_counter()
        conn.request("GET", path, headers=header(True))
        res = conn.getresponse()
        if res.status != 200 or not res.read(1):
            raise SystemExit(f"GET {path}: {res.status}")
        times.append((time.perf_counter() - start) * 1000)
        conn.close()
        # The export walked away from finishes the page it was reading (one page ahead at most):
        # let it, so that each first byte is timed on an idle server.
        time.sleep(0.2)
    return statistics.median(times)


def status_kb(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def whole_csv():
    """Downloads the whole export, sampling the server's resident memory meanwhile."""
    peak_rss, done = [0], threading.Event()

    def sample():
        while not done.is_set():
            peak_rss[0] = max(peak_rss[0], status_kb("VmRSS"))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    start = time.perf_counter()
    conn.request("GET", "/api/v1/staff/pledges.csv", headers=header(True))
    res = conn.getresponse()
    size = lines = 0
    while chunk := res.read(1 << 16):
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    return {"csv_seconds": elapsed, "csv_bytes": size, "csv_rows": lines - 1, "csv_rss_kb": peak_rss[0]}


middle = pledges // 2 + 1  # four in five have an email; this one does (middle % 5 != 0 below 10^7)
wall_cursor = ("%d.0" % ((EPOCH + 60 + middle) * 1_000_000)).encode().hex()
staff_cursor = "%d_%s" % ((EPOCH + middle) * 1_000_000, fixture_id(middle))
figures = {
    "donor wall, first page": median_ms("/api/v1/campaigns/mentors/pledges?limit=10", auth=False),
    "donor wall, middle page": median_ms(f"/api/v1/campaigns/mentors/pledges?limit=10&cursor={wall_cursor}", auth=False),
    "staff list, first page": median_ms("/api/v1/staff/pledges?limit=10"),
    "staff list, middle page": median_ms(f"/api/v1/staff/pledges?limit=10&cursor={staff_cursor}"),
    "staff ?campaign=mentors": median_ms("/api/v1/staff/pledges?limit=10&campaign=mentors"),
    "staff ?status=paid": median_ms("/api/v1/staff/pledges?limit=10&status=paid"),
    "staff ?status=pending (none)": median_ms("/api/v1/staff/pledges?limit=10&status=pending"),
    "staff ?method=online": median_ms("/api/v1/staff/pledges?limit=10&method=online"),
    "staff ?method=cash (none)": median_ms("/api/v1/staff/pledges?limit=10&method=cash"),
    "staff ?q=<an address>": median_ms(f"/api/v1/staff/pledges?limit=10&q=donor{middle}%40example.kz"),
    "staff ?q=maria (1 in 16)": median_ms("/api/v1/staff/pledges?limit=10&q=maria"),
    "staff ?q=айгерим (1 in 16)": median_ms("/api/v1/staff/pledges?limit=10&q=%D0%B0%D0%B9%D0%B3%D0%B5%D1%80%D0%B8%D0%BC"),
    "staff ?q=nobody (no match)": median_ms("/api/v1/staff/pledges?limit=10&q=nobody"),
    "CSV, first byte": first_byte_ms("/api/v1/staff/pledges.csv"),
}
result = {"pledges": pledges, "ms": figures}
result.update(whole_csv())
result["vm_hwm_kb"] = status_kb("VmHWM")
with open(out, "w") as f:
    json.dump(result, f)
