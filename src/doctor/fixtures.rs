//! Test fixtures: the How To Note's working Peer1, built directly in the model, and helpers
//! that run the doctor over it. Each check's tests break one thing in this healthy router.

use super::{examine, DoctorInput, Finding};
use crate::model::*;

pub fn zero() -> Limits {
    Limits {
        hard: Some(0),
        soft: Some(0),
        used: Some(0),
    }
}

fn params(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn config() -> Config {
    let ike = IkePolicy {
        name: "isakmp".into(),
        peer: Some("200.200.200.1".into()),
        key: Some("1".into()),
        mode: Some("main".into()),
        encalg: Some("3desouter".into()),
        natt: Some(true),
        heart: Some("both".into()),
        sendnotify: Some(true),
        senddeletes: Some(true),
        params: params(&[
            ("policy", "isakmp"),
            ("peer", "200.200.200.1"),
            ("mode", "main"),
        ]),
        line: 10,
        ..Default::default()
    };
    let vpn = IpsecPolicy {
        name: "wiz_Peer1 to Peer2".into(),
        interface: Some("eth0".into()),
        action: Some("ipsec".into()),
        peer: Some("200.200.200.1".into()),
        isakmp_policy: Some("isakmp".into()),
        laddress: Some("192.168.1.0".into()),
        lmask: Some("255.255.255.0".into()),
        raddress: Some("192.168.2.0".into()),
        rmask: Some("255.255.255.0".into()),
        respondbadspi: Some(true),
        params: params(&[("policy", "wiz_Peer1 to Peer2"), ("interface", "eth0")]),
        line: 20,
        ..Default::default()
    };
    let internet = IpsecPolicy {
        name: "internet".into(),
        interface: Some("eth0".into()),
        action: Some("permit".into()),
        line: 25,
        ..Default::default()
    };
    let rule = |id: u32, port: &str, line: usize| FirewallRule {
        id: Some(id),
        interface: Some("eth0".into()),
        action: Some("allow".into()),
        protocol: Some("udp".into()),
        port: Some(port.into()),
        line,
        ..Default::default()
    };
    let tunnel = FirewallRule {
        id: Some(3),
        interface: Some("eth0".into()),
        action: Some("nonat".into()),
        protocol: Some("all".into()),
        encapsulation: Some("ipsec".into()),
        line: 45,
        ..Default::default()
    };
    let fw = FirewallPolicy {
        name: "fw".into(),
        interfaces: vec![
            FirewallInterface {
                interface: "eth0".into(),
                kind: "public".into(),
                line: 40,
            },
            FirewallInterface {
                interface: "vlan1".into(),
                kind: "private".into(),
                line: 41,
            },
        ],
        rules: vec![rule(1, "500", 43), rule(2, "4500", 44), tunnel],
        line: 39,
    };
    Config {
        ike_policies: vec![ike],
        ipsec_policies: vec![vpn, internet],
        firewall_policies: vec![fw],
        firewall_enabled: true,
        isakmp_enabled: Some(true),
        ipsec_enabled: Some(true),
        ip_local: None,
        lines_read: 60,
    }
}

/// Peer1 of the How To Note with its tunnel to Peer2 up.
pub fn healthy() -> Snapshot {
    let counter = |name: &str, value: u64, line: usize| Counter {
        command: aw().command(&Cmd::PolicyCounters("wiz_Peer1 to Peer2")),
        section: "Outbound Packet Processing Counters".into(),
        name: name.into(),
        value,
        line,
    };
    Snapshot {
        system_name: Some("Peer1".into()),
        ike_sas: vec![IkeSa {
            sa_id: 1,
            peer: "200.200.200.1".into(),
            encryption: Some("3DES".into()),
            hash: Some("SHA".into()),
            bytes: Limits::default(),
            seconds: Limits {
                hard: Some(86400),
                soft: Some(82080),
                used: Some(970),
            },
            established: true,
            line: 3,
        }],
        exchanges: Vec::new(),
        ipsec_sas: vec![IpsecSa {
            sa_id: 0,
            policy: "wiz_Peer1 to Peer2".into(),
            bundle: Some(0),
            state: "Valid".into(),
            protocol: "ESP".into(),
            out_spi: Some(1_612_248_718),
            in_spi: Some(992_095_719),
            line: 6,
        }],
        counters: vec![
            counter("outProcessDone", 12, 70),
            counter("inProcessDone", 12, 75),
            counter("inBadSpiResponse", 0, 76),
        ],
        interfaces: vec![
            Interface {
                name: "LOCAL".into(),
                address: None,
                mask: None,
                fields: Vec::new(),
                line: 8,
            },
            Interface {
                name: "eth0".into(),
                address: Some("100.100.100.1".into()),
                mask: Some("255.255.255.0".into()),
                fields: Vec::new(),
                line: 10,
            },
        ],
        config: config(),
        seen: Seen {
            ike_sas: true,
            exchanges: true,
            ipsec_sas: true,
            counters: true,
            interfaces: true,
            config: true,
            log: false,
        },
        ..Default::default()
    }
}

/// A quiet, working debug stream: phase 1 and 2 complete, heartbeats, no failures.
pub fn healthy_debug() -> DebugSummary {
    let mut d = DebugSummary::default();
    for (line, phase, text) in [
        (
            100,
            Phase::One,
            "Main mode exchange with 200.200.200.1 complete",
        ),
        (
            101,
            Phase::Two,
            "Quick mode exchange complete, IPsec SA bundle created",
        ),
        (102, Phase::Info, "Heartbeat received from 200.200.200.1"),
    ] {
        let event = DebugEvent {
            file: None,
            time: None,
            line,
            phase,
            failure: false,
            text: text.into(),
            exchange: ExchangeRef::default(),
        };
        d.record(event, true);
    }
    d
}

pub fn examine_with_debug(snapshot: &Snapshot, debug: &DebugSummary) -> Vec<Finding> {
    examine(&DoctorInput {
        snapshot,
        debug,
        live: false,
        dialect: aw(),
    })
}

pub fn examine_file(snapshot: &Snapshot) -> Vec<Finding> {
    examine_with_debug(snapshot, &healthy_debug())
}

pub fn examine_live(snapshot: &Snapshot) -> Vec<Finding> {
    examine(&DoctorInput {
        snapshot,
        debug: &healthy_debug(),
        live: true,
        dialect: aw(),
    })
}

/// The dialect the fixtures speak; tests build expected command text from it.
pub fn aw() -> &'static dyn crate::model::Dialect {
    crate::alliedware::dialect::dialect()
}

pub fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code).collect()
}
