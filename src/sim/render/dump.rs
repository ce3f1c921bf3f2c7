//! The simulator's other displays: every command of the How To Note's `show debug ipsec` list
//! (show install, feature, release, buffer scan, cpu, exception, ipsec policy sabundle, ipsec
//! sa counters, enco, enco channel, enco counters, isakmp exchange detail, ffile check), the
//! keys (`show enco key[=N]`), the policy lists, the firewall policy, `trace`, and
//! `show debug ipsec` itself.
//!
//! SYNTHETIC: ALLIEDWARE.md knows none of these layouts (the key display, the ENCO displays,
//! install/feature/release, the trace) except the few seen in the `show debug ipsec` fixture
//! (buffer scan, cpu, exception, sabundle, ENCO titles). They are plausible AlliedWare-style
//! inventions in its two layouts (header and rows, dotted leaders); the key values are the
//! marked-synthetic ones of `scenario::psk_value`.

use super::{leaders, pairs, table};
use crate::sim::network::{Network, Peer};
use crate::sim::scenario::{
    self, facts, ike_source, key_ids, lan_address, psk_value, Scenario, PEERS, POLICY,
};

/// The ISP's gateway on the WAN (both peers' next hop for anything but each other).
const ISP_GATEWAY: &str = "200.200.200.254";

fn blank_around(mut lines: Vec<String>) -> Vec<String> {
    lines.insert(0, String::new());
    lines.push(String::new());
    lines
}

/// The configuration lines of one section of the peer's `show config dynamic`.
fn section(s: Scenario, p: usize, name: &str) -> Vec<String> {
    scenario::config(s, p)
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, l)| l)
        .unwrap_or_default()
}

/// The value of `key=` in a configuration line (quotes dropped).
fn param(line: &str, key: &str) -> Option<String> {
    crate::alliedware::commands::split_words(line)
        .into_iter()
        .find(|w| w.key.eq_ignore_ascii_case(key))
        .and_then(|w| w.value)
}

pub fn install() -> Vec<String> {
    blank_around(
        [
            "Install Information".to_string(),
            String::new(),
            "  Preferred install .... 54-291.rez".into(),
            "  Current install ...... 54-291.rez (flash)".into(),
            "  Default install ...... 54-291.rez".into(),
            "  Patch ................ none".into(),
        ]
        .to_vec(),
    )
}

pub fn feature() -> Vec<String> {
    let mut out = vec![String::new(), "Special Feature Licences".to_string()];
    out.extend(table(
        &[&["Index", "Name", "Type", "Expiry", "Status"]],
        &[
            vec![
                "1".into(),
                "3DES".into(),
                "Full".into(),
                "Never".into(),
                "Enabled".into(),
            ],
            vec![
                "2".into(),
                "AR-FIREWALL".into(),
                "Full".into(),
                "Never".into(),
                "Enabled".into(),
            ],
        ],
    ));
    out.push(String::new());
    out
}

pub fn release() -> Vec<String> {
    let mut out = vec![String::new(), "Release Licences".to_string()];
    out.extend(table(
        &[&["Release", "Version", "Licence", "Expiry"]],
        &[vec![
            "54-291.rez".into(),
            "2.9.1".into(),
            "Full".into(),
            "Never".into(),
        ]],
    ));
    out.push(String::new());
    out
}

pub fn buffer_scan() -> Vec<String> {
    blank_around(vec!["Buffer scan: 0 buffers in use, 0 corrupt".into()])
}

pub fn cpu() -> Vec<String> {
    blank_around(vec![
        "CPU Utilisation ( as a percentage )".into(),
        "  Maximum since router restarted .............. 12".into(),
        "  Maximum over last 5 minutes ................. 3".into(),
        "  Average since router restarted .............. 2".into(),
        "  Average over last 5 minutes ................. 1".into(),
    ])
}

pub fn exception() -> Vec<String> {
    blank_around(vec!["No exceptions recorded.".into()])
}

pub fn ffile_check() -> Vec<String> {
    blank_around(vec!["Flash file system check: 4 files, no errors".into()])
}

/// `show file`: the flash files, then those made with `create file=`.
pub fn files(p: usize, made: &[(String, Vec<String>)]) -> Vec<String> {
    let cfg = format!("peer{}.cfg", p + 1);
    let mut rows: Vec<Vec<String>> = vec![
        vec![
            "54-291.rez".into(),
            "flash".into(),
            "3902956".into(),
            "15-Sep-2007 10:02:11".into(),
        ],
        vec![
            "help.hlp".into(),
            "flash".into(),
            "134345".into(),
            "15-Sep-2007 10:05:20".into(),
        ],
        vec![
            cfg,
            "flash".into(),
            "2431".into(),
            "26-Nov-2026 09:12:44".into(),
        ],
    ];
    for (name, lines) in made {
        let size: usize = lines.iter().map(|l| l.len() + 2).sum();
        rows.push(vec![
            name.clone(),
            "flash".into(),
            size.to_string(),
            "26-Nov-2026 10:00:00".into(),
        ]);
    }
    let mut out = vec![String::new()];
    out.extend(table(&[&["Filename", "Device", "Size", "Created"]], &rows));
    out.push(String::new());
    out
}

pub fn system(net: &Network, p: usize) -> Vec<String> {
    vec![
        String::new(),
        "Router System Status                              Time 10:00:00 Date 26-Nov-2026.".into(),
        "Board       ID  Bay Board Name                         Rev   Serial number".into(),
        format!("Base        282     AR415S                             M1-0  58354{p}"),
        format!(
            "System Name ............................ {}",
            PEERS[p.min(1)].name
        ),
        format!("Current configuration .................. peer{}.cfg", p + 1),
        format!("Scenario (simulated) ................... {}", net.scenario),
        String::new(),
    ]
}

pub fn sabundle(peer: &Peer) -> Vec<String> {
    let mut out = vec![String::new(), "IPSEC Policy SA Bundles".to_string()];
    if peer.ipsec_sas.is_empty() {
        out.push("No SA bundles".into());
    }
    for sa in &peer.ipsec_sas {
        out.extend(leaders(
            &[
                ("Policy", POLICY.to_string()),
                ("Bundle", sa.bundle.to_string()),
                ("State", "Valid".into()),
                ("SA Ids", sa.id.to_string()),
                ("Protocols", "ESP".into()),
            ],
            0,
        ));
    }
    out.push(String::new());
    out
}

pub fn ipsec_sa_counters(peer: &Peer) -> Vec<String> {
    let created = peer
        .isakmp_counters
        .get("phase2Completed")
        .copied()
        .unwrap_or(0)
        + peer.ipsec_sas.len() as u64;
    let mut out = vec![String::new(), "IPSEC SA Counters".to_string()];
    out.extend(pairs(&[
        ("saCreated", created),
        (
            "saDeleted",
            created.saturating_sub(peer.ipsec_sas.len() as u64),
        ),
        ("saExpiredSoft", 0),
        ("saExpiredHard", 0),
    ]));
    out.push(String::new());
    out
}

/// The counters of the `action=permit` policy `internet`.
pub fn permit_counters(peer: &Peer, name: &str) -> Vec<String> {
    let get = |n: &str| peer.permit_counters.get(n).copied().unwrap_or(0);
    let mut out = vec![
        String::new(),
        format!("IPSEC Policy {name} Counters"),
        String::new(),
        "Outbound Packet Processing Counters".into(),
    ];
    out.extend(pairs(&[("outPermitted", get("outPermitted"))]));
    out.push(String::new());
    out.push("Inbound Packet Processing Counters".into());
    out.extend(pairs(&[("inPermitted", get("inPermitted"))]));
    out.push(String::new());
    out
}

/// The ENCO channels in use: two per IPsec SA (encryption, then hash), as `show ipsec sa=N`
/// names them.
fn channels(peer: &Peer) -> Vec<(u32, &'static str, &'static str, u32)> {
    peer.ipsec_sas
        .iter()
        .enumerate()
        .flat_map(|(i, sa)| {
            let base = 2 * i as u32 + 1;
            [
                (base, "IPSEC", "3DESOUTER", sa.id),
                (base + 1, "IPSEC", "SHA", sa.id),
            ]
        })
        .collect()
}

/// The ids of the ENCO channels in use.
pub fn channel_ids(peer: &Peer) -> Vec<u32> {
    channels(peer).into_iter().map(|c| c.0).collect()
}

pub fn enco(peer: &Peer) -> Vec<String> {
    let n = channels(peer).len();
    blank_around(vec![
        "ENCO Module Status".into(),
        "  Compression channels in use ..... 0".into(),
        format!("  Encryption channels in use ...... {n}"),
        "  Hardware accelerator ............ none (software)".into(),
    ])
}

pub fn enco_channel(peer: &Peer, which: Option<u32>) -> Vec<String> {
    let all = channels(peer);
    let rows: Vec<Vec<String>> = all
        .iter()
        .filter(|c| which.is_none_or(|w| w == c.0))
        .map(|(id, user, alg, sa)| {
            vec![
                id.to_string(),
                user.to_string(),
                alg.to_string(),
                format!("SA {sa}"),
                "ACTIVE".into(),
            ]
        })
        .collect();
    if let (Some(w), true) = (which, rows.is_empty()) {
        return vec![format!("Error (3088064): Channel {w} is not in use.")];
    }
    let mut out = vec![String::new(), "ENCO Channels".to_string()];
    out.extend(table(
        &[&["Channel", "User", "Algorithm", "Owner", "State"]],
        &rows,
    ));
    out.push(String::new());
    out
}

pub fn enco_counters(peer: &Peer, channel: Option<u32>) -> Vec<String> {
    let get = |n: &str| peer.counters.get(n).copied().unwrap_or(0);
    let title = match channel {
        Some(c) => format!("ENCO Channel {c} Counters"),
        None => "ENCO Counters".into(),
    };
    let mut out = vec![String::new(), title];
    out.extend(pairs(&[
        ("encryptRequests", get("outProcessStarted")),
        ("encryptDone", get("outProcessDone")),
        ("decryptRequests", get("inProcessStarted")),
        ("decryptDone", get("inProcessDone")),
    ]));
    out.push(String::new());
    out
}

/// `show enco key`: the keys, without values.
pub fn enco_keys(s: Scenario, p: usize) -> Vec<String> {
    let rows: Vec<Vec<String>> = key_ids(s, p)
        .into_iter()
        .map(|k| {
            let len = psk_value(s, p, k).map(str::len).unwrap_or(0);
            vec![
                k.to_string(),
                "GENERAL".into(),
                len.to_string(),
                "USER".into(),
                "pre-shared key".into(),
            ]
        })
        .collect();
    let mut out = vec![String::new()];
    out.extend(table(
        &[&["Key Id", "Type", "Length", "Module", "Description"]],
        &rows,
    ));
    out.push(String::new());
    out
}

/// `show enco key=N`: one key with its (SYNTHETIC) value.
pub fn enco_key(s: Scenario, p: usize, key: &str) -> Vec<String> {
    let value = key.parse::<u32>().ok().and_then(|k| psk_value(s, p, k));
    let Some(value) = value else {
        return vec![format!("Error (3088063): Key {key} does not exist.")];
    };
    vec![
        String::new(),
        "ENCO Key Details (simulated, SYNTHETIC)".into(),
        format!("  Key Id ................ {key}"),
        "  Type .................. GENERAL".into(),
        "  Module ................ USER".into(),
        format!("  Length ................ {}", value.len()),
        format!("  Value ................. {value}"),
        String::new(),
    ]
}

pub fn isakmp_exchange_detail(peer: &Peer, p: usize) -> Vec<String> {
    if peer.exchanges.is_empty() {
        return vec![String::new()];
    }
    let mut out = vec![String::new(), "ISAKMP Exchange Details".to_string()];
    for e in &peer.exchanges {
        out.extend(leaders(
            &[
                ("Id", e.id.to_string()),
                ("Phase", e.phase.to_string()),
                ("State", e.state.to_string()),
                ("Type", e.kind.to_string()),
                (
                    "Initiator",
                    if p == 0 { "TRUE" } else { "FALSE" }.to_string(),
                ),
                ("Peer Address", e.peer.clone()),
                ("Policy Name", POLICY.to_string()),
            ],
            0,
        ));
        out.push(String::new());
    }
    out
}

/// `show ipsec policy`: the policies in the order they are checked.
pub fn ipsec_policies(s: Scenario, p: usize) -> Vec<String> {
    let lines = section(s, p, "ipsec");
    let other = PEERS[1 - p.min(1)].wan;
    let rows: Vec<Vec<String>> = lines
        .iter()
        .filter(|l| l.starts_with("create ipsec policy="))
        .enumerate()
        .map(|(i, l)| {
            let action = param(l, "action").unwrap_or_default().to_ascii_uppercase();
            let ipsec = action == "IPSEC";
            vec![
                param(l, "policy").unwrap_or_default(),
                "eth0".into(),
                action,
                (i + 1).to_string(),
                if ipsec { "ISAKMP" } else { "-" }.into(),
                if ipsec { other.to_string() } else { "-".into() },
            ]
        })
        .collect();
    let mut out = vec![String::new()];
    out.extend(table(
        &[&[
            "Name",
            "Interface",
            "Action",
            "Position",
            "KeyMan.",
            "PeerAddress",
        ]],
        &rows,
    ));
    out.push(String::new());
    out
}

/// `show isakmp policy`: the ISAKMP policies as configured.
pub fn isakmp_policies(s: Scenario, p: usize) -> Vec<String> {
    let lines = section(s, p, "isakmp");
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if !l.starts_with("create isakmp") {
            continue;
        }
        let cont = lines.get(i + 1).filter(|n| n.starts_with(' '));
        let both = format!("{l} {}", cont.map(String::as_str).unwrap_or(""));
        let name = param(&both, "policy")
            .or_else(|| param(&both, "pol"))
            .unwrap_or_default();
        rows.push(vec![
            name,
            param(&both, "peer").unwrap_or_default(),
            param(&both, "mode")
                .unwrap_or("main".into())
                .to_ascii_uppercase(),
            param(&both, "encalg")
                .unwrap_or("3desouter".into())
                .to_ascii_uppercase(),
            param(&both, "hashalg")
                .unwrap_or("sha".into())
                .to_ascii_uppercase(),
            param(&both, "key").unwrap_or_default(),
        ]);
    }
    let mut out = vec![String::new()];
    out.extend(table(
        &[&["Name", "Peer", "Mode", "EncAlg", "HashAlg", "Key"]],
        &rows,
    ));
    out.push(String::new());
    out
}

/// `show firewall policy[=NAME]`: the interfaces and the rules in the order they are checked.
pub fn firewall_policy(s: Scenario, p: usize, name: Option<&str>) -> Vec<String> {
    if let Some(n) = name.filter(|n| !n.eq_ignore_ascii_case("main")) {
        return vec![format!(
            "Error (3077010): Firewall policy {n} does not exist."
        )];
    }
    let lines = section(s, p, "firewall");
    let mut out = vec![String::new(), "Firewall Policy main".to_string()];
    let ifaces: Vec<(String, String)> = lines
        .iter()
        .filter(|l| param(l, "type").is_some())
        .map(|l| {
            (
                format!("Interface {}", param(l, "interface").unwrap_or_default()),
                param(l, "type").unwrap_or_default().to_ascii_uppercase(),
            )
        })
        .collect();
    let fields: Vec<(&str, String)> = ifaces
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    out.extend(leaders(&fields, 2));
    out.push(String::new());
    let rows: Vec<Vec<String>> = lines
        .iter()
        .filter(|l| param(l, "rule").is_some())
        .map(|l| {
            let g = |k: &str| param(l, k).unwrap_or("-".into());
            vec![
                g("rule"),
                g("action").to_ascii_uppercase(),
                g("interface"),
                g("protocol").to_ascii_uppercase(),
                g("port"),
                g("ip"),
                g("remoteip"),
                g("encapsulation").to_ascii_uppercase(),
            ]
        })
        .collect();
    out.extend(table(
        &[&[
            "Rule",
            "Action",
            "Interface",
            "Protocol",
            "Port",
            "IP",
            "RemoteIP",
            "Encap",
        ]],
        &rows,
    ));
    out.push(String::new());
    out
}

/// `trace ADDRESS` from the router itself (SYNTHETIC layout). Its packets leave from the
/// `set ip local` address if one is set, else from the WAN address; they go through the
/// tunnel only when that source is in the policy's local range, the target in its remote
/// range, the permit policy does not come first, and both ends hold the SA.
pub fn trace(net: &Network, p: usize, target: &str) -> Vec<String> {
    let s = net.scenario;
    let p = p.min(1);
    let o = 1 - p;
    let src = ike_source(s, p);
    let hop = |n: usize, addr: &str| {
        format!(" {n}.  {addr:<16} {} ms  {} ms  {} ms", 2 + n, 3 + n, 2 + n)
    };
    let lost = |n: usize| format!(" {n}.  *                *       *       *");
    let mut out = vec![
        String::new(),
        format!("Trace from {src} to {target}, 1-30 hops (simulated)"),
    ];
    let prefix = |lan: &str| lan.trim_end_matches(".0").to_string() + ".";
    let own_lan = prefix(facts(s, p).lan);
    let far_lan = prefix(facts(s, o).lan);
    if target.parse::<std::net::Ipv4Addr>().is_err() {
        return vec![format!("Error (3035071): Invalid IP address \"{target}\".")];
    }
    if target == PEERS[o].wan || target.starts_with(&own_lan) || target == PEERS[p].wan {
        out.push(hop(1, target));
        out.push("Trace complete".into());
    } else if target.starts_with(&far_lan) && src.starts_with(&own_lan) {
        // The router's own traffic matches the tunnel's policy.
        let carried = s != Scenario::PermitFirst || p != 0;
        let sa = net.peers[p].ipsec_sas.first();
        let known = sa.is_some_and(|sa| {
            net.peers[o]
                .ipsec_sas
                .iter()
                .any(|x| x.in_spi == sa.out_spi)
        });
        if carried && known {
            out.push(hop(1, &lan_address(s, o)));
            out.push(hop(2, target));
            out.push("Trace complete".into());
        } else {
            out.extend((1..=3).map(lost));
            out.push("Trace terminated: no response after 3 hops".into());
        }
    } else {
        // Out in clear through the ISP: private addresses go no further.
        out.push(hop(1, ISP_GATEWAY));
        out.extend((2..=4).map(lost));
        out.push("Trace terminated: no response after 4 hops".into());
    }
    out.push(String::new());
    out
}
