#!/usr/bin/env bash
# Target 6 of the scale issue: a clean `cargo build --release` (in a throwaway target directory,
# so the tree's own stays warm), timed, with the slowest crates from cargo's timings report.
#
#   [TOP=n] scripts/build_time.sh [release|test]   (n: how many of the slowest units to list)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-release}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
start=$(date +%s)
if [ "$what" = test ]; then
  CARGO_TARGET_DIR=$dir cargo test --workspace --no-run --timings --quiet 2>/dev/null
else
  CARGO_TARGET_DIR=$dir cargo build --release --timings --quiet
fi
end=$(date +%s)
echo "clean $what build: $((end - start)) s"
python3 - "$dir" "${TOP:-10}" <<'PY'
import glob, json, re, sys
report = sorted(glob.glob(sys.argv[1] + "/cargo-timings/cargo-timing-*.html"))[-1]
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);", open(report).read(), re.S).group(1))
total = sum(u["duration"] for u in units)
print(f"  {total:7.1f} s  of compiling in all ({len(units)} units; 2 cores share it)")
for unit in sorted(units, key=lambda u: -u["duration"])[:int(sys.argv[2])]:
    print(f"  {unit['duration']:7.1f} s  {unit['name']} {unit.get('target', '').strip()}")
PY
