//! The displays of the simulated router, in the layouts of ALLIEDWARE.md: header-and-rows
//! tables with widths taken from their contents, and dotted-leader details.
//!
//! SYNTHETIC where ALLIEDWARE.md says the layout is unknown (counter names other than
//! outProcessDone, inProcessDone and inBadSpiResponse, the log columns, detail fields): those
//! are plausible inventions, marked as such, so the parsers meet realistic variety.

use super::network::{Network, Peer};
use super::scenario::{
    self, facts, ike_source, lan_address, local_address, Scenario, PEERS, POLICY,
};

pub mod dump;
use std::time::Duration;

/// Lay out a table: each column as wide as its widest cell plus two spaces, a rule under the
/// header, a leading space as the router prints it.
fn table(headers: &[&[&str]], rows: &[Vec<String>]) -> Vec<String> {
    let cols = headers.iter().map(|h| h.len()).max().unwrap_or(0);
    let mut w = vec![0usize; cols];
    for h in headers {
        for (i, c) in h.iter().enumerate() {
            w[i] = w[i].max(c.len());
        }
    }
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            w[i] = w[i].max(c.len());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            if i + 1 < cells.len() {
                s.push_str(&format!(
                    "{c:<width$}  ",
                    width = w.get(i).copied().unwrap_or(0)
                ));
            } else {
                s.push_str(c);
            }
        }
        s.trim_end().to_string()
    };
    let mut out = Vec::new();
    for h in headers {
        let cells: Vec<String> = h.iter().map(|s| s.to_string()).collect();
        out.push(line(&cells));
    }
    let total: usize = w.iter().sum::<usize>() + 2 * cols.saturating_sub(1);
    out.push(format!(" {}", "-".repeat(total)));
    for r in rows {
        out.push(line(r));
    }
    out
}

fn secs(d: Duration) -> u64 {
    d.as_secs()
}

pub fn isakmp_sa(net: &Network, p: usize) -> Vec<String> {
    let peer = &net.peers[p];
    let rows: Vec<Vec<String>> = peer
        .ike_sas
        .iter()
        .map(|s| {
            if s.established {
                let used = secs(net.now.saturating_sub(s.created))
                    // The How To Note's SA had been up 970 s; new SAs start at 0.
                    + if net.scenario == Scenario::Healthy && s.created.is_zero() {
                        970
                    } else {
                        0
                    };
                vec![
                    s.id.to_string(),
                    s.peer.clone(),
                    "3DES".into(),
                    "SHA".into(),
                    "-/-/-".into(),
                    format!("86400/82080/{used}"),
                ]
            } else {
                vec![
                    s.id.to_string(),
                    s.peer.clone(),
                    "-".into(),
                    "-".into(),
                    "0/0/0".into(),
                    "0/0/0".into(),
                ]
            }
        })
        .collect();
    // The How To Note's two-line header: the limits are named under their title.
    let mut out = vec![String::new()];
    out.extend(table(
        &[
            &[
                "SA Id",
                "PeerAddress",
                "EncA.",
                "HashA.",
                "Expiry Limits - hard/soft/used",
                "",
            ],
            &["", "", "", "", "Bytes", "Seconds"],
        ],
        &rows,
    ));
    out.push(String::new());
    out
}

pub fn isakmp_exchange(peer: &Peer) -> Vec<String> {
    if peer.exchanges.is_empty() {
        return vec![String::new()];
    }
    let rows: Vec<Vec<String>> = peer
        .exchanges
        .iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                e.phase.to_string(),
                e.state.to_string(),
                e.peer.clone(),
                e.kind.to_string(),
            ]
        })
        .collect();
    let mut out = vec![
        String::new(),
        " ISAKMP Exchanges".to_string(),
        String::new(),
    ];
    out.extend(table(
        &[&["Id", "Phase", "State", "PeerAddress", "Type"]],
        &rows,
    ));
    out.push(String::new());
    out
}

pub fn ipsec_sa(peer: &Peer) -> Vec<String> {
    let rows: Vec<Vec<String>> = peer
        .ipsec_sas
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                POLICY.to_string(),
                s.bundle.to_string(),
                "Valid".into(),
                "ESP".into(),
                s.out_spi.to_string(),
                s.in_spi.to_string(),
            ]
        })
        .collect();
    let mut out = vec![String::new()];
    out.extend(table(
        &[&[
            "SA Id", "Policy", "Bundle", "State", "Protocol", "OutSPI", "InSPI",
        ]],
        &rows,
    ));
    out.push(String::new());
    out
}

/// Dotted leaders, the value column aligned per block.
fn leaders(fields: &[(&str, String)], indent: usize) -> Vec<String> {
    let w = fields.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 4;
    fields
        .iter()
        .map(|(l, v)| {
            let dots = ".".repeat(w - l.len());
            format!("{}{l} {dots} {v}", " ".repeat(indent))
        })
        .collect()
}

pub fn ipsec_sa_detail(net: &Network, p: usize, id: Option<u32>) -> Vec<String> {
    let peer = &net.peers[p];
    let (lan, rlan) = (
        facts(net.scenario, p).lan,
        facts(net.scenario, 1 - p.min(1)).lan,
    );
    let range = |n: &str| format!("{n} - {}.255", n.trim_end_matches(".0"));
    let mut out = vec![String::new()];
    let sas: Vec<_> = peer
        .ipsec_sas
        .iter()
        .filter(|s| id.is_none_or(|i| i == s.id))
        .collect();
    if sas.is_empty() {
        return vec![format!(
            "Error (3087063): SA {} does not exist.",
            id.map(|i| i.to_string()).unwrap_or_default()
        )];
    }
    for s in sas {
        out.extend(leaders(
            &[
                ("SA Id", s.id.to_string()),
                ("Policy", POLICY.to_string()),
                ("Bundle", s.bundle.to_string()),
                ("SA Specification Used", "1".into()),
                ("State", "Valid".into()),
                ("Protocol", "ESP".into()),
                ("Role", s.role.into()),
                ("Mode", "TUNNEL".into()),
                ("Outbound SPI", s.out_spi.to_string()),
                ("Inbound SPI", s.in_spi.to_string()),
                ("Encryption algorithm", "3DESOUTER".into()),
                ("Encryption ENCO channel", "1".into()),
                ("Hash algorithm", "SHA".into()),
                ("Hash ENCO channel", "2".into()),
            ],
            0,
        ));
        out.push("NAT Traversal".into());
        out.extend(leaders(&[("Enabled", "FALSE".into())], 2));
        out.push("Filters".into());
        out.extend(leaders(
            &[
                ("Local address", range(lan)),
                ("Remote address", range(rlan)),
            ],
            2,
        ));
        out.push(String::new());
    }
    out
}

pub fn isakmp_sa_detail(net: &Network, p: usize, id: Option<u32>) -> Vec<String> {
    let peer = &net.peers[p];
    let sas: Vec<_> = peer
        .ike_sas
        .iter()
        .filter(|s| id.is_none_or(|i| i == s.id))
        .collect();
    if sas.is_empty() {
        return vec![format!(
            "Error (3082063): ISAKMP SA {} does not exist.",
            id.map(|i| i.to_string()).unwrap_or_default()
        )];
    }
    let mut out = vec![String::new()];
    for s in sas {
        out.extend(leaders(
            &[
                ("SA Id", s.id.to_string()),
                ("Peer Address", s.peer.clone()),
                ("Local Address", ike_source(net.scenario, p).to_string()),
                ("Policy Name", POLICY.to_string()),
                (
                    "State",
                    if s.established {
                        "ESTABLISHED".into()
                    } else {
                        "PREPARING".into()
                    },
                ),
                (
                    "Encryption Algorithm",
                    if s.established {
                        "3DES".into()
                    } else {
                        "-".into()
                    },
                ),
                (
                    "Hash Algorithm",
                    if s.established {
                        "SHA".into()
                    } else {
                        "-".into()
                    },
                ),
                ("Authentication", "PRESHARED".into()),
                ("DH Group", "2".into()),
            ],
            0,
        ));
        out.push(String::new());
    }
    out
}

/// Counter pairs, two per line, dotted to a common column.
fn pairs(items: &[(&str, u64)]) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in items.chunks(2) {
        let mut line = String::from("  ");
        for (i, (n, v)) in chunk.iter().enumerate() {
            let dots = ".".repeat(24usize.saturating_sub(n.len()));
            let cell = format!("{n} {dots} {v:>8}");
            line.push_str(&cell);
            if i == 0 && chunk.len() > 1 {
                line.push_str("    ");
            }
        }
        out.push(line);
    }
    out
}

pub fn policy_counters(peer: &Peer, name: &str) -> Vec<String> {
    let get = |n: &str| peer.counters.get(n).copied().unwrap_or(0);
    let out_names = [
        "outProcessStarted",
        "outProcessDone",
        "outProcessFailed",
        "outDropNoSa",
    ];
    let in_names = [
        "inProcessStarted",
        "inProcessDone",
        "inProcessFailed",
        "inBadSpiResponse",
        "inDropUnknownSpi",
    ];
    let mut out = vec![
        String::new(),
        format!("IPSEC Policy {name} Counters"),
        String::new(),
    ];
    out.push("Outbound Packet Processing Counters".into());
    out.extend(pairs(&out_names.map(|n| (n, get(n)))));
    out.push(String::new());
    out.push("Inbound Packet Processing Counters".into());
    out.extend(pairs(&in_names.map(|n| (n, get(n)))));
    out.push(String::new());
    out
}

pub fn ipsec_counters(peer: &Peer) -> Vec<String> {
    let get = |n: &str| peer.counters.get(n).copied().unwrap_or(0);
    let mut out = vec![String::new(), "IPSEC General Counters".into()];
    out.extend(pairs(&[
        ("pktsOutProcessed", get("outProcessDone")),
        ("pktsInProcessed", get("inProcessDone")),
        ("pktsOutDropped", get("outDropNoSa")),
        ("pktsInDropped", get("inDropUnknownSpi")),
    ]));
    out.push(String::new());
    out
}

pub fn isakmp_counters(peer: &Peer) -> Vec<String> {
    let mut out = vec![String::new(), "ISAKMP General Counters".into()];
    let items: Vec<(&str, u64)> = peer.isakmp_counters.iter().map(|(k, v)| (*k, *v)).collect();
    out.extend(pairs(&items));
    out.push(String::new());
    out
}

pub fn ip_interface(s: Scenario, p: usize) -> Vec<String> {
    let me = &PEERS[p.min(1)];
    let lan_addr = lan_address(s, p);
    // `set ip local` shows as the LOCAL interface's address (the How To Note wants "Not set").
    let (local, local_mask) = match local_address(s, p) {
        Some(a) => (a, "255.255.255.255"),
        None => ("Not set", "Not set"),
    };
    let rows = [
        ("LOCAL", "---", local, local_mask, "-"),
        ("eth0", "Static", me.wan, "255.255.255.0", "1"),
        ("vlan1", "Static", lan_addr.as_str(), "255.255.255.0", "1"),
    ];
    let mut out = vec![
        String::new(),
        "Interface      Type    IP Address       Bc  Fr  PArp  Filt  RIP Met.  SAMode  IPSc".into(),
        "Pri. Filt      Pol. Filt  Network Mask  MTU   VJC  GRE  OSPF Met.  DBcast  Mul.".into(),
        "Garp  VLAN Tag  VLAN Pri  InvArp".into(),
        "-".repeat(79),
    ];
    for (name, kind, addr, mask, bc) in rows {
        out.push(format!(
            "{name:<15}{kind:<8}{addr:<17}{bc:<4}-   -     ---   --        Pass    --"
        ));
        out.push(format!(
            "---            ---        {mask:<13} 1500  -    ---  --         ---     ---"
        ));
        out.push("On    none      none      -".into());
    }
    out.push(String::new());
    out
}

pub fn config(s: Scenario, p: usize, which: Option<&str>) -> Vec<String> {
    let mut out = vec![String::new()];
    // `dynamic=ipsec` may be abbreviated (`dynam=ips`): compare the first letters.
    let key: Option<String> = which.map(|w| w.to_ascii_lowercase().chars().take(3).collect());
    // `dynamic=ip` is the IP section alone, not also IPsec's.
    let exact_ip = which.is_some_and(|w| w.eq_ignore_ascii_case("ip"));
    for (section, lines) in scenario::config(s, p) {
        if exact_ip && section != "ip" {
            continue;
        }
        if key.as_deref().is_some_and(|k| !section.starts_with(k)) {
            continue;
        }
        out.push("#".into());
        out.push(format!("# {} configuration", section.to_ascii_uppercase()));
        out.push("#".into());
        out.extend(lines);
    }
    out.push(String::new());
    out
}

/// `show log`: entries as `DD HH:MM:SS` from a fixed start of 10:00:00 on the 26th.
pub fn log(peer: &Peer, module: Option<&str>) -> Vec<String> {
    let mut out = vec![
        String::new(),
        " Date/Time     S Mod   Type  SType  Message".into(),
        format!(" {}", "-".repeat(76)),
    ];
    // `module=isakmp` matches the four-letter module column (`ISAK`).
    let want: Option<String> = module.map(|m| m.to_ascii_uppercase().chars().take(4).collect());
    for e in &peer.log {
        if want.as_deref().is_some_and(|w| !e.module.starts_with(w)) {
            continue;
        }
        let t = crate::clock::hms_of_day(36_000 + e.at.as_secs());
        out.push(format!(
            " 26 {t}   3 {:<5} {:<5} {:<6} {}",
            e.module, e.kind, "INFO", e.message
        ));
    }
    out.push(String::new());
    out
}
