//! Counter displays: section titles and `name value` pairs, several pairs per line allowed.
//! Every `identifier integer` pair is kept; names are never assumed.

use super::Parsed;
use crate::alliedware::table::is_rule;
use crate::model::{Counter, SourceLine};
use regex::Regex;
use std::sync::OnceLock;

fn pair_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // `name 12`, `name: 12`, `name ...... 12`, `name=12`
    RE.get_or_init(|| {
        Regex::new(r"([A-Za-z][A-Za-z0-9_]*)(?:\s*[:=]\s*|\s*\.{2,}\s*|\s+)(\d+)\b")
            .expect("valid pattern")
    })
}

/// The pairs of a line, when the whole line is pairs (and nothing else but space and dots).
pub fn pairs(line: &str) -> Option<Vec<(&str, &str)>> {
    whole_line_pairs(pair_re(), line)
}

/// The matches of `re` (name, value) when they make up the whole line.
fn whole_line_pairs<'l>(re: &Regex, line: &'l str) -> Option<Vec<(&'l str, &'l str)>> {
    let mut found = Vec::new();
    let mut last = 0;
    for c in re.captures_iter(line) {
        let (Some(m), Some(n), Some(v)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        if !line[last..m.start()].trim().is_empty() {
            return None;
        }
        found.push((n.as_str(), v.as_str()));
        last = m.end();
    }
    (!found.is_empty() && line[last..].trim().is_empty()).then_some(found)
}

fn odd_pair_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // A value that is not a plain count: signed, hexadecimal, with a point or an exponent,
    // or too large (`-5`, `0x10`, `1e30`, `2.5`); the value is one word.
    RE.get_or_init(|| {
        Regex::new(
            r"([A-Za-z][A-Za-z0-9_]*)(?:\s*[:=]\s*|\s*\.{2,}\s*|\s+)([-+]?(?:0[xX][0-9A-Fa-f]+|\d[0-9.]*(?:[eE][-+]?\d+)?|\.\d+)[A-Za-z%]*)(?:\s|$)",
        )
        .expect("valid pattern")
    })
}

/// A line of counters where some value is not a plain count (`outNeg ........ -5`): the
/// pairs, each value as printed. Such a line belongs to the display; what does not parse is
/// kept as text with a warning, never taken for a title or dropped.
pub fn odd_pairs(line: &str) -> Option<Vec<(&str, &str)>> {
    whole_line_pairs(odd_pair_re(), line)
}

pub fn fits(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || is_rule(t) || pairs(t).is_some() || odd_pairs(t).is_some()
}

/// A line that names a counter display or section (`Outbound Packet Processing Counters`).
pub fn is_title(line: &str) -> bool {
    let t = line.trim().trim_end_matches(':').trim_end();
    t.len() > 8
        && t.len() < 80
        && t.to_ascii_lowercase().ends_with("counters")
        && pairs(t).is_none()
        && odd_pairs(t).is_none()
}

/// Parse one counter display; `command` is its canonical command.
pub fn parse(command: &str, lines: &[SourceLine]) -> Parsed<Counter> {
    let mut out = Parsed::default();
    let mut section = String::new();
    for l in lines {
        let t = l.text.trim();
        if t.is_empty() || is_rule(t) {
            continue;
        }
        match pairs(t).or_else(|| odd_pairs(t)) {
            Some(ps) => {
                // The counts are kept; a value that is not one keeps the whole line as text
                // (once, however many of its values are odd).
                let mut odd = false;
                for (name, value) in ps {
                    match value.parse::<u64>() {
                        Ok(value) => out.items.push(Counter {
                            command: command.to_string(),
                            section: section.clone(),
                            name: name.to_string(),
                            value,
                            line: l.number,
                        }),
                        Err(_) => odd = true,
                    }
                }
                if odd {
                    out.unrecognised.push(l.clone());
                }
            }
            None => {
                // Any other line is the title of the section that follows (debug lines were
                // routed away before the parser saw the block).
                if t.len() <= 120 {
                    section = t.trim_end_matches(':').trim().to_string();
                } else {
                    out.unrecognised.push(l.clone());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_several_pairs_per_line() {
        let lines: Vec<SourceLine> = "IPSEC Policy wiz_Peer1 to Peer2 Counters\n\
             Outbound Packet Processing Counters:\n\
             \x20 outProcessStarted ........ 12    outProcessDone ........... 10\n\
             \x20 outProcessFailed             2\n\
             Inbound Packet Processing Counters:\n\
             \x20 inProcessDone: 9   inBadSpiResponse: 0\n\
             \x20 inDropInvalidSa 18446744073709551615\n"
            .lines()
            .enumerate()
            .map(|(i, t)| SourceLine::new(i + 1, t))
            .collect();
        let p = parse("show ipsec policy=x counters", &lines);
        assert!(p.unrecognised.is_empty(), "{:?}", p.unrecognised);
        let get = |n: &str| p.items.iter().find(|c| c.name == n).unwrap();
        assert_eq!(get("outProcessDone").value, 10);
        assert_eq!(
            get("outProcessDone").section,
            "Outbound Packet Processing Counters"
        );
        assert_eq!(get("outProcessFailed").value, 2);
        assert_eq!(
            get("inProcessDone").section,
            "Inbound Packet Processing Counters"
        );
        assert_eq!(get("inBadSpiResponse").value, 0);
        assert_eq!(get("inDropInvalidSa").value, u64::MAX);
        assert_eq!(p.items.len(), 6);
    }

    #[test]
    fn unusual_values_are_kept_as_text_never_titles() {
        let lines: Vec<SourceLine> = "Outbound Packet Processing Counters\n\
             \x20 outProcessStarted ........ 12    outNeg ........ -5\n\
             \x20 outBig ........ 1e30\n\
             \x20 outHex: 0x10\n\
             \x20 outWrap 18446744073709551616\n\
             \x20 outAfter ........ 7\n"
            .lines()
            .enumerate()
            .map(|(i, t)| SourceLine::new(i + 1, t))
            .collect();
        for l in &lines[1..] {
            assert!(fits(&l.text), "{:?}", l.text);
            assert!(!is_title(&l.text), "{:?}", l.text);
        }
        let p = parse("show ipsec policy=x counters", &lines);
        let kept: Vec<usize> = p.unrecognised.iter().map(|l| l.number).collect();
        assert_eq!(kept, vec![2, 3, 4, 5]);
        let names: Vec<&str> = p.items.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["outProcessStarted", "outAfter"]);
        // The section was not replaced by an odd line.
        assert!(p
            .items
            .iter()
            .all(|c| c.section == "Outbound Packet Processing Counters"));
    }

    #[test]
    fn debug_text_is_not_pairs() {
        assert!(pairs("ISAKMP: SA 3 established").is_none());
        assert!(pairs("Phase 1 main mode done").is_none());
        assert!(pairs("a 1 b 2").is_some());
        assert!(is_title("Outbound Packet Processing Counters"));
        assert!(!is_title("inProcessDone 3"));
    }
}
