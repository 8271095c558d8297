#!/usr/bin/env bash
# Issue 24's figures: Lighthouse (pinned 12.2.3 in scripts/lighthouse/package.json, the last line
# that runs on Node 20) on the campaign page, a thanks page (counted), a news post, the embed and
# the console's dashboard, as a phone (Lighthouse's default: a Moto G Power, slow 4G, 4x CPU
# slowdown) and a desktop (--preset=desktop), against a release build on SQLite with the sandbox,
# as the README serves it, the campaign with a cover photo. Prints the four scores per page and
# form factor. Targets: accessibility 100, the others at least 95.
#
#   scripts/lighthouse.sh            (Debian's chromium; CHROME_PATH to use another)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/load/lib.sh
command -v node >/dev/null || { echo "node (20) is needed" >&2; exit 1; }
[ -x scripts/lighthouse/node_modules/.bin/lighthouse ] || npm ci --prefix scripts/lighthouse --no-audit --no-fund >/dev/null
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
lighthouse=scripts/lighthouse/node_modules/.bin/lighthouse

cargo bench -p demeu-api --bench picture_variants --no-run --quiet 2>/dev/null
bench=$(ls -t target/release/deps/picture_variants-* | grep -v '\.d$' | head -1)
release_binary
work=$(mktemp -d)
port=${port:-18094}
base="http://127.0.0.1:$port"
trap 'stop_server; rm -rf "$work"' EXIT
db="sqlite://$work/demeu.db"
echo "a long enough password" | DEMEU__DATABASE__URL="$db" "$bin" staff add --email lh@dara.kz --role admin >/dev/null
start_server "$db" DEMEU__SERVER__PUBLIC_URL="$base"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
token=$(curl -sf -X POST -H 'content-type: application/json' \
  -d '{"email":"lh@dara.kz","password":"a long enough password"}' "$base/api/v1/staff/sessions" | json '["token"]')
auth=(-H "authorization: Bearer $token")

# The campaign as a foundation runs it: a cover photo (a 2-megapixel JPEG), a published post,
# a few gifts paid on the sandbox.
"$bench" 2 --write "$work/cover.jpg" >/dev/null
curl -sf "${auth[@]}" -F role=cover -F "alt_ru=Вечер над холмами у Алматы" -F "alt_en=Evening over the hills" \
  -F "file=@$work/cover.jpg;type=image/jpeg" "$base/api/v1/staff/campaigns/mentors/images" >/dev/null
post=$(curl -sf "${auth[@]}" -H 'content-type: application/json' \
  -d '{"title":"Даты Школы наставников","body_markdown":"Школа пройдёт **14 июня**: два дня занятий с психологами."}' \
  "$base/api/v1/staff/campaigns/mentors/news")
post_id=$(echo "$post" | json '["id"]')
post_slug=$(echo "$post" | json '["slug"]')
curl -sf "${auth[@]}" -X POST -H 'content-type: application/json' -d '{}' "$base/api/v1/staff/news/$post_id/publish" >/dev/null
for amount in 500000 200000 1000000; do
  pledge=$(curl -sf -H 'content-type: application/json' -d "{\"amount\": $amount, \"email\": \"d$amount@example.kz\"}" \
    "$base/api/v1/campaigns/mentors/pledges")
  curl -sf -o /dev/null -X POST "$(echo "$pledge" | json '["checkout_url"]')/pay"
done
pledge_id=$(echo "$pledge" | json '["id"]')

# The console's session: signed in through its own form, as staff are.
jar="$work/cookies"
csrf=$(curl -sf -c "$jar" "$base/staff/sign-in?lang=ru" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//; s/"$//')
curl -sf -o /dev/null -b "$jar" -c "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "email=lh@dara.kz" \
  --data-urlencode "password=a long enough password" "$base/staff/sign-in"
# The jar's lines: comments start "# ", HttpOnly cookies "#HttpOnly_" (kept); name and value last.
cookie=$(grep -v '^# ' "$jar" | grep -v '^$' | awk '{printf "%s%s=%s", (n++ ? "; " : ""), $6, $7}')

pages=(
  "campaign|$base/campaigns/mentors?lang=ru"
  "thanks|$base/campaigns/mentors/thanks?pledge=$pledge_id&lang=ru"
  "news post|$base/campaigns/mentors/news/$post_slug?lang=ru"
  "embed|$base/embed/campaigns/mentors?lang=ru"
  "console|$base/staff?lang=ru"
)
printf '%-10s %-8s %12s %14s %15s %5s\n' page device performance accessibility best-practices SEO
for entry in "${pages[@]}"; do
  name=${entry%%|*}
  url=${entry#*|}
  for device in mobile desktop; do
    preset=()
    [ "$device" = desktop ] && preset=(--preset=desktop)
    headers=()
    [ "$name" = console ] && headers=(--extra-headers="{\"Cookie\": \"$cookie\"}")
    "$lighthouse" "$url" "${preset[@]}" "${headers[@]}" --quiet --output=json --output-path="$work/report.json" \
      --only-categories=performance,accessibility,best-practices,seo \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run" \
      >/dev/null 2>"$work/lighthouse.log" || { cat "$work/lighthouse.log" >&2; exit 1; }
    python3 - "$work/report.json" "$name" "$device" "$url" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
# The page measured must be the page asked for (not, say, the console's sign-in form).
if report["finalDisplayedUrl"].split("?")[0] != sys.argv[4].split("?")[0]:
    sys.exit(f'{sys.argv[2]}: measured {report["finalDisplayedUrl"]}, not {sys.argv[4]}')
score = lambda c: round(100 * (report["categories"][c]["score"] or 0))
print(f'{sys.argv[2]:<10} {sys.argv[3]:<8} {score("performance"):>12} {score("accessibility"):>14} '
      f'{score("best-practices"):>15} {score("seo"):>5}')
for c in ("performance", "accessibility", "best-practices", "seo"):
    if score(c) < (100 if c == "accessibility" else 95):
        failing = [a["title"] for a in report["categories"][c]["auditRefs"] and
                   [report["audits"][r["id"]] for r in report["categories"][c]["auditRefs"] if r["weight"] > 0]
                   if a.get("score") is not None and a["score"] < 1]
        print(f'    {c} below target: ' + "; ".join(failing[:6]))
PY
  done
done
