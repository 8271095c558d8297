#!/usr/bin/env bash
# Issue 8's sign-in flood: RSS and GET campaign latency of a release build, idle and during
# 30 s of 24 concurrent sign-ins with unknown addresses (SQLite, loopback).
#
#   scripts/load/signin_flood.sh [seconds, default 30] [workers, default 24]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
workers=${2:-24}
port=18090
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
source scripts/load/lib.sh
release_binary
DEMEU__DATABASE__URL="sqlite://$work/demeu.db" DEMEU__SERVER__PORT=$port DEMEU__MAIL__FILE_DIR="$work/mail" \
  RUST_LOG=error "$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
python3 scripts/load/signin_flood.py "http://127.0.0.1:$port" "$server" "$seconds" "$workers"
