//! IPv4 range arithmetic for IPsec policy selectors (`laddress`/`lmask`,
//! `raddress`/`rmask`): the tunnel room's, one copy for both. Anything that is not a clean
//! address, range or mask gives `None`, so junk in a configuration is skipped rather than
//! guessed at.

pub use crate::tunnel::addr::selector;
#[cfg(test)]
pub use crate::tunnel::addr::Range;

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
