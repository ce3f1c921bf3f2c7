#!/usr/bin/env bash
# CPU of the screen while nothing happens, as issue 9 measures it:
#  1. `connect` on a simulated router over a 9600-baud serial line (two ptys joined by a
#     relay, the simulator on one, tunnelscope on the other), debug on and quiet, 30 s;
#  2. the demo (two simulated routers in process), 30 s.
# Prints the share of one core each used (target: at most 0.5% and 1%). Needs tmux, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
secs=${CPU_SECS:-30}
work=$(mktemp -d)
sock="$work/tmux"
relay_pid=""; sim_pid=""
cleanup() {
  tmux -S "$sock" kill-server 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
share() { echo "scale=2; ($2 - $1) * 100 / $hz / $secs" | bc; }

# Two ptys joined back to back: what one slave's side writes, the other's reads.
python3 - "$work/ttys" <<'PY' &
import os, pty, select, sys, tty
ma, sa = pty.openpty(); mb, sb = pty.openpty()
tty.setraw(sa); tty.setraw(sb)
with open(sys.argv[1], "w") as f:
    f.write(os.ttyname(sa) + " " + os.ttyname(sb) + "\n")
while True:
    r, _, _ = select.select([ma, mb], [], [])
    for fd in r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            continue
        os.write(mb if fd == ma else ma, data)
PY
relay_pid=$!
until [ -s "$work/ttys" ]; do sleep 0.05; done
read -r router_tty our_tty < "$work/ttys"
target/release/tunnelscope sim --serial "$router_tty" --baud 9600 --scenario healthy &
sim_pid=$!
tmux -S "$sock" new -d -s cpu -x 200 -y 60
tmux -S "$sock" set -g escape-time 0
tmux -S "$sock" send-keys -t cpu "export XDG_DATA_HOME=$work/data TUNNELSCOPE_PASSWORD=secoff; exec target/release/tunnelscope connect serial:$our_tty --user secoff --no-capture" Enter
until tmux -S "$sock" capture-pane -t cpu -p | grep -q "992095719"; do sleep 0.2; done
tmux -S "$sock" send-keys -t cpu d
until tmux -S "$sock" capture-pane -t cpu -p | grep -q "debug ON"; do sleep 0.2; done
pid=$(tmux -S "$sock" list-panes -t cpu -F '#{pane_pid}')
sleep 5
a=$(ticks "$pid"); sleep "$secs"; b=$(ticks "$pid")
echo "connect, 9600-baud pty, debug on and quiet, ${secs} s: $(share "$a" "$b")% of one core"
tmux -S "$sock" send-keys -t cpu q
sleep 0.5; tmux -S "$sock" send-keys -t cpu y; sleep 3

tmux -S "$sock" new -d -s demo -x 200 -y 60
tmux -S "$sock" send-keys -t demo "export XDG_DATA_HOME=$work/data; exec target/release/tunnelscope demo --no-capture" Enter
until tmux -S "$sock" capture-pane -t demo -p | grep -q "992095719"; do sleep 0.2; done
pid=$(tmux -S "$sock" list-panes -t demo -F '#{pane_pid}')
sleep 5
a=$(ticks "$pid"); sleep "$secs"; b=$(ticks "$pid")
echo "demo, two simulated routers, ${secs} s: $(share "$a" "$b")% of one core"
