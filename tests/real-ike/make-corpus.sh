#!/usr/bin/env bash
# Makes the real IKEv1 corpus: two strongSwan charon daemons, each in its own network namespace,
# joined by a veth pair, one run per scenario, each daemon logging to its own file.
#
# Usage: tests/real-ike/make-corpus.sh [OUTDIR]     (default OUTDIR: tests/real-ike/corpus)
# Needs root, /usr/lib/ipsec/charon (Debian: strongswan-charon, libcharon-extra-plugins),
# swanctl (strongswan-swanctl) and ip (iproute2). See README.md next to this script.
#
# Writes OUTDIR/<scenario>.<end>.log for every scenario and end (a = 200.200.200.1, the
# initiator; b = 200.200.200.2, the responder). Everything it starts (two namespaces per run, a
# veth pair inside them, two charon processes, a work directory) is named with this script's pid
# and removed on exit, also on error or interrupt; nothing else on the machine is touched.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/corpus}
CHARON=${CHARON:-/usr/lib/ipsec/charon}
SWANCTL=${SWANCTL:-swanctl}
# Only these scenarios (space-separated), for quick iterations; all by default.
ONLY=${SCENARIOS:-}

die() { echo "make-corpus: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, veth, charon)"
[ -x "$CHARON" ] || die "charon not found at $CHARON (apt-get install strongswan-charon libcharon-extra-plugins)"
command -v "$SWANCTL" >/dev/null || die "swanctl not found (apt-get install strongswan-swanctl)"
command -v ip >/dev/null || die "ip not found (apt-get install iproute2)"
command -v unshare >/dev/null || die "unshare not found (util-linux)"
[ -e "$(dirname "$CHARON")/plugins/libstrongswan-kernel-libipsec.so" ] \
  || die "charon's kernel-libipsec plugin is missing (apt-get install libcharon-extra-plugins)"

TAG=tsri$$
NS_A=$TAG-a
NS_B=$TAG-b
WORK=$(mktemp -d /tmp/tsri.XXXXXX)
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  PIDS=()
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
}
# KEEP_WORK=1 keeps the work directory (configurations, stderr, swanctl output) for debugging.
trap 'cleanup; if [ -n "${KEEP_WORK:-}" ]; then echo "make-corpus: kept $WORK" >&2; else rm -rf "$WORK"; fi' EXIT
trap 'exit 130' INT TERM

# ---- the two ends --------------------------------------------------------------------------
# The How To Note's addresses: WAN 200.200.200.1 and .2 on the veth pair, LANs 192.168.1.0/24
# and 192.168.2.0/24 (the LAN address sits on lo: this kernel has no dummy interfaces).
make_net() {
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip link add "$TAG"a netns "$NS_A" type veth peer name "$TAG"b netns "$NS_B"
  ip -n "$NS_A" addr add 200.200.200.1/24 dev "$TAG"a
  ip -n "$NS_B" addr add 200.200.200.2/24 dev "$TAG"b
  ip -n "$NS_A" addr add 192.168.1.1/24 dev lo
  ip -n "$NS_B" addr add 192.168.2.1/24 dev lo
  for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
  ip -n "$NS_A" link set "$TAG"a up
  ip -n "$NS_B" link set "$TAG"b up
}

# strongswan.conf for one end. Debug levels: what an engineer sets to debug a tunnel that does
# not come up: ike 2 (every IKE state change, proposal and ID decision), cfg 2 (config lookup
# and proposal matching), net 1 (one line per packet sent / received, not hex dumps), enc 1
# (each message's exchange type and payload list), knl 1 (SAs, policies, routes installed),
# others at 1 (their default). Level 2 of net/enc/knl would add hex dumps and netlink chatter
# that nobody reads and that would make the fixtures large. Timestamps are on (as engineers
# keep them); the labels ignore them.
write_strongswan_conf() { # dir
  local d=$1
  cat > "$d/strongswan.conf" <<CONF
charon {
  load = random nonce aes sha1 sha2 hmac md5 kdf gmp pem pkcs1 pubkey x509 kernel-libipsec kernel-netlink socket-default vici
  # Retransmit faster than the default (4 s base, 5 tries) so a run takes seconds; the lines
  # are the same as with the defaults.
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  retransmit_tries = 3
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  install_virtual_ip = no
  plugins {
    vici {
      socket = unix://$d/charon.vici
    }
    kernel-libipsec {
      load = yes
    }
  }
  filelog {
    corpus {
      path = $d/charon.log
      time_format = %b %e %T
      append = no
      flush_line = yes
      default = 1
      ike = 2
      cfg = 2
      net = 1
      enc = 1
      knl = 1
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
}
swanctl {
  load = random nonce aes sha1 sha2 hmac md5 pem pkcs1 pubkey x509
}
CONF
}

# swanctl.conf for one end; arguments are key=value overrides of the healthy values.
write_swanctl_conf() { # dir local remote llan rlan key...
  local d=$1 me=$2 peer=$3 llan=$4 rlan=$5; shift 5
  local aggressive=no ike=aes128-sha1-modp1024 esp=aes128-sha1 lid=$me rid=$peer
  local psk=tunnelscope-test-psk-1 rts=$rlan
  local kv
  for kv in "$@"; do
    case $kv in
      aggressive=*) aggressive=${kv#*=} ;;
      ike=*) ike=${kv#*=} ;;
      esp=*) esp=${kv#*=} ;;
      lid=*) lid=${kv#*=} ;;
      rid=*) rid=${kv#*=} ;;
      psk=*) psk=${kv#*=} ;;
      rts=*) rts=${kv#*=} ;;
      *) die "unknown override $kv" ;;
    esac
  done
  cat > "$d/swanctl.conf" <<CONF
connections {
  vpn {
    version = 1
    aggressive = $aggressive
    local_addrs = $me
    remote_addrs = $peer
    proposals = $ike
    rekey_time = 0
    local {
      auth = psk
      id = $lid
    }
    remote {
      auth = psk
      id = $rid
    }
    children {
      lan {
        local_ts = $llan
        remote_ts = $rts
        esp_proposals = $esp
        rekey_time = 0
      }
    }
  }
}
secrets {
  ike-vpn {
    id-a = $lid
    id-b = $rid
    secret = "$psk"
  }
}
CONF
}

# Start charon in a namespace with a private /run (its pid file) bound over the work dir's run/.
start_charon() { # ns dir
  local ns=$1 d=$2
  mkdir -p "$d/run"
  ip netns exec "$ns" unshare -m --propagation private \
    sh -c 'mount --bind "$1/run" /run && exec env STRONGSWAN_CONF="$1/strongswan.conf" "$2"' \
    sh "$d" "$CHARON" >"$d/stderr" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    [ -S "$d/charon.vici" ] && return 0
    sleep 0.1
  done
  cat "$d/stderr" >&2
  die "charon in $ns did not open its vici socket"
}

swan() { # dir command args...
  local d=$1 cmd=$2; shift 2
  STRONGSWAN_CONF=$d/strongswan.conf "$SWANCTL" "$cmd" --uri "unix://$d/charon.vici" "$@"
}

# ---- one scenario --------------------------------------------------------------------------
# run NAME MODE [a:key=value...] [b:key=value...]
# MODE: up (initiate, ping both ways, terminate), fail (initiate; it must not come up),
# unreachable (the responder's namespace drops every packet from the initiator).
run() {
  local name=$1 mode=$2; shift 2
  if [ -n "$ONLY" ] && [[ " $ONLY " != *" $name "* ]]; then return 0; fi
  local t0=$SECONDS
  local da=$WORK/$name/a db=$WORK/$name/b
  mkdir -p "$da" "$db"
  local oa=() ob=() kv
  for kv in "$@"; do
    case $kv in
      a:*) oa+=("${kv#a:}") ;;
      b:*) ob+=("${kv#b:}") ;;
    esac
  done
  make_net
  write_strongswan_conf "$da"
  write_strongswan_conf "$db"
  write_swanctl_conf "$da" 200.200.200.1 200.200.200.2 192.168.1.0/24 192.168.2.0/24 "${oa[@]}"
  write_swanctl_conf "$db" 200.200.200.2 200.200.200.1 192.168.2.0/24 192.168.1.0/24 "${ob[@]}"
  if [ "$mode" = unreachable ]; then
    # A blackhole route back to the initiator with strict reverse-path filtering drops every
    # packet from it on arrival, as a firewall dropping UDP 500 would (nft/tc are not here).
    ip -n "$NS_B" route add blackhole 200.200.200.1/32
    ip netns exec "$NS_B" sh -c 'echo 1 >/proc/sys/net/ipv4/conf/all/rp_filter; echo 1 >/proc/sys/net/ipv4/conf/'"$TAG"'b/rp_filter'
  fi
  start_charon "$NS_A" "$da"
  start_charon "$NS_B" "$db"
  local d
  for d in "$da" "$db"; do
    swan "$d" --load-all --file "$d/swanctl.conf" >"$d/swanctl.out" 2>&1 \
      || { cat "$d/swanctl.out" >&2; die "$name: swanctl --load-all failed"; }
  done
  local up=0
  if swan "$da" --initiate --child lan --timeout 30 >>"$da/swanctl.out" 2>&1; then up=1; fi
  case $mode in
    up)
      [ $up = 1 ] || die "$name: the tunnel did not come up (see $da/charon.log)"
      ip netns exec "$NS_A" ping -c 3 -i 0.3 -W 2 -I 192.168.1.1 192.168.2.1 >"$da/ping.out" \
        || die "$name: no ping reply across the tunnel"
      ip netns exec "$NS_B" ping -c 3 -i 0.3 -W 2 -I 192.168.2.1 192.168.1.1 >"$db/ping.out" \
        || die "$name: no ping reply across the tunnel (b to a)"
      swan "$da" --list-sas >>"$da/swanctl.out" 2>&1
      swan "$da" --terminate --ike vpn --timeout 10 >>"$da/swanctl.out" 2>&1 || true
      ;;
    fail|unreachable)
      [ $up = 0 ] || die "$name: the tunnel came up but should not have"
      # Let the responder finish what it does after the initiator gave up.
      sleep 1
      ;;
  esac
  cleanup
  mkdir -p "$OUT"
  cp "$da/charon.log" "$OUT/$name.a.log"
  cp "$db/charon.log" "$OUT/$name.b.log"
  echo "make-corpus: $name done in $((SECONDS - t0)) s" >&2
}

run healthy up
run psk-mismatch fail b:psk=tunnelscope-test-psk-2
run p1-proposal-mismatch fail b:ike=aes256-sha256-modp2048
run p2-proposal-mismatch fail b:esp=aes256-sha256
run ts-mismatch fail b:rts=192.168.3.0/24
run peer-unreachable unreachable
run aggressive-healthy up \
  a:aggressive=yes a:lid=@branch.example.com a:rid=@hq.example.com \
  b:aggressive=yes b:lid=@hq.example.com b:rid=@branch.example.com
run aggressive-id-mismatch fail \
  a:aggressive=yes a:lid=@branch.example.com a:rid=@hq.example.com \
  b:aggressive=yes b:lid=@hq.example.com b:rid=@other.example.com
echo "make-corpus: wrote $OUT in $SECONDS s" >&2
