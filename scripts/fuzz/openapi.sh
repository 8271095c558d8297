#!/usr/bin/env bash
# Fuzzes every operation of /api/v1/openapi.json with schemathesis (all checks) against a fresh demeu on loopback.
#   scripts/fuzz/openapi.sh [examples per operation, default 50] [seconds, default 900] [seed, default 8]
# PROFILE=release builds optimized (default: debug); the report (ndjson, junit) lands in target/fuzz/report.
set -euo pipefail
cd "$(dirname "$0")/../.."
examples=${1:-50}
budget=${2:-900}
seed=${3:-8}
profile=${PROFILE:-debug}
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
venv="$target/fuzz/venv"
report="$target/fuzz/report"
work=$(mktemp -d)
server=""
stop() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT

# The fuzzer lives in its own virtualenv under the target dir: nothing is installed system-wide.
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis>=4,<5"
fi

if [ "$profile" = release ]; then cargo build --release --quiet; else cargo build --quiet; fi
bin="$target/$profile/demeu"

# A free loopback port, asked of the kernel (a race with another process is possible but harmless:
# the server would refuse to start and the script stops).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export DEMEU__DATABASE__URL="sqlite://$work/demeu.db"
export DEMEU__SERVER__HOST=127.0.0.1
export DEMEU__SERVER__PORT=$port
export DEMEU__SERVER__PUBLIC_URL=$base
export DEMEU__MAIL__FILE_DIR="$work/mail"
# High enough that a 429 is one answer among others, not the only one after the first minute.
export DEMEU__LIMITS__PLEDGES_PER_HOUR=1000000
export DEMEU__LIMITS__COMMENTS_PER_HOUR=1000000
export DEMEU__LIMITS__SUBSCRIPTIONS_PER_HOUR=1000000
export RUST_LOG=${RUST_LOG:-warn}

admin=fuzz-admin@example.org
password=fuzz-admin-password
echo "$password" | "$bin" staff add --email "$admin" --role admin >/dev/null
"$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "$base/ready" >/dev/null && break; sleep 0.2; done
curl -sf "$base/ready" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

sign_in() {
  curl -sf -H 'Content-Type: application/json' \
    -d "{\"email\":\"$admin\",\"password\":\"$password\"}" "$base/api/v1/staff/sessions" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

# Something for every operation that names a stored thing, so that the fuzzer gets past 404: a
# paid pledge (the sandbox's Pay button), a published post, a comment, a subscriber's mailed
# tokens and an editor account. Their ids go to the operations that take them, in a copy of
# scripts/fuzz/schemathesis.toml.
cp scripts/fuzz/schemathesis.toml "$work/schemathesis.toml"
seed_token=$(sign_in)
python3 - "$base" "$seed_token" "$DEMEU__MAIL__FILE_DIR" >>"$work/schemathesis.toml" <<'PY'
import email, glob, json, os, re, sys, time, urllib.request

base, token, mail_dir = sys.argv[1], sys.argv[2], sys.argv[3]

def call(method, path, body=None, raw=False):
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    url = path if path.startswith("http") else base + path
    with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method)) as res:
        text = res.read()
        return text if raw else json.loads(text)

pledge = call("POST", "/api/v1/campaigns/mentors/pledges",
              {"amount": 100000, "donor_name": "Fuzz", "email": "donor@example.org", "message": "hi"})
call("POST", pledge["checkout_url"] + "/pay", raw=True)
post = call("POST", "/api/v1/staff/campaigns/mentors/news", {"title": "Fuzz news", "body_markdown": "*hello*"})
comment = call("POST", "/api/v1/campaigns/mentors/comments", {"name": "Fuzz", "body": "A comment"})
# A confirmed subscriber: its tokens come by mail (files under DEMEU__MAIL__FILE_DIR; the
# unsubscribe link is in every mail's List-Unsubscribe).
def mailed_token(kind):
    for _ in range(100):
        for mail in sorted(glob.glob(os.path.join(mail_dir, "*.eml"))):
            message = email.message_from_binary_file(open(mail, "rb"))
            parts = [str(message)] + [str(p.get_payload(decode=True)) for p in message.walk() if not p.is_multipart()]
            text = "\n".join(parts)
            found = re.search(rf"/api/v1/subscriptions/{kind}\?token=([A-Za-z0-9_-]+)", text)
            if found:
                return found.group(1)
        time.sleep(0.2)
    sys.exit(f"no {kind} link was mailed")

call("POST", "/api/v1/campaigns/mentors/subscriptions", {"email": "subscriber@example.org"})
confirm = mailed_token("confirm")
urllib.request.urlopen(urllib.request.Request(f"{base}/api/v1/subscriptions/confirm?token={confirm}", b"", method="POST"))
unsubscribe = mailed_token("unsubscribe")
call("POST", f"/api/v1/staff/news/{post['id']}/publish")
# The post that the fuzzer's edits, unpublishing and deleting never touch: the one it reads.
shown = call("POST", "/api/v1/staff/campaigns/mentors/news", {"title": "Shown", "body_markdown": "Read me"})
call("POST", f"/api/v1/staff/news/{shown['id']}/publish")
user = call("POST", "/api/v1/staff/users",
            {"email": "fuzz-editor@example.org", "password": "fuzz-editor-password", "role": "editor"})
ids = {
    "show_pledge": pledge["id"], "refund_pledge": pledge["id"],
    "edit_news_post": post["id"], "publish_news_post": post["id"], "unpublish_news_post": post["id"],
    "delete_news_post": post["id"],
    "approve_comment": comment["id"], "reject_comment": comment["id"],
    "update_staff_user": user["id"],
}
for operation, value in ids.items():
    print(f'\n[[operations]]\ninclude-operation-id = "{operation}"\nparameters = {{ "path.id" = "{value}" }}')
print(f'\n[[operations]]\ninclude-operation-id = "show_news_post"\nparameters = {{ "path.post" = "{shown["slug"]}" }}')
for operation, value in [("confirm_subscription_page", confirm), ("confirm_subscription", confirm),
                         ("unsubscribe_page", unsubscribe), ("unsubscribe", unsubscribe)]:
    print(f'\n[[operations]]\ninclude-operation-id = "{operation}"\nparameters = {{ "query.token" = "{value}" }}')
PY

rm -rf "$report"
mkdir -p "$report"
# Deterministic given the seed: one worker, no example database, and run from the fresh work
# directory so that no response cache (.schemathesis/) is carried between runs.
fuzz() {
  local name=$1
  shift
  (cd "$work" && timeout --signal=INT "$budget" \
    "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$base/api/v1/openapi.json" \
    --checks all --continue-on-failure --max-examples "$examples" --seed "$seed" \
    --workers 1 --generation-database none --request-timeout 30 --no-color \
    --report junit,ndjson --report-junit-path "$report/$name.xml" --report-ndjson-path "$report/$name.ndjson" \
    -H "Authorization: Bearer $token" "$@")
}

# Both tokens are taken now: after the main run, the fuzzer's wrong passwords have the sign-in
# slow-down refuse this address for a while.
main_token=$(sign_in)
sign_out_token=$(sign_in)
status=0
# Signing out ends the token every other staff operation uses: it is fuzzed alone, last.
token=$main_token fuzz main --exclude-operation-id staff_sign_out || status=$?
token=$sign_out_token fuzz sign-out --include-operation-id staff_sign_out || status=$?

if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked:" >&2
  grep -A3 "panicked" "$work/server.log" >&2
  status=1
fi
exit "$status"
