#!/usr/bin/env bash
# The viewer benchmarks of issue 13, headless on this machine's renderer (lavapipe here): on the
# bundled 16384x8192 scene, time and peak RSS to the first complete frame, a scripted 30 s pan
# and zoom (median and worst frame), and a Go to a scene that was not preloaded.
# BIN=path/to/cloudhall to measure another build (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cloudhall/target}"
export WGPU_BACKEND="${WGPU_BACKEND:-vulkan}" RUST_LOG="${RUST_LOG:-error}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/cloudhall-xdg-$(id -u)}"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
if [ -z "${BIN:-}" ]; then
  cargo build --release --bin cloudhall >&2
  BIN="$CARGO_TARGET_DIR/release/cloudhall"
fi
scene=(--site chifeng-museum --scene hall-liao-to-qing)
out=$(mktemp -d)
/usr/bin/time -v "$BIN" view "${scene[@]}" --screenshot "$out/first.png" 2>"$out/time.txt" >/dev/null
echo "16K scene, first complete frame (1280x720): wall $(awk -F': ' '/Elapsed/ {print $2}' "$out/time.txt"), peak RSS $(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$out/time.txt") MB"
/usr/bin/time -v "$BIN" view "${scene[@]}" --bench-pan 30 2>"$out/time.txt"
echo "  (peak RSS while panning: $(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$out/time.txt") MB)"
"$BIN" view --site chifeng-museum --scene square --bench-go
rm -rf "$out"
