#!/usr/bin/env bash
# Benchmark of live guided sessions: 1 teacher and 200 students on loopback, the teacher's view
# at 10 Hz for 60 s (BENCH_STUDENTS, BENCH_SECONDS to change). Builds the server alone in release
# mode (no viewer) and reports delivery latency (p50/p90/p99/max) and the server's CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cloudhall/target}"
cargo build --release --no-default-features --features server --bin cloudhall --example bench-live >&2
ulimit -n 4096 2>/dev/null || true
"$CARGO_TARGET_DIR/release/examples/bench-live" "$CARGO_TARGET_DIR/release/cloudhall" scenes \
  --students "${BENCH_STUDENTS:-200}" --seconds "${BENCH_SECONDS:-60}" --hz 10
