//! Addresses of one end as the other end must see them: its own addresses (interfaces, the
//! configured local address), its WAN address, the policies that face the other end, and the
//! IPv4 ranges of IPsec selectors. Vendor-neutral: only `model` data.

use crate::model::{Config, IkePolicy, IpsecPolicy, Snapshot};
use std::net::Ipv4Addr;

/// An address that is really set: not empty, not `Not set`, not `0.0.0.0`.
pub fn is_set(addr: &str) -> bool {
    let a = addr.trim();
    !(a.is_empty() || a == "0.0.0.0" || a.eq_ignore_ascii_case("not set"))
}

/// `any` or `dynamic` (however abbreviated): a peer setting that accepts every address.
pub fn is_wildcard(addr: &str) -> bool {
    let a = addr.trim().to_ascii_lowercase();
    a.starts_with("an") || a.starts_with("dy")
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The addresses the router itself shows: every interface address and the configured local
/// address.
pub fn own(snap: &Snapshot) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |a: &str| {
        if is_set(a) && !out.iter().any(|x| same(x, a)) {
            out.push(a.trim().to_string());
        }
    };
    if let Some(a) = snap.config.ip_local.as_deref() {
        push(a);
    }
    for i in &snap.interfaces {
        if let Some(a) = i.address.as_deref() {
            push(a);
        }
    }
    out
}

/// The peer addresses `config` names (IKE policies and encrypting IPsec policies), wildcards
/// left out: what that end believes the other end's address is.
pub fn named_peers(config: &Config) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let ike = config.ike_policies.iter().filter_map(|p| p.peer.as_deref());
    let ipsec = config
        .ipsec_policies
        .iter()
        .filter(|p| p.is_ipsec())
        .filter_map(|p| p.peer.as_deref());
    for a in ike.chain(ipsec) {
        if is_set(a) && !is_wildcard(a) && !out.iter().any(|x| same(x, a)) {
            out.push(a.trim().to_string());
        }
    }
    out
}

/// The addresses `me` is known by: its own when it showed them, else those the other end's
/// configuration names for it.
pub fn known(me: &Snapshot, other: &Snapshot) -> Vec<String> {
    let mine = own(me);
    if !mine.is_empty() {
        return mine;
    }
    named_peers(&other.config)
}

pub fn contains(list: &[String], addr: &str) -> bool {
    list.iter().any(|x| same(x, addr))
}

/// The encrypting IPsec policy of `me` that faces an end known by `other_addrs`: the first
/// `action=ipsec` policy whose peer is one of them, else the first encrypting policy.
pub fn facing_ipsec<'s>(me: &'s Config, other_addrs: &[String]) -> Option<&'s IpsecPolicy> {
    let encrypting = || me.ipsec_policies.iter().filter(|p| p.is_ipsec());
    encrypting()
        .find(|p| p.peer.as_deref().is_some_and(|a| contains(other_addrs, a)))
        .or_else(|| encrypting().next())
}

/// The IKE policy of `me` that faces an end known by `other_addrs`: one whose peer is one of
/// them, else the one the facing IPsec policy names, else the first accepting any peer, else
/// the first.
pub fn facing_ike<'s>(me: &'s Config, other_addrs: &[String]) -> Option<&'s IkePolicy> {
    let exact = me
        .ike_policies
        .iter()
        .find(|p| p.peer.as_deref().is_some_and(|a| contains(other_addrs, a)));
    let named = || {
        facing_ipsec(me, other_addrs)
            .and_then(|p| p.isakmp_policy.as_deref())
            .and_then(|n| me.ike_policy(n))
    };
    exact
        .or_else(named)
        .or_else(|| me.ike_policies.iter().find(|p| p.peer_is_wildcard()))
        .or_else(|| me.ike_policies.first())
}

/// The address `me` talks IKE from: the configured local address, else the address of the
/// interface its facing IPsec policy is on, else its only interface address outside
/// private ranges, else the only address the other end names for it.
pub fn wan(me: &Snapshot, other: &Snapshot) -> Option<String> {
    if let Some(a) = me.config.ip_local.as_deref().filter(|a| is_set(a)) {
        return Some(a.trim().to_string());
    }
    let other_addrs = known(other, me);
    let iface = facing_ipsec(&me.config, &other_addrs).and_then(|p| p.interface.as_deref());
    if let Some(name) = iface {
        let addr = me
            .interfaces
            .iter()
            .find(|i| same(&i.name, name))
            .and_then(|i| i.address.as_deref())
            .filter(|a| is_set(a));
        if let Some(a) = addr {
            return Some(a.trim().to_string());
        }
    }
    let public: Vec<String> = own(me)
        .into_iter()
        .filter(|a| a.parse::<Ipv4Addr>().is_ok_and(|ip| !ip.is_private()))
        .collect();
    if let [one] = public.as_slice() {
        return Some(one.clone());
    }
    let named = named_peers(&other.config);
    match named.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// An inclusive IPv4 range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub first: u32,
    pub last: u32,
}

impl Range {
    pub fn overlaps(&self, other: &Range) -> bool {
        self.first <= other.last && other.first <= self.last
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (a, b) = (Ipv4Addr::from(self.first), Ipv4Addr::from(self.last));
        if a == b {
            write!(f, "{a}")
        } else {
            write!(f, "{a}-{b}")
        }
    }
}

fn ip(s: &str) -> Option<u32> {
    s.trim().parse::<Ipv4Addr>().ok().map(u32::from)
}

fn mask(s: &str) -> Option<u32> {
    let m = ip(s)?;
    let inv = !m;
    (inv & inv.wrapping_add(1) == 0).then_some(m)
}

/// What an IPsec selector covers: `a.b.c.d` with an optional mask, `a.b.c.d/nn` or
/// `a.b.c.d-e.f.g.h`. `None` for `any`, nothing, or text that is not an address.
pub fn selector(address: Option<&str>, mask_text: Option<&str>) -> Option<Range> {
    let address = address?.trim();
    if address.is_empty() || is_wildcard(address) {
        return None;
    }
    if let Some((a, b)) = address.split_once('-') {
        let (first, last) = (ip(a)?, ip(b)?);
        return (first <= last).then_some(Range { first, last });
    }
    let (addr, m) = match address.split_once('/') {
        Some((a, p)) => {
            let n: u32 = p.trim().parse().ok()?;
            let m = match n {
                0 => 0,
                1..=32 => u32::MAX << (32 - n),
                _ => return None,
            };
            (ip(a)?, m)
        }
        None => (
            ip(address)?,
            match mask_text {
                Some(t) if !t.trim().is_empty() => mask(t)?,
                _ => u32::MAX,
            },
        ),
    };
    Some(Range {
        first: addr & m,
        last: addr | !m,
    })
}

/// A selector as one line: `192.168.1.0/255.255.255.0`, `any`, or as written.
pub fn selector_text(address: Option<&str>, mask_text: Option<&str>) -> Option<String> {
    let a = address?.trim();
    Some(match mask_text.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => format!("{a}/{m}"),
        None => a.to_string(),
    })
}

/// Whether two selectors cover the same addresses: equal ranges, both `any`, or (when either
/// is not an address) the same text.
pub fn same_selector(a: (Option<&str>, Option<&str>), b: (Option<&str>, Option<&str>)) -> bool {
    match (selector(a.0, a.1), selector(b.0, b.1)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => {
            let any = |s: Option<&str>| s.is_none_or(is_wildcard);
            (any(a.0) && any(b.0)) || selector_text(a.0, a.1) == selector_text(b.0, b.1)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        let net = Some(Range {
            first: u32::from(Ipv4Addr::new(192, 168, 1, 0)),
            last: u32::from(Ipv4Addr::new(192, 168, 1, 255)),
        });
        let cases: &[(Option<&str>, Option<&str>, Option<Range>)] = &[
            (Some("192.168.1.0"), Some("255.255.255.0"), net),
            (Some("192.168.1.7"), Some("255.255.255.0"), net),
            (Some("192.168.1.0/24"), None, net),
            (Some("192.168.1.0-192.168.1.255"), None, net),
            (Some("any"), None, None),
            (Some("192.168.1.0"), Some("255.0.255.0"), None),
            (Some("junk"), None, None),
            (None, None, None),
        ];
        for (a, m, want) in cases {
            assert_eq!(selector(*a, *m), *want, "{a:?} {m:?}");
        }
        assert!(same_selector(
            (Some("192.168.1.0"), Some("255.255.255.0")),
            (Some("192.168.1.0/24"), None)
        ));
        assert!(same_selector((Some("any"), None), (None, None)));
        assert!(!same_selector(
            (Some("192.168.1.0"), Some("255.255.255.0")),
            (Some("192.168.2.0"), Some("255.255.255.0"))
        ));
    }

    #[test]
    fn set_and_wildcard() {
        for (a, set) in [
            ("0.0.0.0", false),
            ("Not set", false),
            (" ", false),
            ("1.2.3.4", true),
        ] {
            assert_eq!(is_set(a), set, "{a}");
        }
        for (a, w) in [
            ("any", true),
            ("DYNAMIC", true),
            ("an", true),
            ("1.1.1.1", false),
        ] {
            assert_eq!(is_wildcard(a), w, "{a}");
        }
    }
}
