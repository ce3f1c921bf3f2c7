#!/usr/bin/env bash
# Time and peak memory of the release binary on the benchmark capture (made by
# `cargo bench --bench analyze`), for the report and for --json.
set -euo pipefail
cd "$(dirname "$0")/.."
cap=target/bench-capture.log
[ -f "$cap" ] || cargo bench --bench analyze
cargo build --release -q
for args in "" "--json"; do
  /usr/bin/time -f "analyze $args: %e s wall, %M KB peak RSS" \
    target/release/tunnelscope analyze $args "$cap" >/dev/null
done
