#!/usr/bin/env bash
# `tunnelscope analyze` against ripgrep (`rg -c .`) on the same synthetic capture, in one run:
# the release binary as a user runs it, the MB/s of both, their ratio (issue 12 asks for at
# least 0.5) and analyze's peak RSS (which must not grow with the input).
#
#   benches/analyze_vs_rg.sh [MB] [RUNS]     (defaults: 100 MB, 5 runs; median figures)
#
# ANALYZE_BIN=path times another build of tunnelscope (an older one, to compare) instead of
# this tree's release binary.
#
# The capture is made by the generator of `benches/analyze.rs` into a temporary directory,
# which is removed on exit. Each program reads it once before timing, so both read from the
# page cache.
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-100}
runs=${2:-5}
command -v rg >/dev/null || { echo "ripgrep (rg) is not installed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cap=$tmp/capture.log

bin=${ANALYZE_BIN:-target/release/tunnelscope}
[ -n "${ANALYZE_BIN:-}" ] || cargo build --release -q
cargo bench -q --bench analyze -- --write-capture "$cap" "$mb" >/dev/null
bytes=$(stat -c %s "$cap")

# One timed run of "$@" on the capture: prints "seconds user_seconds peak_kb". The wall
# time is taken to the microsecond (GNU time's is to 10 ms, too coarse for rg's ~0.1 s).
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %M" -o "$tmp/time" "$@" "$cap" >/dev/null
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v rest="$(cat "$tmp/time")" 'BEGIN { printf "%.4f %s\n", b - a, rest }'
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Warm the page cache.
cat "$cap" >/dev/null
rg -c . "$cap" >/dev/null

for f in rg rg_user an an_user rss; do : >"$tmp/$f"; done
for i in $(seq "$runs"); do
  read -r s u _ < <(timed rg -c .)
  echo "$s" >>"$tmp/rg"
  echo "$u" >>"$tmp/rg_user"
  read -r s u kb < <(timed "$bin" analyze)
  echo "$s" >>"$tmp/an"
  echo "$u" >>"$tmp/an_user"
  echo "$kb" >>"$tmp/rss"
  echo "run $i: rg $(tail -1 "$tmp/rg") s, analyze $s s ($u s user), peak RSS $kb KB" >&2
done

# Wall time is what a user waits for; the CPU time (user) is printed too, since on a busy
# machine the wall time of both varies with the load.
awk -v b="$bytes" -v n="$runs" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
  -v r="$(median <"$tmp/rg")" -v a="$(median <"$tmp/an")" \
  -v ru="$(median <"$tmp/rg_user")" -v au="$(median <"$tmp/an_user")" \
  -v k="$(median <"$tmp/rss")" 'BEGIN {
  m = b / 1048576
  rg = m / (r > 0 ? r : 0.005); an = m / (a > 0 ? a : 0.005)
  printf "capture: %.0f MB, median of %d runs (load average %s)\n", m, n, load
  printf "rg -c .:  %.3f s = %.0f MB/s (%.2f s user)\n", r, rg, ru
  printf "analyze:  %.3f s = %.0f MB/s (%.2f s user), peak RSS %.1f MB\n", a, an, au, k / 1024
  printf "ratio analyze/rg: %.2f\n", an / rg
}'
