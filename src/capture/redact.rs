//! Keeping secrets out of captures: what the user types at a password prompt is withheld,
//! and the values the router prints for `show enco key=N` are replaced.

use crate::alliedware::commands::{abbrev, split_words};

/// Follows the commands sent, to know when the router is printing key values.
#[derive(Debug, Default)]
pub struct Redactor {
    in_key_display: bool,
    keep: bool,
}

/// A command that shows key material (`show enco key=N`, abbreviated or not).
pub fn shows_keys(command: &str) -> bool {
    let w = split_words(command);
    w.len() >= 3
        && abbrev(&w[0].key, "show", 2)
        && abbrev(&w[1].key, "enco", 2)
        && abbrev(&w[2].key, "key", 3)
        && w[2].value.is_some()
}

impl Redactor {
    pub fn new(keep_secrets: bool) -> Self {
        Redactor {
            in_key_display: false,
            keep: keep_secrets,
        }
    }

    /// A command line the user (or the poller) sent.
    pub fn sent(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let cmd = text.trim();
        if !cmd.is_empty() {
            self.in_key_display = shows_keys(cmd);
        }
    }

    /// Router output: in a key display, every value after a label is replaced, and any long
    /// run of hex digits anywhere; the prompt that ends the display ends the redaction.
    pub fn received(&mut self, data: &[u8]) -> Vec<u8> {
        if self.keep || !self.in_key_display {
            return data.to_vec();
        }
        let text = String::from_utf8_lossy(data);
        if text.contains("> ") && (text.contains("Manager") || text.contains("SecOff")) {
            self.in_key_display = false;
        }
        let mut out = String::new();
        for piece in text.split_inclusive('\n') {
            let (body, end) = match piece.strip_suffix("\r\n") {
                Some(b) => (b, "\r\n"),
                None => match piece.strip_suffix('\n') {
                    Some(b) => (b, "\n"),
                    None => (piece, ""),
                },
            };
            out.push_str(&redact_line(body));
            out.push_str(end);
        }
        out.into_bytes()
    }
}

/// `Value ........ 0x12AB...` -> `Value ........ [redacted]`; long hex runs anywhere too.
fn redact_line(line: &str) -> String {
    let leader = line.find("..").or_else(|| line.find(':'));
    let (head, tail) = match leader {
        Some(i) => {
            let after = line[i..].trim_start_matches(['.', ':', ' ']);
            let cut = line.len() - after.len();
            (&line[..cut], after)
        }
        None => ("", line),
    };
    let redacted: Vec<String> = tail
        .split(' ')
        .map(|w| {
            let hexish = w.len() >= 6
                && w.trim_start_matches("0x")
                    .chars()
                    .all(|c| c.is_ascii_hexdigit());
            if (leader.is_some() && !w.is_empty()) || hexish {
                "[redacted]".to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let mut joined = redacted.join(" ");
    if leader.is_some() {
        // One marker per value, however many words it had.
        while joined.contains("[redacted] [redacted]") {
            joined = joined.replace("[redacted] [redacted]", "[redacted]");
        }
    }
    format!("{head}{joined}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_are_replaced() {
        assert!(shows_keys("sh enco key=1"));
        assert!(!shows_keys("show enco key"));
        assert!(!shows_keys("show ipsec sa"));
        let mut r = Redactor::new(false);
        r.sent(b"show enco key=1\r");
        let out = r.received(
            b"Key Id .......... 1\r\nValue ........... 0xDEADBEEF0123 4567\r\nsecret: friend\r\n",
        );
        let t = String::from_utf8(out).unwrap();
        assert!(
            !t.contains("DEADBEEF") && !t.contains("4567") && !t.contains("friend"),
            "{t}"
        );
        assert!(t.contains("Value ........... [redacted]"), "{t}");
        r.received(b"SecOff Peer1> ");
        r.sent(b"show ipsec sa\r");
        assert_eq!(
            r.received(b"Value .... 0xDEADBEEF\r\n"),
            b"Value .... 0xDEADBEEF\r\n"
        );
        let mut keep = Redactor::new(true);
        keep.sent(b"show enco key=1\r");
        assert_eq!(
            keep.received(b"Value .... 0xAB\r\n"),
            b"Value .... 0xAB\r\n"
        );
    }
}
