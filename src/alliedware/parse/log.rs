//! `show log`: log entries (time, module, type, severity, message). The layout is not
//! published, so columns come from the header's words and the message runs to the line end.

use super::Parsed;
use crate::alliedware::table::{is_rule, Header};
use crate::model::{LogEntry, SourceLine};
use regex::Regex;
use std::sync::OnceLock;

fn time_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^\s*((?:\d{4}-\d{2}-\d{2}[ T]|\d{1,2}[-/ ](?:\d{1,2}|[A-Za-z]{3})(?:[-/ ]\d{2,4})?\s+|\d{1,2}\s+)?\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)\s+(.*)$",
        )
        .expect("valid pattern")
    })
}

pub fn is_header(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    (l.contains("date") || l.contains("time"))
        && (l.contains("message") || l.contains("msg"))
        && !l.chars().any(|c| c.is_ascii_digit())
}

pub fn fits(line: &str) -> bool {
    let t = line.trim();
    t.is_empty()
        || is_rule(t)
        || is_header(t)
        || time_re().is_match(line)
        || line.starts_with("   ")
}

/// Map header words to entry fields.
fn role(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    if n.contains("date") || n.contains("time") {
        Some("time")
    } else if n.starts_with("mod") {
        Some("module")
    } else if n.starts_with("sev") || n == "s" || n == "lvl" || n == "level" {
        // `S` is the severity; `SType` beside it is the sub-type, not a severity.
        Some("severity")
    } else if n == "type" {
        Some("kind")
    } else if n.starts_with("mes") || n == "msg" {
        Some("message")
    } else {
        None
    }
}

/// Parse `show log`.
pub fn parse(lines: &[SourceLine]) -> Parsed<LogEntry> {
    let mut out: Parsed<LogEntry> = Parsed::default();
    let mut header: Option<Header> = None;
    for l in lines {
        let t = l.text.trim();
        if t.is_empty() || is_rule(t) {
            continue;
        }
        if is_header(t) {
            header = Some(Header::from_words(&l.text));
            continue;
        }
        let Some(c) = time_re().captures(&l.text) else {
            // A wrapped message continues the entry above it.
            match out.items.last_mut() {
                Some(e) if l.text.starts_with(' ') => {
                    e.message.push(' ');
                    e.message.push_str(t);
                }
                _ => out.unrecognised.push(l.clone()),
            }
            continue;
        };
        let mut e = LogEntry {
            time: c[1].trim().to_string(),
            module: String::new(),
            kind: String::new(),
            severity: String::new(),
            message: c[2].trim().to_string(),
            line: l.number,
        };
        if let Some(h) = &header {
            // Cut by the header; the message column takes the rest of the line.
            let msg_col = h
                .columns
                .iter()
                .position(|c| role(&c.name) == Some("message"));
            let cells = h.cut(&l.text);
            let time_cols = h
                .columns
                .iter()
                .filter(|c| role(&c.name) == Some("time"))
                .count();
            if time_cols > 0 && cells.len() == h.columns.len() {
                for (col, cell) in h.columns.iter().zip(cells.iter()) {
                    match role(&col.name) {
                        Some("module") => e.module = cell.clone(),
                        Some("kind") => e.kind = cell.clone(),
                        Some("severity") => e.severity = cell.clone(),
                        _ => {}
                    }
                }
                if let Some(i) = msg_col {
                    let start = h.columns[i].start;
                    let msg: String = l.text.chars().skip(start).collect();
                    if !msg.trim().is_empty() {
                        e.message = msg.trim().to_string();
                    }
                }
            }
        }
        out.items.push(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_columns_and_wrapped_messages() {
        let lines: Vec<SourceLine> = "Date/Time     S Mod   Type  SType Message\n\
             -------------------------------------------------------------\n\
             26 10:32:19   3 ISAK  IKE   PH1   Phase 1 main mode exchange completed with\n\
             \x20                                  200.200.200.1\n\
             26 10:32:20   3 IPSE  IPSEC BUND  IPsec SA bundle created\n"
            .lines()
            .enumerate()
            .map(|(i, t)| SourceLine::new(i + 1, t))
            .collect();
        let p = parse(&lines);
        assert!(p.unrecognised.is_empty(), "{:?}", p.unrecognised);
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.items[0].time, "26 10:32:19");
        assert_eq!(p.items[0].module, "ISAK");
        assert_eq!(p.items[0].severity, "3");
        assert_eq!(p.items[0].kind, "IKE");
        assert!(p.items[0].message.contains("Phase 1 main mode"));
        assert!(p.items[0].message.ends_with("200.200.200.1"));
        assert!(p.items[1].message.contains("bundle created"));
    }
}
