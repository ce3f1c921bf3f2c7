//! Throughput of the whole reading pipeline (`analyze`) on a large synthetic capture:
//! mostly debug lines, with tables, counters and pager prompts in between, CR LF endings.
//! Run with `cargo bench --bench analyze`; the capture is also written to
//! `target/bench-capture.log` for `benches/memory.sh`. With `--write-capture PATH [MB]` it
//! only writes the capture (used by `benches/analyze_vs_rg.sh`).

use std::time::Instant;
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::analyze::{analyze_bytes, Options};

const DEBUG: &[&str] = &[
    "ISAKMP: exchange {n}: Main mode message 1 (SA) sent to 200.200.200.1 cookie 1a2b3c4d5e6f{h}",
    "ISAKMP: exchange {n}: state SASENT -> KESENT, KE and nonce payloads sent",
    "ISAKMP: exchange {n}: AUTHSENT, ID and HASH payloads sent to peer 200.200.200.1",
    "ISAKMP: exchange {n}: Phase 1 complete, ISAKMP SA {h} established",
    "ISAKMP: exchange {n}: Quick mode started, proxy IDs 192.168.1.0/24 192.168.2.0/24",
    "ISAKMP: exchange {n}: WAIT_HASH_SA_NONCE, IPsec SA SPI 1612248718 proposed with PFS",
    "ISAKMP: exchange {n}: Notify NO-PROPOSAL-CHOSEN received from 200.200.200.1",
    "ISAKMP: heartbeat R-U-THERE sent to 200.200.200.1 seq {n}",
    "ISAKMP: exchange {n}: retransmitting message 3 to 200.200.200.1 (attempt 2)",
    "ISAKMP: XAUTH transaction {n} REQSENT, mode config request",
    "IPSEC: packet from 192.168.1.100 to 192.168.2.100 encrypted with SA {n}",
    "12:00:{s} ISAKMP: INFO exchange {n}: delete payload for SA {h}",
];

const TABLES: &str = "SecOff Peer1> show isakmp sa\r\n\r\n\
SA Id  PeerAddress      EncA.  HashA.  Bytes  Expiry Limits - hard/soft/used  Seconds\r\n\
1      200.200.200.1    3DES   SHA     -/-/-  86400/82080/970\r\n\r\n\
SecOff Peer1> show ipsec sa\r\n\
SA Id  Policy               Bundle  State  Protocol  OutSPI      InSPI\r\n\
0      wiz_Peer1 to Peer2   0       Valid  ESP       1612248718  992095719\r\n\
--More-- (<space> = next page, <CR> = one line, C = continuous, Q = quit)\r          \r\
1      wiz_Peer1 to Peer2   1       Valid  ESP       1612248719  992095720\r\n\r\n\
SecOff Peer1> show ipsec policy=\"wiz_Peer1 to Peer2\" counters\r\n\
Outbound Packet Processing Counters\r\n\
  outProcessStarted ........ 12    outProcessDone ........... 10\r\n\
Inbound Packet Processing Counters\r\n\
  inProcessDone ............ 9     inBadSpiResponse ......... 0\r\n\
SecOff Peer1> \r\n";

pub fn capture(target_bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(target_bytes + 4096);
    let mut n = 0usize;
    while out.len() < target_bytes {
        for _ in 0..200 {
            let t = DEBUG[n % DEBUG.len()]
                .replace("{n}", &(n % 100_000).to_string())
                .replace("{h}", &format!("{:04x}", n % 65536))
                .replace("{s}", &format!("{:02}", n % 60));
            out.extend_from_slice(t.as_bytes());
            out.extend_from_slice(b"\r\n");
            n += 1;
        }
        out.extend_from_slice(TABLES.as_bytes());
    }
    out
}

fn main() {
    // `analyze --write-capture PATH [MB]`: only write the capture (for
    // `benches/analyze_vs_rg.sh`, which times the release binary on it).
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--write-capture") {
        let Some(path) = args.get(at + 1) else {
            eprintln!("--write-capture needs a path");
            std::process::exit(2);
        };
        let mb = args
            .get(at + 2)
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(100);
        if let Err(e) = std::fs::write(path, capture(mb << 20)) {
            eprintln!("could not write {path}: {e}");
            std::process::exit(1);
        }
        return;
    }
    let size = std::env::var("BENCH_MB")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(128)
        << 20;
    let data = capture(size);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-capture.log");
    if let Err(e) = std::fs::write(&path, &data) {
        eprintln!("could not write {}: {e}", path.display());
    }
    let mb = data.len() as f64 / (1 << 20) as f64;
    let classifier = Classifier::builtin();
    let runs = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    for (label, opts) in [
        (
            "report (counts and failures)",
            Options {
                keep_events: false,
                exchanges: false,
            },
        ),
        (
            "json (every event, with exchange references)",
            Options {
                keep_events: true,
                exchanges: true,
            },
        ),
    ] {
        if std::env::var("BENCH_ONLY_REPORT").is_ok() && opts.keep_events {
            continue;
        }
        let mut best = f64::MAX;
        let mut lines = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let a = analyze_bytes(&data, classifier, opts);
            let secs = t.elapsed().as_secs_f64();
            best = best.min(secs);
            lines = a.state.debug.lines;
            assert!(a.state.snapshot.ike_sas.len() == 1 && a.state.snapshot.ipsec_sas.len() == 2);
        }
        println!(
            "analyze {label}: {mb:.0} MB, {lines} debug lines, best of {runs}: {best:.2} s = {:.0} MB/s",
            mb / best
        );
    }
}
