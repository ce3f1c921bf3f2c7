//! The SAs of two ends, paired: ISAKMP SAs by the addresses each end shows (an end's SA peer
//! is the other end's address), IPsec SAs by SPI (A's OutSPI is B's InSPI and A's InSPI is
//! B's OutSPI). An SA without a partner says which end lacks it.

use super::addr;
use super::End;
use crate::model::{IkeSa, IpsecSa};
use serde::Serialize;
use std::collections::HashMap;

/// One ISAKMP SA and its partner at the other end, when it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IsakmpPair {
    pub a_sa: Option<u32>,
    pub b_sa: Option<u32>,
    /// The peer address each end shows for its SA.
    pub a_peer: Option<String>,
    pub b_peer: Option<String>,
    pub a_established: Option<bool>,
    pub b_established: Option<bool>,
    pub paired: bool,
    /// The end that has no partner SA (its name), when one is missing.
    pub lacking: Option<String>,
    /// Why it is not paired, in the words of the screen.
    pub note: Option<String>,
}

/// One IPsec SA and its partner at the other end, matched by SPI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpsecPair {
    pub a_sa: Option<u32>,
    pub b_sa: Option<u32>,
    pub a_policy: Option<String>,
    pub b_policy: Option<String>,
    pub protocol: String,
    pub a_out_spi: Option<u32>,
    pub a_in_spi: Option<u32>,
    pub b_out_spi: Option<u32>,
    pub b_in_spi: Option<u32>,
    /// Both directions match: A's OutSPI is B's InSPI and A's InSPI is B's OutSPI.
    pub paired: bool,
    /// The end that has no SA for the other's SPI (its name).
    pub lacking: Option<String>,
    pub note: Option<String>,
}

/// Whether an ISAKMP SA of `me` is with the other end (its peer is one of `other_addrs`); with
/// nothing known of the other end's addresses every SA may be.
fn towards(sa: &IkeSa, other_addrs: &[String]) -> bool {
    other_addrs.is_empty() || addr::contains(other_addrs, &sa.peer)
}

/// ISAKMP SAs in the order they are paired: established first, newest (highest id) first, so
/// a pile of stale SAs at one end is left over rather than paired with the live one.
fn ordered<'s>(sas: &'s [IkeSa], other_addrs: &[String]) -> Vec<&'s IkeSa> {
    let mut v: Vec<&IkeSa> = sas.iter().filter(|s| towards(s, other_addrs)).collect();
    v.sort_by_key(|s| (!s.established, std::cmp::Reverse(s.sa_id)));
    v
}

pub fn isakmp_pairs(a: &End, b: &End) -> Vec<IsakmpPair> {
    let (sa_a, sa_b) = (a.snapshot, b.snapshot);
    let a_addrs = addr::known(sa_a, sa_b);
    let b_addrs = addr::known(sa_b, sa_a);
    let xs = ordered(&sa_a.ike_sas, &b_addrs);
    let ys = ordered(&sa_b.ike_sas, &a_addrs);
    let mut out = Vec::new();
    for i in 0..xs.len().max(ys.len()) {
        let (x, y) = (xs.get(i), ys.get(i));
        let mut pair = IsakmpPair {
            a_sa: x.map(|s| s.sa_id),
            b_sa: y.map(|s| s.sa_id),
            a_peer: x.map(|s| s.peer.clone()),
            b_peer: y.map(|s| s.peer.clone()),
            a_established: x.map(|s| s.established),
            b_established: y.map(|s| s.established),
            paired: x.is_some() && y.is_some(),
            lacking: None,
            note: None,
        };
        match (x, y) {
            (Some(x), None) => one_sided(&mut pair, a, b, x, sa_b.seen.ike_sas),
            (None, Some(y)) => one_sided(&mut pair, b, a, y, sa_a.seen.ike_sas),
            (Some(x), Some(y)) if x.established != y.established => {
                let (up, down) = if x.established { (a, b) } else { (b, a) };
                pair.note = Some(format!(
                    "established at {} only; {} is still negotiating it",
                    up.name, down.name
                ));
            }
            _ => {}
        }
        out.push(pair);
    }
    out
}

fn one_sided(pair: &mut IsakmpPair, has: &End, lacks: &End, sa: &IkeSa, lacks_seen: bool) {
    if !lacks_seen {
        pair.note = Some(format!("{}'s ISAKMP SA table was not read", lacks.name));
        return;
    }
    let has_addr = addr::wan(has.snapshot, lacks.snapshot);
    let with = has_addr
        .map(|a| format!(" with {a}"))
        .unwrap_or_else(|| format!(" with {}", has.name));
    pair.lacking = Some(lacks.name.to_string());
    pair.note = Some(format!(
        "{} has ISAKMP SA {} with {}; {} has no ISAKMP SA{with}",
        has.name, sa.sa_id, sa.peer, lacks.name
    ));
}

/// The IPsec SAs of `me` that belong to this tunnel: those of the policy that faces the other
/// end, or all of them when no policy is known (or none of its SAs is listed).
fn tunnel_sas<'s>(me: &'s End, other: &End) -> Vec<&'s IpsecSa> {
    let other_addrs = addr::known(other.snapshot, me.snapshot);
    let policy = addr::facing_ipsec(&me.snapshot.config, &other_addrs).map(|p| p.name.as_str());
    let all: Vec<&IpsecSa> = me.snapshot.ipsec_sas.iter().collect();
    match policy {
        Some(name) => {
            let of_policy: Vec<&IpsecSa> = all
                .iter()
                .copied()
                .filter(|s| s.policy.trim().eq_ignore_ascii_case(name.trim()))
                .collect();
            if of_policy.is_empty() {
                all
            } else {
                of_policy
            }
        }
        None => all,
    }
}

fn spi(v: Option<u32>) -> String {
    v.map(|s| s.to_string()).unwrap_or_else(|| "-".into())
}

pub fn ipsec_pairs(a: &End, b: &End) -> Vec<IpsecPair> {
    let xs = tunnel_sas(a, b);
    let ys = tunnel_sas(b, a);
    // B's SAs by InSPI and by OutSPI: a router may hold hundreds of SAs, and the screen
    // pairs them every frame.
    let mut by_in: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut by_out: HashMap<u32, Vec<usize>> = HashMap::new();
    for (j, y) in ys.iter().enumerate() {
        if let Some(s) = y.in_spi {
            by_in.entry(s).or_default().push(j);
        }
        if let Some(s) = y.out_spi {
            by_out.entry(s).or_default().push(j);
        }
    }
    let mut used_y = vec![false; ys.len()];
    let mut out = Vec::new();
    for x in &xs {
        let free = |map: &HashMap<u32, Vec<usize>>, spi: Option<u32>, full: bool| {
            let list = map.get(&spi?)?;
            list.iter().copied().find(|&j| {
                let y = ys[j];
                !used_y[j]
                    && y.protocol.eq_ignore_ascii_case(&x.protocol)
                    && (!full || (y.in_spi == x.out_spi && y.out_spi == x.in_spi))
            })
        };
        // The partner: B's SA of the same protocol that receives on A's OutSPI (preferring
        // one that also sends on A's InSPI), or else one that sends on A's InSPI.
        let j = free(&by_in, x.out_spi, true)
            .or_else(|| free(&by_in, x.out_spi, false))
            .or_else(|| free(&by_out, x.in_spi, false));
        let y = j.map(|j| {
            used_y[j] = true;
            ys[j]
        });
        out.push(pair(a, b, Some(x), y));
    }
    for (j, y) in ys.iter().enumerate() {
        if !used_y[j] {
            out.push(pair(a, b, None, Some(y)));
        }
    }
    out
}

fn pair(a: &End, b: &End, x: Option<&IpsecSa>, y: Option<&IpsecSa>) -> IpsecPair {
    let mut p = IpsecPair {
        a_sa: x.map(|s| s.sa_id),
        b_sa: y.map(|s| s.sa_id),
        a_policy: x.map(|s| s.policy.clone()),
        b_policy: y.map(|s| s.policy.clone()),
        protocol: x.or(y).map(|s| s.protocol.clone()).unwrap_or_default(),
        a_out_spi: x.and_then(|s| s.out_spi),
        a_in_spi: x.and_then(|s| s.in_spi),
        b_out_spi: y.and_then(|s| s.out_spi),
        b_in_spi: y.and_then(|s| s.in_spi),
        paired: false,
        lacking: None,
        note: None,
    };
    match (x, y) {
        (Some(x), Some(y)) => {
            let forward = x.out_spi.is_some() && x.out_spi == y.in_spi;
            let back = x.in_spi.is_some() && x.in_spi == y.out_spi;
            p.paired = forward && back;
            if !forward {
                p.lacking = Some(b.name.to_string());
                p.note = Some(unknown_spi(a, b, x.out_spi));
            } else if !back {
                p.lacking = Some(a.name.to_string());
                p.note = Some(unknown_spi(b, a, y.out_spi));
            }
        }
        (Some(x), None) => lone(&mut p, a, b, x),
        (None, Some(y)) => lone(&mut p, b, a, y),
        (None, None) => {}
    }
    p
}

/// "Peer1 sends with SPI 1612248718; Peer2 has no SA with that InSPI".
fn unknown_spi(sender: &End, receiver: &End, out_spi: Option<u32>) -> String {
    format!(
        "{} sends with SPI {}; {} has no SA with that InSPI",
        sender.name,
        spi(out_spi),
        receiver.name
    )
}

fn lone(p: &mut IpsecPair, has: &End, lacks: &End, sa: &IpsecSa) {
    if !lacks.snapshot.seen.ipsec_sas {
        p.note = Some(format!("{}'s IPsec SA table was not read", lacks.name));
        return;
    }
    p.lacking = Some(lacks.name.to_string());
    p.note = Some(unknown_spi(has, lacks, sa.out_spi));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Limits, Snapshot};

    fn ike(id: u32, peer: &str, established: bool) -> IkeSa {
        IkeSa {
            sa_id: id,
            peer: peer.into(),
            encryption: None,
            hash: None,
            bytes: Limits::default(),
            seconds: Limits::default(),
            established,
            line: 0,
        }
    }

    fn ipsec(id: u32, out_spi: u32, in_spi: u32) -> IpsecSa {
        IpsecSa {
            sa_id: id,
            policy: "vpn".into(),
            bundle: Some(0),
            state: "Valid".into(),
            protocol: "ESP".into(),
            out_spi: Some(out_spi),
            in_spi: Some(in_spi),
            line: 0,
        }
    }

    fn snap(ike_sas: Vec<IkeSa>, ipsec_sas: Vec<IpsecSa>, me: &str) -> Snapshot {
        let mut s = Snapshot {
            ike_sas,
            ipsec_sas,
            ..Default::default()
        };
        s.config.ip_local = Some(me.into());
        s.seen.ike_sas = true;
        s.seen.ipsec_sas = true;
        s
    }

    const P1: &str = "200.200.200.2";
    const P2: &str = "200.200.200.1";

    /// (Peer1's IPsec SAs, Peer2's, expected (paired, lacking, note) per pair)
    #[test]
    fn ipsec_pairs_by_spi() {
        type Want = Vec<(bool, Option<&'static str>, Option<&'static str>)>;
        let cases: Vec<(Vec<IpsecSa>, Vec<IpsecSa>, Want)> = vec![
            (
                vec![ipsec(0, 1612248718, 992095719)],
                vec![ipsec(3, 992095719, 1612248718)],
                vec![(true, None, None)],
            ),
            (
                vec![ipsec(0, 1612248718, 992095719)],
                vec![],
                vec![(
                    false,
                    Some("Peer2"),
                    Some("Peer1 sends with SPI 1612248718; Peer2 has no SA with that InSPI"),
                )],
            ),
            (
                vec![],
                vec![ipsec(3, 992095719, 1612248718)],
                vec![(
                    false,
                    Some("Peer1"),
                    Some("Peer2 sends with SPI 992095719; Peer1 has no SA with that InSPI"),
                )],
            ),
            (
                // Out of step: Peer2 renegotiated, Peer1 still sends on the old SPI.
                vec![ipsec(0, 1612248718, 992095719)],
                vec![ipsec(4, 992095719, 55)],
                vec![(
                    false,
                    Some("Peer2"),
                    Some("Peer1 sends with SPI 1612248718; Peer2 has no SA with that InSPI"),
                )],
            ),
            (
                // Two bundles, listed in different orders.
                vec![ipsec(0, 10, 20), ipsec(1, 30, 40)],
                vec![ipsec(7, 40, 30), ipsec(8, 20, 10)],
                vec![(true, None, None), (true, None, None)],
            ),
        ];
        for (i, (xs, ys, want)) in cases.into_iter().enumerate() {
            let (sa, sb) = (snap(vec![], xs, P1), snap(vec![], ys, P2));
            let (a, b) = (End::new("Peer1", &sa), End::new("Peer2", &sb));
            let pairs = ipsec_pairs(&a, &b);
            let got: Vec<(bool, Option<&str>, Option<&str>)> = pairs
                .iter()
                .map(|p| (p.paired, p.lacking.as_deref(), p.note.as_deref()))
                .collect();
            assert_eq!(got, want, "case {i}");
        }
    }

    #[test]
    fn an_unread_table_is_not_a_missing_sa() {
        let sa = snap(vec![ike(1, P2, true)], vec![ipsec(0, 1, 2)], P1);
        let mut sb = snap(vec![], vec![], P2);
        sb.seen = Default::default();
        let (a, b) = (End::new("Peer1", &sa), End::new("Peer2", &sb));
        let p = &ipsec_pairs(&a, &b)[0];
        assert!(!p.paired && p.lacking.is_none(), "{p:?}");
        assert_eq!(
            p.note.as_deref(),
            Some("Peer2's IPsec SA table was not read")
        );
        let p = &isakmp_pairs(&a, &b)[0];
        assert!(!p.paired && p.lacking.is_none(), "{p:?}");
    }

    #[test]
    fn isakmp_pairs_by_address() {
        // Peer2 holds a pile of stale SAs (sa-accumulation); the newest pairs with Peer1's.
        let sa = snap(vec![ike(9, P2, true), ike(4, "10.9.9.9", true)], vec![], P1);
        let sb = snap(
            vec![ike(1, P1, true), ike(2, P1, true), ike(3, P1, true)],
            vec![],
            P2,
        );
        let (a, b) = (End::new("Peer1", &sa), End::new("Peer2", &sb));
        let pairs = isakmp_pairs(&a, &b);
        assert_eq!(
            pairs.len(),
            3,
            "the SA with a third router is not this tunnel's"
        );
        assert!(pairs[0].paired);
        assert_eq!((pairs[0].a_sa, pairs[0].b_sa), (Some(9), Some(3)));
        assert_eq!(pairs[1].lacking.as_deref(), Some("Peer1"));
        assert_eq!(
            pairs[1].note.as_deref(),
            Some("Peer2 has ISAKMP SA 2 with 200.200.200.2; Peer1 has no ISAKMP SA with 200.200.200.1")
        );
        // One end still negotiating.
        let sa = snap(vec![ike(1, P2, false)], vec![], P1);
        let sb = snap(vec![ike(5, P1, true)], vec![], P2);
        let (a, b) = (End::new("Peer1", &sa), End::new("Peer2", &sb));
        let p = &isakmp_pairs(&a, &b)[0];
        assert!(p.paired);
        assert_eq!(
            p.note.as_deref(),
            Some("established at Peer2 only; Peer1 is still negotiating it")
        );
    }
}
