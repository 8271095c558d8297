"""Deliveries processed per second, read from the server's own inbox: the number of webhook
events stored and the span between the first and the last (wrk's own figure counts its whole
run, including the time after the last delivery)."""
import datetime
import sqlite3
import subprocess
import sys

url = sys.argv[1]
query = "SELECT count(*), min(received_at), max(received_at) FROM webhook_events"
if url.startswith("sqlite://"):
    count, first, last = sqlite3.connect(url[len("sqlite://"):]).execute(query).fetchone()
else:
    out = subprocess.run(["psql", url, "-At", "-F", "|", "-c", query], check=True, capture_output=True, text=True).stdout
    count, first, last = out.strip().split("|")
    count = int(count)
parse = lambda s: datetime.datetime.fromisoformat(s.replace(" ", "T")[:26])
span = (parse(last) - parse(first)).total_seconds()
print(f"{count} deliveries processed in {span:.2f} s = {count / span:.0f} deliveries/s (server-side)")
