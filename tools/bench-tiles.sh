#!/usr/bin/env bash
# The `cloudhall tiles` benchmark of issue 13: a 16384x8192 JPEG tiled by the release build,
# with wall time and peak RSS from /usr/bin/time -v. Prints the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cloudhall/target}"
work=${BENCH_DIR:-/tmp/cloudhall-bench-tiles}
mkdir -p "$work"
# The command alone (no viewer, no server) builds in a minute; keep a copy of that binary, since
# a full release build (tools/bench-viewer.sh) writes to the same place.
cargo build --release --no-default-features --bin cloudhall --example bench-tiles >&2
cp "$CARGO_TARGET_DIR/release/cloudhall" "$work/cloudhall-tiles"
[ -f "$work/16k.jpg" ] || "$CARGO_TARGET_DIR/release/examples/bench-tiles" "$work/16k.jpg" >/dev/null
for run in 1 2 3; do
  /usr/bin/time -v "$work/cloudhall-tiles" tiles "$work/16k.jpg" --out "$work/pyramid" 2>"$work/time.txt" >/dev/null
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/time.txt")
  echo "run $run: wall $wall, peak RSS ${rss} MB, $(find "$work/pyramid" -name '*.jpg' | wc -l) files, $(du -sh "$work/pyramid" | cut -f1)"
done
