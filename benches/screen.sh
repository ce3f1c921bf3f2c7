#!/usr/bin/env bash
# The demo in a real terminal (tmux): time from start to the first full screen (tables
# filled), and CPU used while it sits idle for 30 s. Needs tmux.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
sock="/tmp/ts-bench-$$"
tmux -S "$sock" new -d -s bench -x 200 -y 60
trap 'tmux -S "$sock" kill-server 2>/dev/null; rm -f "$sock"' EXIT
tmux -S "$sock" set -g escape-time 0
start=$(date +%s.%N)
tmux -S "$sock" send-keys -t bench "exec target/release/tunnelscope demo" Enter
until tmux -S "$sock" capture-pane -t bench -p | grep -q "992095719"; do sleep 0.02; done
end=$(date +%s.%N)
echo "first full screen (tables filled): $(echo "$end - $start" | bc) s"
pid=$(tmux -S "$sock" list-panes -t bench -F '#{pane_pid}')
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
sleep 2
a=$(ticks); sleep 30; b=$(ticks)
echo "CPU while idle over 30 s (demo: two simulated routers polled, screen redrawn once a second): $(echo "scale=2; ($b - $a) * 100 / $hz / 30" | bc)%"
echo "peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
