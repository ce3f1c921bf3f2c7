#!/usr/bin/env bash
# The test command: set up what the tests need, build the release binary, run the whole suite.
#
# As root on Debian/Ubuntu it installs the system packages the tests drive (otherwise it prints
# the one `apt-get install` line to run, and goes on with what is there). As root it also runs
# the tests marked `#[ignore = "needs root: ..."]` (the SSH tests start a real sshd, which must
# switch to a local test account), so nothing is left out; as a normal user those are the
# only tests not run, and the script says so.
#
# Usage: tests/run.sh [extra arguments for the test binaries, e.g. a name filter]
set -euo pipefail
cd "$(dirname "$0")/.."

# tmux: the end-to-end screen tests; openssh-server: the SSH link tests against a real sshd;
# inetutils-telnet and inetutils-telnetd: a real telnet client and server for the telnet link
# tests; iputils-ping: the ping runner; ripgrep: the tests that search the sources;
# strongswan-charon, strongswan-swanctl and libcharon-extra-plugins: a real IKE peer, in network
# namespaces made with iproute2.
PACKAGES=(tmux openssh-server inetutils-telnet inetutils-telnetd iputils-ping ripgrep
  strongswan-charon strongswan-swanctl libcharon-extra-plugins iproute2)

root=false
[ "$(id -u)" = 0 ] && root=true

if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if $root; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
    else
      echo "tests/run.sh: missing packages; install them with:" >&2
      echo "  sudo apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
    fi
  fi
else
  echo "tests/run.sh: not a Debian system; the tests need: ${PACKAGES[*]} (or your system's equivalents)" >&2
fi

# The end-to-end screen tests drive the release binary, as a user runs it.
cargo build --release --locked

if $root; then
  cargo test --locked --no-fail-fast -- --include-ignored "$@"
else
  echo "tests/run.sh: not root: the tests that need root (marked \"needs root\") are not run; run as root (as CI does) to run them too" >&2
  cargo test --locked --no-fail-fast -- "$@"
fi
