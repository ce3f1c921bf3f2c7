//! `tunnelscope analyze` at the library level, on the capture fixtures in `tests/fixtures/`.
//!
//! The fixtures are written as a terminal log or a router would record them, so none of them
//! says what it holds; this comment does:
//!
//! - `healthy-peer1.log`: Peer1 of the How To Note with its tunnel up. CR LF, `SecOff Peer1>`,
//!   login first; `sh conf dyn` (firewall with UDP 500/4500 rules, NAT line, sendnotify and
//!   senddeletes true, heart=both, a continuation line); the Note's `show isakmp sa`,
//!   `show ipsec sa` and `show ip interface` tables exactly as its text shows them (tabs);
//!   `sh ipsec sa=0` detail with nested blocks; the policy counters typed twice in different
//!   spellings (the second output, with higher counts, wins); `show log`; pager prompts in the
//!   middle of the configuration and the counters; AlliedWare-like debug lines between
//!   commands and inside the ISAKMP SA table. No finding at all.
//! - `healthy-peer2.log`: Peer2, LF, `Manager Peer2>`; two-line `show isakmp sa` header with
//!   a debug line between its two lines, space-aligned tables of other widths, a debug line
//!   inside the IPsec SA table, empty `show isakmp exchange`, configuration in full keywords
//!   with continuation lines, ISAKMP and IPsec counters, bare `--More--` prompts, timestamped
//!   debug lines right after tables (no prompt in between). No finding.
//! - `show-debug-ipsec.txt`: a saved `show debug ipsec` (no prompts, CR LF): show system, show
//!   file, the configuration, buffer scan, CPU, log, exceptions, SA bundles, an empty IPsec SA
//!   table, counter displays, ENCO, the Note's unfinished SA in a two-line header layout, the
//!   stalled exchange, exchange and SA detail displays, ISAKMP counters, flash check.
//! - one capture per finding, showing that problem and (where the problem allows) only it:
//!   `phase1-not-established.log` (the Note's unfinished SA, tabs), `phase1-stalled.log` (the
//!   Note's `show isakmp exch`, typed twice, Cisco-style debug inside the table),
//!   `phase2-missing.log` (IPsec SA still CREATING, SPIs `-`, a policy name wider than its
//!   column, racoon-style debug), `isakmp-sa-accumulation.log` (four SAs to one peer),
//!   `router2-heartbeat-mismatch.log` (the Note's Router 2: accumulation plus aggressive mode
//!   without deletes), `policy-selection-ambiguous.log` (the Note's two `peer=any` policies),
//!   `aggressive-without-deletes.log` (the Note's Router 1, `natt=true` on a line of its own),
//!   `main-mode-without-notify.log` (capitals), `local-address-set.log`,
//!   `firewall-ike-blocked.log` (NAT-T on, only UDP 500 allowed), `permit-policy-not-last.log`
//!   (moved first by `pos=1`), `same-subnet.log`, `auth-failed.log`, `proposal-rejected.log`
//!   (racoon and pluto styles), `id-mismatch.log` (Cisco style), `bad-spi.log` (counters and
//!   debug), `retransmissions.log`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::prompt::PromptMatcher;
use tunnelscope::analyze::{analyze_bytes, analyze_files, Analysis, Analyzer, Options};
use tunnelscope::doctor::{Finding, Severity};
use tunnelscope::model::{DebugEvent, Limits, Phase};

const OPTS: Options = Options {
    keep_events: true,
    exchanges: true,
};

fn path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read_all(names: &[&str]) -> Analysis {
    let paths: Vec<PathBuf> = names.iter().map(|n| path(n)).collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    analyze_files(
        &refs,
        Classifier::builtin(),
        &PromptMatcher::default(),
        OPTS,
        None,
        |_, _| {},
    )
    .unwrap()
}

fn read(name: &str) -> Analysis {
    read_all(&[name])
}

fn codes(a: &Analysis) -> BTreeSet<&'static str> {
    a.findings.iter().map(|f| f.code).collect()
}

fn finding<'a>(a: &'a Analysis, code: &str) -> &'a Finding {
    a.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", a.findings))
}

/// The 1-based number of the first line of the fixture that contains `needle`.
fn line_of(name: &str, needle: &str) -> usize {
    let bytes = std::fs::read(path(name)).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    text.split('\n')
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in {name}"))
}

fn counter(a: &Analysis, command: &str, section: &str, name: &str) -> u64 {
    let found: Vec<u64> = a
        .state
        .snapshot
        .counters
        .iter()
        .filter(|c| c.command == command && c.section == section && c.name == name)
        .map(|c| c.value)
        .collect();
    assert_eq!(found.len(), 1, "{command} / {section} / {name}");
    found[0]
}

fn event<'a>(a: &'a Analysis, needle: &str) -> &'a DebugEvent {
    a.state
        .debug
        .events
        .iter()
        .find(|e| e.text.contains(needle))
        .unwrap_or_else(|| panic!("no event with {needle:?}"))
}

fn detail<'a>(a: &'a Analysis, command: &str, path: &str) -> &'a str {
    let d = a
        .state
        .snapshot
        .details
        .iter()
        .find(|d| d.command == command)
        .unwrap_or_else(|| panic!("no detail {command:?} in {:?}", a.state.snapshot.details));
    d.fields
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.value.as_str())
        .unwrap_or_else(|| panic!("no {path:?} in {command}"))
}

fn limits(hard: u64, soft: u64, used: u64) -> Limits {
    Limits {
        hard: Some(hard),
        soft: Some(soft),
        used: Some(used),
    }
}

const UNSET: Limits = Limits {
    hard: None,
    soft: None,
    used: None,
};

const ALL_FIXTURES: &[&str] = &[
    "healthy-peer1.log",
    "healthy-peer2.log",
    "show-debug-ipsec.txt",
    "phase1-not-established.log",
    "phase1-stalled.log",
    "phase2-missing.log",
    "isakmp-sa-accumulation.log",
    "router2-heartbeat-mismatch.log",
    "policy-selection-ambiguous.log",
    "aggressive-without-deletes.log",
    "main-mode-without-notify.log",
    "local-address-set.log",
    "firewall-ike-blocked.log",
    "permit-policy-not-last.log",
    "same-subnet.log",
    "auth-failed.log",
    "proposal-rejected.log",
    "id-mismatch.log",
    "bad-spi.log",
    "retransmissions.log",
];

// ---- the healthy tunnel, both ends ----------------------------------------------------------

#[test]
fn healthy_peer1_tables() {
    let name = "healthy-peer1.log";
    let a = read(name);
    let s = &a.state.snapshot;
    assert_eq!(s.system_name.as_deref(), Some("Peer1"));

    assert_eq!(s.ike_sas.len(), 1);
    let sa = &s.ike_sas[0];
    assert_eq!(sa.sa_id, 1);
    assert_eq!(sa.peer, "200.200.200.1");
    assert_eq!(sa.encryption.as_deref(), Some("3DES"));
    assert_eq!(sa.hash.as_deref(), Some("SHA"));
    assert_eq!(sa.bytes, UNSET);
    assert_eq!(sa.seconds, limits(86400, 82080, 970));
    assert!(sa.established);
    assert_eq!(sa.line, line_of(name, "200.200.200.1\t3DES"));

    assert!(s.seen.exchanges && s.exchanges.is_empty());

    assert_eq!(s.ipsec_sas.len(), 1);
    let ip = &s.ipsec_sas[0];
    assert_eq!(ip.sa_id, 0);
    assert_eq!(ip.policy, "wiz_Peer1 to Peer2");
    assert_eq!(ip.bundle, Some(0));
    assert_eq!(ip.state, "Valid");
    assert_eq!(ip.protocol, "ESP");
    assert_eq!(ip.out_spi, Some(1_612_248_718));
    assert_eq!(ip.in_spi, Some(992_095_719));

    let names: Vec<(&str, Option<&str>, Option<&str>)> = s
        .interfaces
        .iter()
        .map(|i| (i.name.as_str(), i.address.as_deref(), i.mask.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("LOCAL", None, None),
            ("eth0", Some("100.100.100.1"), Some("255.255.255.0")),
            ("vlan1", Some("192.168.1.1"), Some("255.255.255.0")),
        ]
    );
}

#[test]
fn healthy_peer1_counters_detail_and_log() {
    let a = read("healthy-peer1.log");
    let s = &a.state.snapshot;
    // Typed `Sh Ipsec Pol=".." Cou` then `sh ipsec policy=".." counters`: one command, and
    // the later output (after the ping) replaces the earlier one.
    let cmd = "show ipsec policy=\"wiz_Peer1 to Peer2\" counters";
    let out = "Outbound Packet Processing Counters";
    let inb = "Inbound Packet Processing Counters";
    assert_eq!(counter(&a, cmd, out, "outProcessDone"), 16);
    assert_eq!(counter(&a, cmd, out, "outProcessStarted"), 16);
    assert_eq!(counter(&a, cmd, out, "outBundleNotFound"), 0);
    assert_eq!(counter(&a, cmd, inb, "inProcessDone"), 16);
    assert_eq!(counter(&a, cmd, inb, "inBadSpiResponse"), 0);
    assert_eq!(s.counters.len(), 8);

    let d = "show ipsec sa=0";
    assert_eq!(detail(&a, d, "Policy"), "wiz_Peer1 to Peer2");
    assert_eq!(detail(&a, d, "Outbound SPI"), "1612248718");
    assert_eq!(detail(&a, d, "Mode"), "UDP_ENCAP_TUNNEL");
    assert_eq!(detail(&a, d, "NAT Traversal / Remote port"), "4500");
    assert_eq!(
        detail(&a, d, "Filters / Remote address"),
        "192.168.2.0 - 192.168.2.255"
    );

    assert_eq!(s.log.len(), 4);
    let first = &s.log[0];
    assert_eq!(first.time, "26 10:31:02");
    assert_eq!(first.module, "ISAK");
    assert_eq!(first.kind, "IKE");
    assert_eq!(first.severity, "3");
    // The wrapped message is joined to its entry.
    assert_eq!(
        first.message,
        "Phase 1 Main mode exchange 352 with 200.200.200.1 started"
    );
}

#[test]
fn healthy_peer1_configuration() {
    let a = read("healthy-peer1.log");
    let c = &a.state.snapshot.config;
    assert_eq!(c.ike_policies.len(), 1);
    let ike = &c.ike_policies[0];
    assert_eq!(ike.name, "isakmp");
    // `pe=` and the rest as the router abbreviates them in its own configuration.
    assert_eq!(ike.peer.as_deref(), Some("200.200.200.1"));
    assert_eq!(ike.key.as_deref(), Some("1"));
    assert_eq!(ike.natt, Some(true));
    assert_eq!(ike.sendnotify, Some(true));
    assert_eq!(ike.senddeletes, Some(true));
    assert_eq!(ike.heart.as_deref(), Some("both"));
    assert_eq!(c.isakmp_enabled, Some(true));
    assert_eq!(c.ipsec_enabled, Some(true));
    assert_eq!(c.ip_local, None);

    let order: Vec<&str> = c.ipsec_policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(order, ["wiz_Peer1 to Peer2", "internet"]);
    let vpn = &c.ipsec_policies[0];
    assert_eq!(vpn.interface.as_deref(), Some("eth0"));
    assert!(vpn.is_ipsec());
    assert_eq!(vpn.peer.as_deref(), Some("200.200.200.1"));
    assert_eq!(vpn.isakmp_policy.as_deref(), Some("isakmp"));
    assert_eq!(vpn.laddress.as_deref(), Some("192.168.1.0"));
    assert_eq!(vpn.lmask.as_deref(), Some("255.255.255.0"));
    assert_eq!(vpn.raddress.as_deref(), Some("192.168.2.0"));
    // From the continuation line.
    assert_eq!(vpn.rmask.as_deref(), Some("255.255.255.0"));
    assert_eq!(vpn.respondbadspi, Some(true));
    assert!(c.ipsec_policies[1].is_permit());

    assert!(c.firewall_enabled);
    assert_eq!(c.firewall_policies.len(), 1);
    let fw = &c.firewall_policies[0];
    assert_eq!(fw.name, "net");
    // The NAT line (`nat=enhanced int=vlan1 gblin=eth0`) attaches nothing.
    let ifs: Vec<(&str, &str)> = fw
        .interfaces
        .iter()
        .map(|i| (i.interface.as_str(), i.kind.as_str()))
        .collect();
    assert_eq!(ifs, [("vlan1", "private"), ("eth0", "public")]);
    let ids: Vec<Option<u32>> = fw.rules.iter().map(|r| r.id).collect();
    assert_eq!(ids, [Some(1), Some(2), Some(3), Some(4)]);
    assert_eq!(fw.rules[1].protocol.as_deref(), Some("udp"));
    assert_eq!(fw.rules[1].port.as_deref(), Some("4500"));
    assert_eq!(fw.rules[1].gblport.as_deref(), Some("4500"));
    // `set firewall ... ru=3 rem=...` changes rule 3 in place.
    assert_eq!(
        fw.rules[2].remoteip.as_deref(),
        Some("192.168.2.1-192.168.2.254")
    );
    assert_eq!(fw.rules[3].encapsulation.as_deref(), Some("ips"));
}

#[test]
fn healthy_peer1_debug_stream() {
    let name = "healthy-peer1.log";
    let a = read(name);
    let d = &a.state.debug;
    assert_eq!(d.lines, 12);
    assert_eq!(d.failures, 0);
    assert_eq!(d.count(Phase::One), 6);
    assert_eq!(d.count(Phase::Two), 3);
    assert_eq!(d.count(Phase::Info), 3);
    assert_eq!(d.count(Phase::OneAndHalf) + d.count(Phase::None), 0);
    // A debug line in the middle of the ISAKMP SA table leaves the table whole.
    let mid = event(&a, "ID and HASH payloads sent, state AUTHSENT");
    assert_eq!(mid.phase, Phase::One);
    assert_eq!(mid.line, line_of(name, "state AUTHSENT"));
    assert_eq!(mid.exchange.exchange_id, Some(352));
    for (needle, phase) in [
        ("MAIN mode initiator", Phase::One),
        ("state KESENT", Phase::One),
        ("Initial Contact notify", Phase::Info),
        ("Heartbeat received", Phase::Info),
        ("QUICK mode initiator", Phase::Two),
        ("WAIT_HASH_SA_NONCE", Phase::Two),
        ("IPsec SA bundle 0 created", Phase::Two),
    ] {
        let e = event(&a, needle);
        assert_eq!(e.phase, phase, "{needle}");
        assert_eq!(e.line, line_of(name, needle), "{needle}");
    }
    // The pager prompts never reach a table or the debug stream.
    assert!(a.state.pager_prompts >= 2);
    assert!(d.events.iter().all(|e| !e.text.contains("More")));
}

#[test]
fn healthy_captures_have_no_findings() {
    for name in ["healthy-peer1.log", "healthy-peer2.log"] {
        let a = read(name);
        assert!(a.findings.is_empty(), "{name}: {:#?}", a.findings);
    }
}

#[test]
fn healthy_peer2_mirrors_peer1() {
    let name = "healthy-peer2.log";
    let a = read(name);
    let p1 = read("healthy-peer1.log");
    let s = &a.state.snapshot;
    assert_eq!(s.system_name.as_deref(), Some("Peer2"));

    // Two-line header: Bytes and Seconds under `Expiry Limits`.
    assert_eq!(s.ike_sas.len(), 1);
    let sa = &s.ike_sas[0];
    assert_eq!((sa.sa_id, sa.peer.as_str()), (2, "100.100.100.1"));
    assert_eq!(sa.bytes, UNSET);
    assert_eq!(sa.seconds, limits(86400, 82080, 975));
    assert!(sa.established);

    // The OutSPI on one peer is the InSPI on the other.
    let (here, there) = (&s.ipsec_sas[0], &p1.state.snapshot.ipsec_sas[0]);
    assert_eq!(here.sa_id, 3);
    assert_eq!(here.policy, there.policy);
    assert_eq!(here.out_spi, there.in_spi);
    assert_eq!(here.in_spi, there.out_spi);

    assert!(s.seen.exchanges && s.exchanges.is_empty());

    let general = "ISAKMP General Counters";
    let isakmp = "show isakmp counters";
    assert_eq!(counter(&a, isakmp, general, "badSpiRequests"), 0);
    assert_eq!(counter(&a, isakmp, general, "retryIkeAttemptsPh1"), 0);
    // The pair after the bare `--More--` is kept.
    assert_eq!(counter(&a, isakmp, general, "exchangesCompleted"), 4);
    assert_eq!(
        counter(&a, isakmp, "ISAKMP SPD Counters", "getPolicyGood"),
        6
    );
    let ipsec = "show ipsec counters";
    assert_eq!(
        counter(&a, ipsec, "IPSEC General Counters", "ipsecPacketsOut"),
        809
    );

    let c = &s.config;
    let ike = &c.ike_policies[0];
    assert_eq!(ike.peer.as_deref(), Some("100.100.100.1"));
    assert_eq!(ike.mode.as_deref(), Some("main"));
    let vpn = &c.ipsec_policies[0];
    // Full keywords, continued on indented lines; local and remote mirror Peer1's.
    assert_eq!(vpn.peer.as_deref(), Some("100.100.100.1"));
    assert_eq!(vpn.isakmp_policy.as_deref(), Some("isakmp"));
    let p1vpn = &p1.state.snapshot.config.ipsec_policies[0];
    assert_eq!(vpn.laddress, p1vpn.raddress);
    assert_eq!(vpn.raddress, p1vpn.laddress);
    assert_eq!(vpn.rmask.as_deref(), Some("255.255.255.0"));
    let fw = &c.firewall_policies[0];
    assert_eq!(fw.rules.len(), 4);
    assert_eq!(fw.rules[0].ip.as_deref(), Some("200.200.200.1"));
    assert_eq!(
        fw.rules[3].remoteip.as_deref(),
        Some("192.168.1.1-192.168.1.254")
    );

    let eth0 = s.interfaces.iter().find(|i| i.name == "eth0").unwrap();
    assert_eq!(eth0.address.as_deref(), Some("200.200.200.1"));
    assert_eq!(s.interfaces.len(), 3);

    // Debug lines between the two header lines, inside the IPsec SA table and right after
    // a table (no prompt between) all leave their tables whole.
    let d = &a.state.debug;
    assert_eq!(d.lines, 5);
    assert_eq!(d.count(Phase::Info), 4);
    assert_eq!(d.count(Phase::Two), 1);
    for needle in ["R-U-THERE sent", "R-U-THERE-ACK", "with SPI 1612248718"] {
        assert_eq!(event(&a, needle).line, line_of(name, needle), "{needle}");
    }
    assert_eq!(event(&a, "with SPI 1612248718").phase, Phase::Two);
}

// ---- a saved `show debug ipsec` --------------------------------------------------------------

#[test]
fn show_debug_ipsec_without_prompts() {
    let name = "show-debug-ipsec.txt";
    let a = read(name);
    let s = &a.state.snapshot;

    assert_eq!(s.ike_sas.len(), 1);
    let sa = &s.ike_sas[0];
    assert_eq!((sa.sa_id, sa.peer.as_str()), (1, "200.200.200.1"));
    assert_eq!((sa.encryption.as_deref(), sa.hash.as_deref()), (None, None));
    assert_eq!(sa.bytes, limits(0, 0, 0));
    assert_eq!(sa.seconds, limits(0, 0, 0));
    assert!(!sa.established);

    assert_eq!(s.exchanges.len(), 1);
    let x = &s.exchanges[0];
    assert_eq!(
        (
            x.id,
            x.phase.as_str(),
            x.state.as_str(),
            x.peer.as_str(),
            x.kind.as_str()
        ),
        (348, "1", "SASENT", "200.200.200.1", "MAIN")
    );
    assert_eq!(x.line, line_of(name, " 348    1"));

    // The empty IPsec SA table was seen.
    assert!(s.seen.ipsec_sas && s.ipsec_sas.is_empty());

    // The configuration, found by its section comments.
    let c = &s.config;
    assert_eq!(c.ike_policies[0].peer.as_deref(), Some("200.200.200.1"));
    assert_eq!(c.ike_policies[0].heart.as_deref(), Some("both"));
    assert_eq!(c.ipsec_policies.len(), 2);
    assert_eq!(c.firewall_policies[0].rules.len(), 3);

    // Counter displays one after another, kept by section.
    let policy = "counters: IPSEC SA Counters";
    assert_eq!(
        counter(
            &a,
            policy,
            "Outbound Packet Processing Counters",
            "outBundleNotFound"
        ),
        5
    );
    assert_eq!(counter(&a, policy, "IPSEC General Counters", "inBadSpi"), 0);
    assert_eq!(
        counter(
            &a,
            "counters: ISAKMP General Counters",
            "ISAKMP General Counters",
            "retryIkeAttemptsPh1"
        ),
        3
    );
    assert_eq!(
        counter(
            &a,
            "counters: ENCO Counters",
            "ENCO Counters",
            "decryptDone"
        ),
        0
    );

    // Detail displays, each under its own title: none of their fields is debug text (a
    // `Retransmission count` field is not a retransmission).
    let xd = "ISAKMP Exchange Details (Id 348)";
    assert_eq!(detail(&a, xd, "Retransmission count"), "3");
    assert_eq!(detail(&a, xd, "State"), "SASENT");
    let sd = "ISAKMP SA Details (SA Id 1)";
    assert_eq!(detail(&a, sd, "Initiator cookie"), "5A3B0F29C64E1D07");
    assert!(a
        .state
        .debug
        .events
        .iter()
        .all(|e| !e.text.contains("....")));

    assert_eq!(s.log.len(), 3);
    assert_eq!(
        s.log[1].message,
        "Exchange 348 message retransmitted to 200.200.200.1"
    );

    assert_eq!(
        codes(&a),
        BTreeSet::from(["phase1-not-established", "phase1-stalled"])
    );
    assert_eq!(a.state.debug.failures, 0);
}

#[test]
fn show_debug_ipsec_typed_at_a_prompt_reads_like_the_saved_file() {
    // The same output as a terminal log records it: the command on the (blank) first line,
    // a prompt after it. Line numbers stay the same, and so must every table.
    let saved = std::fs::read(path("show-debug-ipsec.txt")).unwrap();
    let mut typed = b"Manager Peer1> show debug ipsec".to_vec();
    typed.extend_from_slice(&saved);
    typed.extend_from_slice(b"Manager Peer1> ");
    let a = analyze_bytes(&saved, Classifier::builtin(), OPTS);
    let b = analyze_bytes(&typed, Classifier::builtin(), OPTS);
    let (sa, sb) = (&a.state.snapshot, &b.state.snapshot);
    assert_eq!(sa.ike_sas, sb.ike_sas);
    assert_eq!(sa.exchanges, sb.exchanges);
    assert_eq!(sa.ipsec_sas, sb.ipsec_sas);
    assert_eq!(sa.counters, sb.counters);
    assert_eq!(sa.config, sb.config);
    assert_eq!(sa.log, sb.log);
    assert_eq!(sa.details, sb.details);
    assert_eq!(a.findings, b.findings);
    // What no parser reads stays with the command instead of becoming debug lines.
    assert_eq!(b.state.debug.lines, 0);
    assert_eq!(sb.raw.len(), 1);
    assert_eq!(sb.raw[0].command, "show debug ipsec");
    assert!(sb.raw[0]
        .lines
        .iter()
        .any(|l| l.contains("Router System Status")));
}

// ---- one capture per finding ------------------------------------------------------------------

/// The codes a capture produces, each with the severity it must have.
fn expect(name: &str, wanted: &[(&str, Severity)]) -> Analysis {
    let a = read(name);
    let got: BTreeSet<&str> = codes(&a);
    let want: BTreeSet<&str> = wanted.iter().map(|(c, _)| *c).collect();
    assert_eq!(got, want, "{name}: {:#?}", a.findings);
    for (code, sev) in wanted {
        for f in a.findings.iter().filter(|f| f.code == *code) {
            assert_eq!(f.severity, *sev, "{name}: {code}");
            assert!(!f.summary.is_empty() && !f.advice.is_empty() && !f.evidence.is_empty());
        }
    }
    a
}

#[test]
fn phase1_not_established() {
    let name = "phase1-not-established.log";
    let a = expect(name, &[("phase1-not-established", Severity::Error)]);
    let sa = &a.state.snapshot.ike_sas[0];
    assert_eq!(sa.bytes, limits(0, 0, 0));
    assert_eq!(sa.seconds, limits(0, 0, 0));
    assert_eq!(sa.encryption, None);
    let f = finding(&a, "phase1-not-established");
    let row = line_of(name, "1\t200.200.200.1");
    assert_eq!(
        f.evidence,
        [format!(
            "show isakmp sa, line {row}: SA 1 to 200.200.200.1, EncA. -, HashA. -, limits 0/0/0"
        )]
    );
}

#[test]
fn phase1_stalled_last_output_wins() {
    let name = "phase1-stalled.log";
    let a = expect(name, &[("phase1-stalled", Severity::Error)]);
    let x = &a.state.snapshot.exchanges;
    // The second `show isakmp exchange` replaced the first (348).
    let ids: Vec<u32> = x.iter().map(|e| e.id).collect();
    assert_eq!(ids, [350, 351]);
    assert_eq!(x[1].state, "WAIT_HASH");
    assert_eq!(x[1].kind, "QUICK");
    assert_eq!(x[1].phase, "2");
    assert!(finding(&a, "phase1-stalled").summary.contains("350"));
    // The Cisco-style line inside the table went to the debug stream.
    let e = event(&a, "New State = IKE_I_MM1");
    assert_eq!(e.phase, Phase::One);
    assert_eq!(e.line, line_of(name, "New State = IKE_I_MM1"));
    assert_eq!(event(&a, "MM_NO_STATE").phase, Phase::One);
}

#[test]
fn phase2_missing() {
    let name = "phase2-missing.log";
    let a = expect(name, &[("phase2-missing", Severity::Error)]);
    let ip = &a.state.snapshot.ipsec_sas;
    assert_eq!(ip.len(), 1);
    assert_eq!(ip[0].sa_id, 4);
    // Wider than its column: cut by the row's shape instead.
    assert_eq!(ip[0].policy, "wiz_Peer1 to Peer2 backup");
    assert_eq!(ip[0].bundle, Some(1));
    assert_eq!(ip[0].state, "CREATING");
    assert_eq!((ip[0].out_spi, ip[0].in_spi), (None, None));
    let sa = &a.state.snapshot.ike_sas[0];
    assert_eq!(sa.seconds, limits(28800, 27360, 122));
    assert_eq!(sa.encryption.as_deref(), Some("DES"));
    assert_eq!(sa.hash.as_deref(), Some("MD5"));
    let f = finding(&a, "phase2-missing");
    assert!(f.summary.contains("\"wiz_Peer1 to Peer2 backup\""));
    assert!(f.evidence.iter().any(|e| e.contains("CREATING")));
    let e = event(&a, "initiate new phase 2 negotiation");
    assert_eq!(e.phase, Phase::Two);
    assert_eq!(event(&a, "begin Quick Mode").phase, Phase::Two);
}

#[test]
fn isakmp_sa_accumulation() {
    let a = expect(
        "isakmp-sa-accumulation.log",
        &[("isakmp-sa-accumulation", Severity::Error)],
    );
    let ids: Vec<u32> = a.state.snapshot.ike_sas.iter().map(|s| s.sa_id).collect();
    assert_eq!(ids, [5, 6, 7, 8]);
    let used: Vec<Option<u64>> = a
        .state
        .snapshot
        .ike_sas
        .iter()
        .map(|s| s.seconds.used)
        .collect();
    assert_eq!(used, [Some(80012), Some(61211), Some(40015), Some(1207)]);
    assert_eq!(
        finding(&a, "isakmp-sa-accumulation").summary,
        "4 ISAKMP SAs to 200.200.200.2 (SAs 5, 6, 7, 8)"
    );
    // The Note's Peer2 row, tabs and all.
    let ip = &a.state.snapshot.ipsec_sas[0];
    assert_eq!(
        (ip.sa_id, ip.out_spi, ip.in_spi),
        (3, Some(992_095_719), Some(1_612_248_718))
    );
}

#[test]
fn router2_heartbeat_mismatch() {
    let a = expect(
        "router2-heartbeat-mismatch.log",
        &[
            ("isakmp-sa-accumulation", Severity::Error),
            ("aggressive-without-deletes", Severity::Warning),
        ],
    );
    let p = &a.state.snapshot.config.ike_policies[0];
    assert_eq!(p.heart.as_deref(), Some("none"));
    assert_eq!(p.senddeletes, Some(false));
    assert_eq!(p.remoteid.as_deref(), Some("ARRouter1"));
    assert!(finding(&a, "isakmp-sa-accumulation")
        .advice
        .contains("policy isakmp: aggressive mode"));
}

#[test]
fn policy_selection_ambiguous() {
    let a = expect(
        "policy-selection-ambiguous.log",
        &[("policy-selection-ambiguous", Severity::Warning)],
    );
    let ps = &a.state.snapshot.config.ike_policies;
    let names: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["isakmp", "isakmp2"]);
    for p in ps {
        assert_eq!(p.peer.as_deref(), Some("any"));
        assert_eq!(p.encalg.as_deref(), Some("3desouter"));
        assert_eq!(p.natt, Some(true));
    }
    assert_eq!(ps[1].key.as_deref(), Some("2"));
    assert_eq!(ps[1].heart.as_deref(), Some("none"));
    assert_eq!(ps[1].localid.as_deref(), Some("example2"));
    assert_eq!(a.state.snapshot.config.isakmp_enabled, Some(true));
    assert!(finding(&a, "policy-selection-ambiguous")
        .summary
        .ends_with("isakmp always wins"));
}

#[test]
fn aggressive_without_deletes() {
    let a = expect(
        "aggressive-without-deletes.log",
        &[("aggressive-without-deletes", Severity::Warning)],
    );
    let p = &a.state.snapshot.config.ike_policies[0];
    assert_eq!(p.mode.as_deref(), Some("aggressive"));
    // `natt=true` on a line of its own still belongs to the create command.
    assert_eq!(p.natt, Some(true));
    assert_eq!(p.sendnotify, Some(true));
    assert_eq!(p.senddeletes, Some(false));
    assert_eq!(a.state.debug.lines, 0);
}

#[test]
fn main_mode_without_notify() {
    let a = expect(
        "main-mode-without-notify.log",
        &[("main-mode-without-notify", Severity::Warning)],
    );
    let p = &a.state.snapshot.config.ike_policies[0];
    assert_eq!(p.name, "vpn");
    assert_eq!(p.mode, None);
    assert_eq!(p.encalg.as_deref(), Some("3DESOUTER"));
    assert_eq!(p.senddeletes, Some(true));
    assert_eq!(p.sendnotify, None);
    assert_eq!(a.state.snapshot.system_name.as_deref(), Some("Branch7"));
}

#[test]
fn local_address_set() {
    let name = "local-address-set.log";
    let a = expect(name, &[("local-address-set", Severity::Error)]);
    let local = &a.state.snapshot.interfaces[0];
    assert_eq!(local.name, "LOCAL");
    assert_eq!(local.address.as_deref(), Some("10.1.1.1"));
    assert_eq!(local.mask.as_deref(), Some("255.255.255.255"));
    assert_eq!(
        a.state.snapshot.config.ip_local.as_deref(),
        Some("10.1.1.1")
    );
    let f = finding(&a, "local-address-set");
    let row = line_of(name, "LOCAL ");
    assert_eq!(
        f.evidence[0],
        format!("show ip interface, line {row}: LOCAL, IP address 10.1.1.1, mask 255.255.255.255")
    );
}

#[test]
fn firewall_ike_blocked() {
    let a = expect(
        "firewall-ike-blocked.log",
        &[("firewall-ike-blocked", Severity::Error)],
    );
    assert_eq!(
        finding(&a, "firewall-ike-blocked").summary,
        "No firewall rule lets IKE in: UDP 4500 on eth0 (policy net)"
    );
    // `hea=` is short for heartbeat mode.
    let p = &a.state.snapshot.config.ike_policies[0];
    assert_eq!(p.heart.as_deref(), Some("both"));
}

#[test]
fn permit_policy_not_last() {
    let a = expect(
        "permit-policy-not-last.log",
        &[("permit-policy-not-last", Severity::Warning)],
    );
    let ps = &a.state.snapshot.config.ipsec_policies;
    let order: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(order, ["internet", "wiz_Peer1 to Peer2"]);
    assert_eq!(ps[0].position, Some(1));
    assert_eq!(
        finding(&a, "permit-policy-not-last").summary,
        "IPsec permit policy \"internet\" on eth0 is followed by \"wiz_Peer1 to Peer2\""
    );
}

#[test]
fn same_subnet() {
    let a = expect("same-subnet.log", &[("same-subnet", Severity::Error)]);
    let p = &a.state.snapshot.config.ipsec_policies[0];
    assert_eq!(p.raddress.as_deref(), Some("192.168.1.100-192.168.1.150"));
    assert!(finding(&a, "same-subnet").summary.contains(
        "192.168.1.0-192.168.1.255 overlap remote addresses 192.168.1.100-192.168.1.150"
    ));
}

#[test]
fn auth_failed() {
    let name = "auth-failed.log";
    let a = expect(name, &[("auth-failed", Severity::Error)]);
    let e = event(&a, "AUTHENTICATION-FAILED");
    assert_eq!(e.phase, Phase::One);
    assert!(e.failure);
    assert_eq!(e.exchange.peer.as_deref(), Some("200.200.200.1"));
    assert_eq!(e.exchange.exchange_id, Some(360));
    assert_eq!(event(&a, "state KERECV").phase, Phase::One);
    assert_eq!(event(&a, "Exchange 360: deleted").phase, Phase::Info);
    let f = finding(&a, "auth-failed");
    assert_eq!(
        f.evidence,
        [format!(
            "debug line {}: {}",
            line_of(name, "AUTHENTICATION-FAILED"),
            e.text
        )]
    );
    assert_eq!(a.state.debug.failures, 1);
}

#[test]
fn proposal_rejected() {
    let a = expect(
        "proposal-rejected.log",
        &[("proposal-rejected", Severity::Error)],
    );
    // racoon's line names no phase, but it comes in the phase 1 negotiation racoon began
    // (the exchange tracker places it there); pluto's says IPsec SA: one finding for each.
    let summaries: Vec<&str> = a.findings.iter().map(|f| f.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "A phase 1 proposal was rejected (1 debug line)",
            "A phase 2 proposal was rejected (1 debug line)"
        ]
    );
    assert_eq!(
        event(&a, "begin Identity Protection mode").phase,
        Phase::One
    );
    assert_eq!(event(&a, "phase1 negotiation failed").phase, Phase::One);
    assert!(event(&a, "no suitable proposal found").failure);
    assert_eq!(
        event(&a, "no acceptable Proposal in IPsec SA").phase,
        Phase::Two
    );
    assert_eq!(a.state.debug.failures, 4);
}

#[test]
fn id_mismatch() {
    let a = expect("id-mismatch.log", &[("id-mismatch", Severity::Error)]);
    assert_eq!(event(&a, "beginning Quick Mode exchange").phase, Phase::Two);
    let e = event(&a, "INVALID_ID_INFO");
    assert!(e.failure);
    assert_eq!(e.phase, Phase::Info);
    assert_eq!(event(&a, "paranoid keepalives").phase, Phase::Info);
}

#[test]
fn bad_spi() {
    let name = "bad-spi.log";
    let a = expect(name, &[("bad-spi", Severity::Warning)]);
    let cmd = "show ipsec policy=\"wiz_Peer1 to Peer2\" counters";
    let inb = "Inbound Packet Processing Counters";
    assert_eq!(counter(&a, cmd, inb, "inBadSpiResponse"), 7);
    // The counter after the debug line that interrupted the display is still in its section.
    assert_eq!(counter(&a, cmd, inb, "inSaNotValid"), 0);
    let general = "show isakmp counters=general";
    assert_eq!(
        counter(&a, general, "ISAKMP General Counters", "badSpiRequests"),
        4
    );
    assert_eq!(
        counter(&a, general, "ISAKMP General Counters", "badSpiInAggrMode"),
        0
    );
    let e = event(&a, "unknown SPI 3735928559");
    assert_eq!(e.line, line_of(name, "unknown SPI 3735928559"));
    assert!(e.failure);
    assert_eq!(e.phase, Phase::Two);
    let f = finding(&a, "bad-spi");
    assert!(f.summary.contains("inBadSpiResponse 7"));
    assert!(f.summary.contains("2 debug lines"));
}

#[test]
fn retransmissions() {
    let a = expect(
        "retransmissions.log",
        &[("retransmissions", Severity::Warning)],
    );
    assert!(a.state.snapshot.seen.ike_sas && a.state.snapshot.ike_sas.is_empty());
    let f = finding(&a, "retransmissions");
    assert!(f.summary.contains("with 200.200.200.1 (3 debug lines)"));
    assert!(f.advice.contains("ping 200.200.200.1"));
    assert_eq!(event(&a, "STATE_MAIN_I1").phase, Phase::One);
    // A line that names only its exchange gets no phase from the line alone.
    assert_eq!(event(&a, "attempt 2").phase, Phase::None);
}

// ---- properties of the whole set ----------------------------------------------------------------

/// What a reading produced, comparable across ways of reading.
fn outcome(a: &Analysis) -> String {
    format!(
        "{:?}\n{:?}\n{:?}",
        a.state.snapshot, a.state.debug, a.findings
    )
}

#[test]
fn any_chunking_reads_alike() {
    for name in ALL_FIXTURES {
        let bytes = std::fs::read(path(name)).unwrap();
        let whole = outcome(&analyze_bytes(&bytes, Classifier::builtin(), OPTS));
        for size in [1, 2, 7, 64, 1000] {
            let mut r = Analyzer::new(Classifier::builtin(), PromptMatcher::default(), OPTS);
            for piece in bytes.chunks(size) {
                r.feed(piece);
            }
            assert_eq!(outcome(&r.finish()), whole, "{name} in pieces of {size}");
        }
    }
}

#[test]
fn crlf_and_lf_read_alike() {
    for name in ALL_FIXTURES {
        let bytes = std::fs::read(path(name)).unwrap();
        let lf: Vec<u8> = String::from_utf8_lossy(&bytes)
            .replace("\r\n", "\n")
            .into_bytes();
        let crlf: Vec<u8> = String::from_utf8_lossy(&lf)
            .replace('\n', "\r\n")
            .into_bytes();
        let a = analyze_bytes(&lf, Classifier::builtin(), OPTS);
        let b = analyze_bytes(&crlf, Classifier::builtin(), OPTS);
        assert_eq!(outcome(&a), outcome(&b), "{name}");
    }
}

#[test]
fn fixtures_leave_nothing_unparsed() {
    // Only the router's `Info (...): Operation successful.` answers to commands tunnelscope has
    // no parser for are kept as text.
    for name in ALL_FIXTURES {
        let a = read(name);
        for raw in &a.state.snapshot.raw {
            let text: Vec<&str> = raw
                .lines
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect();
            assert!(
                raw.command.contains("debug") && text.iter().all(|l| l.starts_with("Info (")),
                "{name}: {raw:?}"
            );
        }
    }
}

#[test]
fn later_files_replace_earlier_tables() {
    let a = read_all(&["healthy-peer1.log", "phase1-not-established.log"]);
    let sas = &a.state.snapshot.ike_sas;
    assert_eq!(sas.len(), 1);
    assert!(!sas[0].established);
    // The IPsec SA table was read again (empty); the counters and interfaces were not.
    assert!(a.state.snapshot.ipsec_sas.is_empty());
    assert_eq!(a.state.snapshot.counters.len(), 8);
    assert_eq!(a.state.snapshot.interfaces.len(), 3);
    // `show config dynamic=isakmp` replaced only the ISAKMP part of Peer1's configuration.
    assert_eq!(a.state.snapshot.config.ipsec_policies.len(), 2);
    assert_eq!(codes(&a), BTreeSet::from(["phase1-not-established"]));
    assert_eq!(a.files.len(), 2);
}

#[test]
fn evidence_from_several_files_names_the_file() {
    let a = read_all(&["bad-spi.log", "proposal-rejected.log"]);
    assert_eq!(codes(&a), BTreeSet::from(["bad-spi", "proposal-rejected"]));
    // Both files have a failure on line 9: each is quoted with its file.
    let spi = path("bad-spi.log").display().to_string();
    let prop = path("proposal-rejected.log").display().to_string();
    let ev = &finding(&a, "bad-spi").evidence;
    assert!(
        ev.iter()
            .any(|e| e.starts_with(&format!("debug line 9 of {spi}: "))),
        "{ev:?}"
    );
    let phase2 = a
        .findings
        .iter()
        .find(|f| f.summary.starts_with("A phase 2 proposal"))
        .unwrap();
    assert_eq!(
        phase2.evidence,
        [format!(
            "debug line 9 of {prop}: \"wiz\" #2: no acceptable Proposal in IPsec SA"
        )]
    );
    let text = tunnelscope::analyze::report::render(&a);
    assert!(text.contains(&format!("{prop}:9  [2]")), "{text}");
}

// ---- garbage ------------------------------------------------------------------------------------

/// xorshift64*: reproducible noise without a dependency.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        out.extend_from_slice(&seed.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

#[test]
fn garbage_never_panics() {
    let classifier = Classifier::builtin();
    let empty = analyze_bytes(b"", classifier, OPTS);
    assert_eq!(empty.lines, 0);
    assert!(empty.findings.is_empty() && empty.state.debug.lines == 0);

    let only_cr = analyze_bytes(&vec![b'\r'; 100_000], classifier, OPTS);
    assert_eq!(only_cr.state.debug.lines, 0);
    assert!(only_cr.findings.is_empty());

    for seed in 1..=8u64 {
        let a = analyze_bytes(&noise(200_000, seed), classifier, OPTS);
        assert_eq!(a.bytes, 200_000);
    }

    // Binary with the shape of an executable: NULs, escapes, stray text.
    let mut binary = b"\x7fELF\x02\x01\x01\0\0\0".to_vec();
    for i in 0..50_000u32 {
        binary.extend_from_slice(&i.to_le_bytes());
        if i % 97 == 0 {
            binary.extend_from_slice(b"\x1b[2J\x1b]0;title\x07SecOff Peer1> sh isa sa\r\n");
        }
    }
    let _ = analyze_bytes(&binary, classifier, OPTS);

    // One line of 10 MB: delivered in bounded pieces, never held whole.
    let long = vec![b'x'; 10 << 20];
    let a = analyze_bytes(&long, classifier, OPTS);
    assert!(a.state.debug.lines >= 10 * 16, "{}", a.state.debug.lines);
    assert!(a
        .state
        .debug
        .events
        .iter()
        .all(|e| e.text.len() <= 64 * 1024));
}

#[test]
fn tables_cut_short_or_torn_never_panic() {
    // Every prefix of a capture: a file cut off anywhere still reads.
    let bytes = std::fs::read(path("healthy-peer2.log")).unwrap();
    for end in (0..bytes.len()).step_by(37) {
        let _ = analyze_bytes(&bytes[..end], Classifier::builtin(), OPTS);
    }
}
