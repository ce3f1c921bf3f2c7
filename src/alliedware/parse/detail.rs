//! Dotted-leader displays (`Label ........ value`), nesting shown by indentation.

use super::Parsed;
use crate::model::{Detail, DetailField, SourceLine};
use regex::Regex;
use std::sync::OnceLock;

fn leader_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(\s*)(\S.*?)\s*\.(?:\s?\.){2,}\s?(.*)$").expect("valid pattern")
    })
}

/// `(indent, label, value)` of a dotted-leader line.
pub fn leader(line: &str) -> Option<(usize, &str, &str)> {
    let c = leader_re().captures(line)?;
    let indent = c.get(1)?.as_str().chars().count();
    Some((indent, c.get(2)?.as_str().trim(), c.get(3)?.as_str().trim()))
}

/// A dotted leader that can start a detail display found without its command: a real
/// leader (a run of at least four dots) after a label that is not a debug prefix (`ISAKMP:`).
pub fn starts_display(line: &str) -> bool {
    line.contains("....")
        && leader(line).is_some_and(|(_, label, _)| !label.contains(':') && !label.contains('['))
}

pub fn fits(line: &str) -> bool {
    line.trim().is_empty()
        || leader(line).is_some()
        || line.starts_with(' ')
        || is_block_title(line)
}

/// A block title such as `NAT Traversal` or `Filters`: a few capitalised words, no digits or
/// punctuation. Debug text inside the display (which names a module, a number or a colon, or
/// is a lower-case sentence) does not look like this, so the line stays with the display.
pub fn is_block_title(line: &str) -> bool {
    // Runs on every unsolicited line of a debug flood: length first, and no allocation.
    let t = line.trim();
    if t.is_empty() || t.len() > 40 {
        return false;
    }
    let title_word = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_uppercase())
            && w.bytes()
                .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'/')
    };
    let mut words = 0;
    t.split_ascii_whitespace().all(|w| {
        words += 1;
        words <= 4 && title_word(w)
    })
}

/// Parse a detail display into fields with their block path.
pub fn parse(command: &str, lines: &[SourceLine]) -> Parsed<Detail> {
    let mut out = Parsed::default();
    let mut detail = Detail {
        command: command.to_string(),
        fields: Vec::new(),
    };
    // The enclosing block titles, with their indents.
    let mut stack: Vec<(usize, String)> = Vec::new();
    for l in lines {
        let t = l.text.trim();
        if t.is_empty() {
            continue;
        }
        let indent = l.text.chars().take_while(|c| c.is_whitespace()).count();
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        if let Some((_, label, value)) = leader(&l.text) {
            let mut path: Vec<&str> = stack.iter().map(|(_, s)| s.as_str()).collect();
            path.push(label);
            detail.fields.push(DetailField {
                path: path.join(" / "),
                label: label.to_string(),
                value: value.to_string(),
                depth: stack.len(),
            });
        } else if t.len() <= 60 && !t.contains("  ") {
            // A block title such as `NAT Traversal` or `Filters`.
            stack.push((indent, t.trim_end_matches(':').to_string()));
        } else {
            out.unrecognised.push(l.clone());
        }
    }
    if !detail.fields.is_empty() {
        out.items.push(detail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_blocks() {
        let lines: Vec<SourceLine> = "SA Id ..................... 0\n\
             Policy .................... wiz_Peer1 to Peer2\n\
             Outbound SPI .............. 1612248718\n\
             NAT Traversal\n\
             \x20 Enabled ................. TRUE\n\
             \x20 Remote port ............. 4500\n\
             Filters\n\
             \x20 Local address ........... 192.168.1.0 - 192.168.1.255\n"
            .lines()
            .enumerate()
            .map(|(i, t)| SourceLine::new(i + 1, t))
            .collect();
        let p = parse("show ipsec sa=0", &lines);
        assert!(p.unrecognised.is_empty(), "{:?}", p.unrecognised);
        let d = &p.items[0];
        assert_eq!(d.get("Policy"), Some("wiz_Peer1 to Peer2"));
        assert_eq!(d.get("Outbound SPI"), Some("1612248718"));
        let nat = d.fields.iter().find(|f| f.label == "Remote port").unwrap();
        assert_eq!(nat.path, "NAT Traversal / Remote port");
        assert_eq!(nat.depth, 1);
        let f = d
            .fields
            .iter()
            .find(|f| f.label == "Local address")
            .unwrap();
        assert_eq!(f.path, "Filters / Local address");
    }
}
