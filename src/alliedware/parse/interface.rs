//! `show ip interface`: a header of several lines, then one record of as many lines per
//! interface. Only some of its columns are known; all are kept by header name.

use super::Parsed;
use crate::alliedware::table::{is_ipv4, is_rule, Header};
use crate::model::{Interface, SourceLine};
use regex::Regex;
use std::sync::OnceLock;

fn first_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // The type column may be blank (`LOCAL      Not set`).
        Regex::new(r"^(\S+)\s+(?:(\S+)\s+)?(Not set|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})")
            .expect("valid pattern")
    })
}

fn addr_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(Not set|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})").expect("valid pattern")
    })
}

/// Interface names of AlliedWare routers and switches.
fn ifname_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)^(local\d*|eth\d+|ppp\d+|vlan\d+|fr\d+|x25t?\d*|isdn\d*|syn\d+|bri\d+|pri\d+|virt\d+|tunnel\d+|gre\d+|l2tp\d*|sync\d+|asyn\d+|vir\d+)(\.\d+)?$")
            .expect("valid pattern")
    })
}

pub fn is_header(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.contains("interface") && l.contains("ip address")
}

fn is_header_continuation(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    (l.contains("filt") && l.contains("mask")) || l.contains("invarp") || l.contains("garp")
}

fn starts_record(line: &str) -> bool {
    line.split_whitespace()
        .next()
        .is_some_and(|w| ifname_re().is_match(w))
}

pub fn fits(line: &str) -> bool {
    let t = line.trim();
    t.is_empty()
        || t == "."
        || is_rule(t)
        || is_header(t)
        || is_header_continuation(t)
        || starts_record(t)
        || t.starts_with("---")
        || t.starts_with("On ")
        || t.starts_with("Off ")
}

fn finish(rec: &mut Vec<SourceLine>, headers: &[Header], out: &mut Parsed<Interface>) {
    if rec.is_empty() {
        return;
    }
    let first = &rec[0];
    let Some(c) = first_re().captures(first.text.trim()) else {
        out.unrecognised.append(rec);
        return;
    };
    let name = c[1].to_string();
    let address = (&c[3] != "Not set").then(|| c[3].to_string());
    // The mask is the first address (or `Not set`) on the record's second line.
    let mask = rec.get(1).and_then(|l| {
        addr_re()
            .find(&l.text)
            .map(|m| m.as_str())
            .filter(|m| *m == "Not set" || is_ipv4(m))
            .and_then(|m| (m != "Not set").then(|| m.to_string()))
    });
    let mut fields = Vec::new();
    for (h, l) in headers.iter().zip(rec.iter()) {
        for (col, cell) in h.columns.iter().zip(h.cut(&l.text)) {
            fields.push((col.name.clone(), cell));
        }
    }
    out.items.push(Interface {
        name,
        address,
        mask,
        fields,
        line: first.number,
    });
    rec.clear();
}

/// Parse `show ip interface`.
pub fn parse(lines: &[SourceLine]) -> Parsed<Interface> {
    let mut out = Parsed::default();
    let mut headers: Vec<Header> = Vec::new();
    let mut in_header = false;
    let mut rec: Vec<SourceLine> = Vec::new();
    for l in lines {
        let t = l.text.trim();
        if is_header(t) {
            finish(&mut rec, &headers, &mut out);
            headers = vec![Header::from_words(&l.text)];
            in_header = true;
            continue;
        }
        if in_header
            && !t.is_empty()
            && !is_rule(t)
            && !starts_record(t)
            && is_header_continuation(t)
        {
            headers.push(Header::from_words(&l.text));
            continue;
        }
        in_header = false;
        if t.is_empty() || t == "." || is_rule(t) {
            continue;
        }
        if starts_record(t) {
            finish(&mut rec, &headers, &mut out);
            rec.push(l.clone());
        } else if !rec.is_empty() && rec.len() < headers.len().max(2) {
            rec.push(l.clone());
        } else {
            out.unrecognised.push(l.clone());
        }
    }
    finish(&mut rec, &headers, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_not_set_and_eth0() {
        let lines: Vec<SourceLine> =
            "Interface  Type  IP Address       Bc  Fr  PArp  Filt  RIP Met.  SAMode  IPSc\n\
             Pri. Filt  Pol. Filt  Network Mask     MTU  VJC  GRE  OSPF Met.  DBcast  Mul.\n\
             Garp  VLAN Tag  VLAN Pri  InvArp\n\
             ---------------------------------------------------------------------------\n\
             LOCAL      ---   Not set          -   -   -     ---   --        Pass    --\n\
             ---        ---   Not set          1500  -   ---  --   ---  ---\n\
             On    none  none  -\n\
             eth0       Static 200.200.200.2  1   -   On    ---   --        Pass    --\n\
             ---        ---   255.255.255.0    1500  -   ---  --   ---  ---\n\
             On    none  none  -\n\
             .\n"
            .lines()
            .enumerate()
            .map(|(i, t)| SourceLine::new(i + 1, t))
            .collect();
        let p = parse(&lines);
        assert!(p.unrecognised.is_empty(), "{:?}", p.unrecognised);
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.items[0].name, "LOCAL");
        assert_eq!(p.items[0].address, None);
        assert_eq!(p.items[0].mask, None);
        assert_eq!(p.items[1].address.as_deref(), Some("200.200.200.2"));
        assert_eq!(p.items[1].mask.as_deref(), Some("255.255.255.0"));
    }

    #[test]
    fn blank_type_column() {
        let lines: Vec<SourceLine> = "Interface  Type  IP Address       Bc  Fr
             LOCAL            10.1.1.1         -   -
             eth0             Not set          -   -
"
        .lines()
        .enumerate()
        .map(|(i, t)| SourceLine::new(i + 1, t))
        .collect();
        let p = parse(&lines);
        assert!(p.unrecognised.is_empty(), "{:?}", p.unrecognised);
        assert_eq!(p.items[0].address.as_deref(), Some("10.1.1.1"));
        assert_eq!(p.items[1].address, None);
    }
}
