//! Small IPv4 range arithmetic for IPsec policy selectors (`laddress`/`lmask`,
//! `raddress`/`rmask`). Anything that is not a clean address, range or mask gives `None`, so
//! junk in a configuration is skipped rather than guessed at.

use std::net::Ipv4Addr;

/// An inclusive range of IPv4 addresses.
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

/// A dotted mask; only contiguous masks are real masks, anything else is junk.
fn mask(s: &str) -> Option<u32> {
    let m = ip(s)?;
    // Contiguous means the inverted mask is of the form 0..01..1.
    let inv = !m;
    if inv & inv.wrapping_add(1) == 0 {
        Some(m)
    } else {
        None
    }
}

fn prefix_mask(s: &str) -> Option<u32> {
    let n: u32 = s.trim().parse().ok()?;
    match n {
        0 => Some(0),
        1..=32 => Some(u32::MAX << (32 - n)),
        _ => None,
    }
}

fn masked(addr: u32, m: u32) -> Range {
    Range {
        first: addr & m,
        last: addr | !m,
    }
}

/// Whether a selector means "any address" (`any`, abbreviated down to `an`).
pub fn is_any(address: &str) -> bool {
    address.trim().to_ascii_lowercase().starts_with("an")
}

/// The addresses a selector covers: `a.b.c.d` (one host, or a network with `mask`),
/// `a.b.c.d/nn`, or `a.b.c.d-e.f.g.h`. `None` for `any`, an empty value or junk.
pub fn selector(address: Option<&str>, mask_text: Option<&str>) -> Option<Range> {
    let address = address?.trim();
    if address.is_empty() || is_any(address) {
        return None;
    }
    if let Some((a, b)) = address.split_once('-') {
        let (first, last) = (ip(a)?, ip(b)?);
        return (first <= last).then_some(Range { first, last });
    }
    if let Some((a, p)) = address.split_once('/') {
        return Some(masked(ip(a)?, prefix_mask(p)?));
    }
    let addr = ip(address)?;
    match mask_text.map(str::trim).filter(|m| !m.is_empty()) {
        None => Some(Range {
            first: addr,
            last: addr,
        }),
        Some(m) => Some(masked(addr, mask(m)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(a: &str, m: Option<&str>) -> Option<Range> {
        selector(Some(a), m)
    }

    #[test]
    fn networks_hosts_and_ranges() {
        let lan = r("192.168.1.0", Some("255.255.255.0")).unwrap();
        assert_eq!(lan.to_string(), "192.168.1.0-192.168.1.255");
        assert_eq!(r("192.168.1.7", None).unwrap().to_string(), "192.168.1.7");
        assert_eq!(
            r("10.0.0.0/8", None).unwrap().to_string(),
            "10.0.0.0-10.255.255.255"
        );
        assert_eq!(
            r(" 10.0.0.5 - 10.0.0.9 ", None).unwrap().to_string(),
            "10.0.0.5-10.0.0.9"
        );
        assert_eq!(
            r("1.2.3.4", Some("0.0.0.0")).unwrap().to_string(),
            "0.0.0.0-255.255.255.255"
        );
    }

    #[test]
    fn overlap() {
        let a = r("192.168.1.0", Some("255.255.255.0")).unwrap();
        let b = r("192.168.2.0", Some("255.255.255.0")).unwrap();
        let c = r("192.168.1.100", None).unwrap();
        assert!(!a.overlaps(&b));
        assert!(a.overlaps(&c) && c.overlaps(&a));
        assert!(a.overlaps(&a));
    }

    #[test]
    fn junk_and_any_are_skipped() {
        for junk in [
            "",
            " ",
            "any",
            "ANY",
            "an",
            "dynamic",
            "1.2.3",
            "1.2.3.4.5",
            "300.1.1.1",
            "-",
            "1.2.3.4-",
            "1.2.3.9-1.2.3.1",
            "1.2.3.4/33",
            "1.2.3.4/x",
            "/",
            "a-b-c",
            "é.é.é.é",
        ] {
            assert_eq!(selector(Some(junk), None), None, "{junk:?}");
        }
        assert_eq!(selector(None, Some("255.0.0.0")), None);
        assert_eq!(r("1.2.3.4", Some("255.0.255.0")), None);
        assert_eq!(r("1.2.3.4", Some("junk")), None);
    }
}
