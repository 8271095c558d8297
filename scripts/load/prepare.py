"""Makes pledges through the API, then writes one signed, distinct webhook delivery per line:
payment_intent.succeeded for each pledge, then checkout.session.completed for each (the same
payments reported again, which must count nothing more)."""
import hashlib
import hmac
import json
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

base, secret, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]


def pledge(i):
    req = urllib.request.Request(
        f"{base}/api/v1/campaigns/mentors/pledges",
        data=json.dumps({"amount": 50000 + i}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as res:
        return json.load(res)["id"], 50000 + i


with ThreadPoolExecutor(8) as pool:
    made = list(pool.map(pledge, range(count)))


def signed(kind, obj):
    body = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": kind, "data": {"object": obj}},
                      separators=(",", ":"))
    t = int(time.time())
    sig = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={sig}\t{body}\n"


with open(out, "w") as f:
    for pid, amount in made:
        f.write(signed("payment_intent.succeeded", {"id": f"pi_{pid.replace('-', '')}", "object": "payment_intent",
                       "amount_received": amount, "currency": "kzt", "metadata": {"pledge_id": pid}}))
    for pid, amount in made:
        f.write(signed("checkout.session.completed", {"id": f"cs_{pid.replace('-', '')}", "object": "checkout.session",
                       "client_reference_id": pid, "payment_intent": f"pi_{pid.replace('-', '')}",
                       "amount_total": amount, "currency": "kzt", "payment_status": "paid"}))
print(f"{count} pledges made, {2 * count} deliveries signed")
