//! Both simulated peers of one network, read through the real pipeline (console text ->
//! reader -> parsers -> `Snapshot`), then compared: the How To Note's working pair is healthy,
//! and each mutation of it gives the fact it should, with both ends' evidence.

use super::*;
use crate::alliedware::debug::Classifier;
use crate::analyze::{analyze_bytes, Options as ReadOptions};
use crate::model::{Counter, CounterView, PingTally};
use crate::sim::console::PAGER;
use crate::sim::scenario::{PEERS, POLICY};
use crate::sim::{Console, ConsoleConfig, Network, Scenario, Start};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const READ: [&str; 5] = [
    "show isakmp sa",
    "show isakmp exchange",
    "show ipsec sa",
    "show config dynamic",
    "show ip interface",
];

fn counters_cmd() -> String {
    format!("show ipsec policy=\"{POLICY}\" counters")
}

/// Type `cmds` at peer `p`'s console at time `t` and read the text back into a snapshot.
fn read(net: &Arc<Mutex<Network>>, p: usize, cmds: &[&str], t: u64) -> Snapshot {
    let mut con = Console::new(net.clone(), p, Start::SecOff, ConsoleConfig::default());
    let mut out = con.take_output(usize::MAX);
    for cmd in cmds {
        con.input(format!("{cmd}\r").as_bytes(), Duration::from_secs(t));
        out.extend(con.take_output(usize::MAX));
        // Answer the pager as the session driver does.
        while String::from_utf8_lossy(&out).ends_with(PAGER) {
            con.input(b"c", Duration::from_secs(t));
            out.extend(con.take_output(usize::MAX));
        }
    }
    let a = analyze_bytes(&out, Classifier::builtin(), ReadOptions::default());
    a.state.snapshot
}

/// Both peers' snapshots of a scenario after `wait` seconds.
fn both(s: Scenario, wait: u64) -> (Arc<Mutex<Network>>, [Snapshot; 2]) {
    let net = Arc::new(Mutex::new(Network::new(s)));
    if let Ok(mut n) = net.lock() {
        n.advance(Duration::from_secs(wait));
    }
    let a = read(&net, 0, &READ, wait);
    let b = read(&net, 1, &READ, wait);
    (net, [a, b])
}

fn policy_counters(s: &Snapshot) -> Vec<Counter> {
    let cmd = counters_cmd();
    s.counters
        .iter()
        .filter(|c| c.command == cmd)
        .cloned()
        .collect()
}

fn tunnel(snaps: &[Snapshot; 2]) -> Tunnel {
    examine(
        &End::new(PEERS[0].name, &snaps[0]),
        &End::new(PEERS[1].name, &snaps[1]),
    )
}

fn codes(t: &Tunnel) -> Vec<&'static str> {
    t.facts.iter().map(|f| f.kind.code()).collect()
}

#[test]
fn how_to_note_pair_is_healthy() {
    let (_, snaps) = both(Scenario::Healthy, 5);
    assert_eq!(snaps[0].system_name.as_deref(), Some("Peer1"));
    assert!(snaps[1].config.ipsec_policies[0].sa_specs.len() == 1);
    let t = tunnel(&snaps);
    assert!(t.healthy(), "{:#?}", t.facts);
    assert_eq!(t.ipsec_pairs.len(), 1);
    let p = &t.ipsec_pairs[0];
    assert!(p.paired);
    assert_eq!(
        (p.a_out_spi, p.a_in_spi, p.b_out_spi, p.b_in_spi),
        (
            Some(1_612_248_718),
            Some(992_095_719),
            Some(992_095_719),
            Some(1_612_248_718)
        )
    );
    assert_eq!(t.isakmp_pairs.len(), 1);
    assert!(t.isakmp_pairs[0].paired);
    assert_eq!(t.isakmp_pairs[0].a_peer.as_deref(), Some("200.200.200.1"));
    assert_eq!(t.isakmp_pairs[0].b_peer.as_deref(), Some("200.200.200.2"));
    let bad: Vec<&CheckRow> = t.config_check.iter().filter(|r| !r.matches).collect();
    assert!(bad.is_empty(), "{bad:#?}");
    // The fields the issue lists are all on the check.
    let fields: Vec<&str> = t.config_check.iter().map(|r| r.field.as_str()).collect();
    for want in [
        "isakmp peer (Peer1) / address (Peer2)",
        "mode",
        "encalg",
        "hashalg",
        "DH group",
        "key id",
        "localid (Peer1) / remoteid (Peer2)",
        "heart",
        "senddeletes",
        "sendnotify",
        "natt",
        "expiry seconds",
        "address (Peer1) / ipsec peer (Peer2)",
        "local (Peer1) / remote (Peer2)",
        "remote (Peer1) / local (Peer2)",
        "bundle protocol",
        "bundle encalg",
        "bundle hashalg",
        "pfs",
        "respondbadspi",
        "firewall lets UDP 500 in",
        "firewall lets UDP 4500 in",
        "set ip local",
    ] {
        assert!(fields.contains(&want), "{want} missing from {fields:?}");
    }
    let row = |f: &str| t.config_check.iter().find(|r| r.field == f).cloned();
    let peer = row("isakmp peer (Peer1) / address (Peer2)").expect("row");
    assert_eq!(
        (peer.a.as_deref(), peer.b.as_deref()),
        (Some("200.200.200.1"), Some("200.200.200.1"))
    );
    let lr = row("local (Peer1) / remote (Peer2)").expect("row");
    assert_eq!(lr.a.as_deref(), Some("192.168.1.0/255.255.255.0"));
    let fw = row("firewall lets UDP 500 in").expect("row");
    assert_eq!(fw.a.as_deref(), Some("allowed (rule 1 on eth0)"));
    assert_eq!(
        row("bundle protocol").and_then(|r| r.a),
        Some("esp".to_string())
    );
    assert!(
        t.summary()
            .starts_with("Peer1 ⇄ Peer2: ISAKMP 1/1 paired, IPsec 1/1 paired, 0 mismatches"),
        "{}",
        t.summary()
    );
}

/// A mutation of the working pair and the fact it must give.
struct Mutation {
    name: &'static str,
    apply: fn(&mut [Snapshot; 2]),
    code: &'static str,
    phase: Option<u8>,
    field: &'static str,
}

fn ike(s: &mut Snapshot) -> &mut crate::model::IkePolicy {
    &mut s.config.ike_policies[0]
}

fn ipsec(s: &mut Snapshot) -> &mut crate::model::IpsecPolicy {
    &mut s.config.ipsec_policies[0]
}

#[test]
fn each_mutation_gives_its_fact() {
    let cases = [
        Mutation {
            name: "PFS on Peer2 only",
            apply: |s| {
                ipsec(&mut s[1]).pfs = Some(true);
                ipsec(&mut s[1]).pfs_group = Some("2".into());
            },
            code: "pfs-mismatch",
            phase: Some(2),
            field: "pfs",
        },
        Mutation {
            name: "heart on Peer1 only",
            apply: |s| ike(&mut s[1]).heart = Some("none".into()),
            code: "heartbeat-mismatch",
            phase: Some(1),
            field: "heart",
        },
        Mutation {
            name: "lad/rad swapped at Peer2",
            apply: |s| {
                let p = ipsec(&mut s[1]);
                std::mem::swap(&mut p.laddress, &mut p.raddress);
            },
            code: "addresses-not-mirrored",
            phase: Some(2),
            field: "local (Peer1) / remote (Peer2), remote (Peer1) / local (Peer2)",
        },
        Mutation {
            name: "SPIs out of step",
            apply: |s| {
                s[1].ipsec_sas[0].in_spi = Some(12345);
            },
            code: "spi-unpaired",
            phase: None,
            field: "spi",
        },
        Mutation {
            name: "aggressive against main",
            apply: |s| ike(&mut s[0]).mode = Some("aggressive".into()),
            code: "mode-mismatch",
            phase: Some(1),
            field: "mode",
        },
        Mutation {
            name: "localid/remoteid not crossing",
            apply: |s| ike(&mut s[1]).remoteid = Some("ARRouter".into()),
            code: "id-mismatch",
            phase: Some(1),
            field: "localid (Peer1) / remoteid (Peer2)",
        },
        Mutation {
            name: "Peer2's firewall without UDP 500",
            apply: |s| {
                s[1].config.firewall_policies[0]
                    .rules
                    .retain(|r| r.port.as_deref() != Some("500"));
            },
            code: "ike-blocked-at-peer",
            phase: None,
            field: "firewall lets UDP 500 in",
        },
        Mutation {
            name: "phase 1 encalg differs",
            apply: |s| ike(&mut s[1]).encalg = Some("des".into()),
            code: "proposal-mismatch",
            phase: Some(1),
            field: "encalg",
        },
        Mutation {
            name: "phase 2 hashalg differs",
            apply: |s| ipsec(&mut s[0]).sa_specs[0].hashalg = Some("md5".into()),
            code: "proposal-mismatch",
            phase: Some(2),
            field: "bundle hashalg",
        },
        Mutation {
            name: "Peer1's isakmp peer is not Peer2's address",
            apply: |s| ike(&mut s[0]).peer = Some("200.200.200.9".into()),
            code: "addresses-not-mirrored",
            phase: Some(1),
            field: "isakmp peer (Peer1) / address (Peer2)",
        },
    ];
    let (_, healthy) = both(Scenario::Healthy, 5);
    for m in cases {
        let mut snaps = healthy.clone();
        (m.apply)(&mut snaps);
        let t = tunnel(&snaps);
        assert_eq!(codes(&t), vec![m.code], "{}: {:#?}", m.name, t.facts);
        let f = &t.facts[0];
        assert_eq!(f.phase, m.phase, "{}", m.name);
        assert_eq!(f.field, m.field, "{}", m.name);
        let ends: Vec<&str> = f.evidence.iter().map(|e| e.end.as_str()).collect();
        assert!(
            ends.contains(&"Peer1") && ends.contains(&"Peer2"),
            "{}: evidence from both ends: {:?}",
            m.name,
            f.evidence
        );
        assert!(!t.healthy(), "{}", m.name);
        // Mismatches first.
        assert!(!t.config_check.is_empty());
        let first_ok = t.config_check.iter().position(|r| r.matches);
        let last_bad = t.config_check.iter().rposition(|r| !r.matches);
        if let (Some(ok), Some(bad)) = (first_ok, last_bad) {
            assert!(bad < ok, "{}: mismatches first", m.name);
        }
    }
}

#[test]
fn fact_details_read_as_the_issue_says() {
    let (_, healthy) = both(Scenario::Healthy, 5);
    let mut snaps = healthy.clone();
    snaps[1].config.firewall_policies[0]
        .rules
        .retain(|r| r.port.as_deref() != Some("500"));
    let t = tunnel(&snaps);
    let f = &t.facts[0];
    assert_eq!(f.end.as_deref(), Some("Peer2"));
    assert_eq!(
        f.summary,
        "Peer2's firewall does not let UDP 500 in: Peer1's ISAKMP cannot reach it"
    );

    let mut snaps = healthy.clone();
    ike(&mut snaps[1]).heart = Some("none".into());
    let t = tunnel(&snaps);
    assert_eq!(
        t.facts[0].summary,
        "heart: Peer1 expects heartbeats that Peer2 does not send: Peer1 removes the SAs, Peer2 keeps them"
    );
    let ev = &t.facts[0].evidence[0];
    assert_eq!(ev.end, "Peer1");
    assert!(
        ev.text
            .starts_with("ISAKMP policy \"wiz_Peer1 to Peer2\" (line ")
            && ev.text.ends_with("): heart both"),
        "{}",
        ev.text
    );
    assert_eq!(t.facts[0].evidence[1].end, "Peer2");
    assert!(t.facts[0].evidence[1].text.ends_with("): heart none"));

    let mut snaps = healthy.clone();
    ike(&mut snaps[0]).encalg = Some("des".into());
    let t = tunnel(&snaps);
    assert!(
        t.facts[0]
            .summary
            .starts_with("phase 1 encalg: Peer1 des / Peer2 3desouter"),
        "{}",
        t.facts[0].summary
    );

    // Keys compared: only "same" or "differ" reaches the tunnel.
    let t = examine_with(
        &End::new("Peer1", &healthy[0]),
        &End::new("Peer2", &healthy[1]),
        Options {
            keys_same: Some(false),
        },
    );
    assert_eq!(codes(&t), vec!["psk-mismatch"]);
    let t = examine_with(
        &End::new("Peer1", &healthy[0]),
        &End::new("Peer2", &healthy[1]),
        Options {
            keys_same: Some(true),
        },
    );
    assert!(t.healthy());
}

/// The simulator's own failing scenarios, read from both consoles.
#[test]
fn simulated_scenarios_give_their_facts() {
    let cases: &[(Scenario, u64, &[&str])] = &[
        (Scenario::Phase2Mismatch, 5, &["pfs-mismatch"]),
        (Scenario::SaAccumulation, 5, &["heartbeat-mismatch"]),
        (Scenario::SaOutOfStep, 2, &["spi-unpaired"]),
        (Scenario::PskMismatch, 5, &[]),
        // Peer2's IPsec policy names isakmp2, the policy for Windows clients.
        (
            Scenario::PolicySelection,
            5,
            &["id-mismatch", "heartbeat-mismatch"],
        ),
    ];
    for (s, wait, want) in cases {
        let (_, snaps) = both(*s, *wait);
        let t = tunnel(&snaps);
        let got = codes(&t);
        for w in *want {
            assert!(got.contains(w), "{s}: {got:?}");
        }
        if want.is_empty() {
            assert!(got.is_empty(), "{s}: {got:?}");
        }
    }
    let (_, snaps) = both(Scenario::SaOutOfStep, 2);
    let t = tunnel(&snaps);
    let p = &t.ipsec_pairs[0];
    assert!(!p.paired);
    assert_eq!(p.lacking.as_deref(), Some("Peer2"));
    assert_eq!(
        p.note.as_deref(),
        Some("Peer1 sends with SPI 1612248718; Peer2 has no SA with that InSPI")
    );
    let f = t
        .facts
        .iter()
        .find(|f| f.kind == FactKind::SpiUnpaired)
        .expect("fact");
    assert_eq!(f.end.as_deref(), Some("Peer2"));
    assert_eq!(f.evidence[1].text, "no IPsec SA for this tunnel's SPIs");
}

/// Counters read at both ends before and after ten LAN pings: the path of the working pair
/// goes both ways; out of step it stops at Peer2 with its unknown-SPI counter.
#[test]
fn packet_path_from_both_consoles() {
    let cmd = counters_cmd();
    for (s, want) in [
        (
            Scenario::Healthy,
            "Peer1 outProcessDone +10 → Peer2 inProcessDone +10 → Peer2 outProcessDone +10 → Peer1 inProcessDone +10: both ways",
        ),
        (
            Scenario::SaOutOfStep,
            "Peer1 outProcessDone +10 → Peer2 inProcessDone +0: stops before Peer2; Peer2 inDropUnknownSpi +10: Peer2 does not know the SPI Peer1 sends with",
        ),
    ] {
        let net = Arc::new(Mutex::new(Network::new(s)));
        let mut views = [CounterView::new(), CounterView::new()];
        for (p, v) in views.iter_mut().enumerate() {
            let snap = read(&net, p, &[cmd.as_str()], 1);
            v.update(Duration::from_secs(1), &policy_counters(&snap));
        }
        let mut replied = 0;
        for _ in 0..10 {
            if net.lock().is_ok_and(|mut n| n.lan_ping(0, PEERS[1].pc)) {
                replied += 1;
            }
        }
        let mut snaps: Vec<Snapshot> = Vec::new();
        for (p, v) in views.iter_mut().enumerate() {
            let mut cmds: Vec<&str> = READ.to_vec();
            cmds.push(cmd.as_str());
            let snap = read(&net, p, &cmds, 2);
            v.update(Duration::from_secs(2), &policy_counters(&snap));
            snaps.push(snap);
        }
        let ping = PingTally {
            sent: 10,
            replied,
            ..Default::default()
        };
        let a = End::new("Peer1", &snaps[0])
            .with_counters(&views[0])
            .with_ping(&ping);
        let b = End::new("Peer2", &snaps[1]).with_counters(&views[1]);
        let t = examine(&a, &b);
        let path = t.packet_path.as_ref().expect("counters read twice");
        assert_eq!(path.text, want, "{s}");
        assert_eq!(path.ping_sent, Some(10));
    }
}

/// The JSON of the tunnel carries the names issue 9 asks for.
#[test]
fn json_shape() {
    let (_, snaps) = both(Scenario::Healthy, 5);
    let v = serde_json::to_value(tunnel(&snaps)).expect("serialises");
    for key in [
        "ends",
        "isakmp_pairs",
        "ipsec_pairs",
        "config_check",
        "packet_path",
        "facts",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let pair = &v["ipsec_pairs"][0];
    for key in [
        "a_sa",
        "b_sa",
        "a_out_spi",
        "a_in_spi",
        "b_out_spi",
        "b_in_spi",
        "paired",
    ] {
        assert!(pair.get(key).is_some(), "{key}");
    }
    let row = &v["config_check"][0];
    for key in ["field", "a", "b", "match", "phase", "note"] {
        assert!(row.get(key).is_some(), "{key}");
    }
}

/// A configuration not read at one end is said once, and is no mismatch of the tunnel.
#[test]
fn unread_configuration_is_said_not_judged() {
    let (_, healthy) = both(Scenario::Healthy, 5);
    let mut snaps = healthy.clone();
    snaps[1].config = Default::default();
    let t = tunnel(&snaps);
    assert_eq!(t.config_check.len(), 1, "{:#?}", t.config_check);
    let row = &t.config_check[0];
    assert_eq!(row.check, Check::Policy);
    assert_eq!(
        (row.a.as_deref(), row.b.as_deref()),
        (Some("read"), Some("not read"))
    );
    assert_eq!(
        row.note,
        "the configuration of Peer2 was not read: nothing to compare"
    );
    assert!(t.facts.is_empty(), "{:#?}", t.facts);
    // The SAs still pair: the interfaces and the tables tell the addresses.
    assert!(t.ipsec_pairs.iter().all(|p| p.paired));
    assert!(t.isakmp_pairs.iter().all(|p| p.paired));
}

/// Without `show ip interface` at either end, the addresses come from the other end's
/// policies, and the pairs and the check still hold.
#[test]
fn addresses_from_the_other_ends_policies() {
    let (_, healthy) = both(Scenario::Healthy, 5);
    let mut snaps = healthy.clone();
    for s in &mut snaps {
        s.interfaces.clear();
    }
    let t = tunnel(&snaps);
    assert!(t.healthy(), "{:#?}", t.facts);
    assert!(t.isakmp_pairs[0].paired);
}

/// 500 + 500 SAs per end, listed in opposite orders, with every tenth out of step.
#[test]
fn many_sas_pair_by_spi() {
    let (_, healthy) = both(Scenario::Healthy, 5);
    let mut snaps = healthy.clone();
    let template = snaps[0].ipsec_sas[0].clone();
    for s in &mut snaps {
        s.ipsec_sas.clear();
    }
    for i in 0..500u32 {
        let mut x = template.clone();
        x.sa_id = i;
        x.out_spi = Some(1_000_000 + i);
        x.in_spi = Some(2_000_000 + i);
        snaps[0].ipsec_sas.push(x);
        let mut y = template.clone();
        y.sa_id = 1000 - i;
        y.out_spi = Some(2_000_000 + i);
        y.in_spi = Some(if i % 10 == 0 {
            3_000_000 + i
        } else {
            1_000_000 + i
        });
        snaps[1].ipsec_sas.insert(0, y);
    }
    let t = tunnel(&snaps);
    assert_eq!(t.ipsec_pairs.len(), 500);
    let unpaired: Vec<&IpsecPair> = t.ipsec_pairs.iter().filter(|p| !p.paired).collect();
    assert_eq!(unpaired.len(), 50);
    assert!(unpaired
        .iter()
        .all(|p| p.lacking.as_deref() == Some("Peer2")));
    let f = t
        .facts
        .iter()
        .find(|f| f.kind == FactKind::SpiUnpaired)
        .expect("fact");
    assert!(
        f.summary.ends_with("(and 49 more SAs like it)"),
        "{}",
        f.summary
    );
    assert!(f.evidence.len() <= 8);
}
