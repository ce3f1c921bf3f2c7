//! Keeping secrets out of captures: what the user types at a password prompt is withheld,
//! the values the router prints for `show enco key=N` are replaced, and the values of secret
//! command arguments (`value=`, `password=`, ... see `alliedware::secrets`) are withheld both
//! ways: in what is sent (a whole command or a key at a time) and in the router's echo.

use crate::alliedware::commands::{abbrev, split_words};
use crate::alliedware::secrets::{ArgScanner, WITHHELD};

/// Follows the commands sent, to know when the router is printing key values.
#[derive(Debug, Default)]
pub struct Redactor {
    in_key_display: bool,
    keep: bool,
    /// What has been typed since the last Enter (a command may come a key at a time).
    typed: String,
    /// Output of a key display held until its line is complete, so a value split across
    /// reads is still recognised.
    pending: Vec<u8>,
    /// Secret arguments in what is sent, and in what the router sends back (its echo).
    out_args: ArgWithholder,
    in_args: ArgWithholder,
}

/// Replaces each secret argument value in a byte stream by one `WITHHELD` marker, however the
/// stream is cut into pieces (a value typed a key at a time gets its marker at its first key,
/// and its other keys are dropped).
#[derive(Debug, Default)]
struct ArgWithholder {
    scan: ArgScanner,
    /// The marker of the value being read was already written.
    marked: bool,
}

impl ArgWithholder {
    fn filter(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len());
        for &b in data {
            if self.scan.push(b) {
                if !self.marked {
                    out.extend_from_slice(WITHHELD.as_bytes());
                    self.marked = true;
                }
            } else {
                // A backspace that goes back into the value must not write a second marker.
                self.marked = self.scan.in_secret() && self.marked;
                out.push(b);
            }
        }
        out
    }
}

/// A command that may show key material: `show enco` with anything after it or nothing
/// (`show enco key=1`, `show enco key`, `show enco key = 1`, `sh enc`), any case, the
/// keywords abbreviated as the router allows.
pub fn shows_keys(command: &str) -> bool {
    let w = split_words(command);
    w.len() >= 2
        && w[0].value.is_none()
        && abbrev(&w[0].key, "show", 2)
        && abbrev(&w[1].key, "enco", 3)
}

/// Held output is given up (redacted) past this, so a display with no line ends cannot grow
/// memory.
const MAX_PENDING: usize = 64 * 1024;

impl Redactor {
    pub fn new(keep_secrets: bool) -> Self {
        Redactor {
            keep: keep_secrets,
            ..Default::default()
        }
    }

    /// Bytes sent to the router: a command is judged when its Enter is sent. Returns the bytes
    /// to record, secret argument values withheld (empty when every byte was part of a value
    /// whose marker is already recorded).
    #[must_use = "the bytes to record are the ones returned, secrets withheld"]
    pub fn sent(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.track_sent(bytes);
        if self.keep {
            return bytes.to_vec();
        }
        self.out_args.filter(bytes)
    }

    fn track_sent(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\r' | b'\n' => {
                    let cmd = std::mem::take(&mut self.typed);
                    let cmd = cmd.trim();
                    if !cmd.is_empty() {
                        self.in_key_display = shows_keys(cmd);
                    }
                }
                0x08 | 0x7f => {
                    self.typed.pop();
                }
                0x20..=0x7e if self.typed.len() < 1024 => self.typed.push(char::from(b)),
                _ => {}
            }
        }
    }

    /// Router output. In a key display, whole lines are redacted (the values after a label,
    /// and long hex runs); a line is held until it is complete; the prompt that ends the
    /// display ends the redaction, and what follows it is passed as it is.
    /// Secret argument values (the echo of a command typed with one) are withheld as well.
    pub fn received(&mut self, data: &[u8]) -> Vec<u8> {
        if self.keep {
            return data.to_vec();
        }
        let out = self.received_key_display(data);
        self.in_args.filter(&out)
    }

    fn received_key_display(&mut self, data: &[u8]) -> Vec<u8> {
        if !self.in_key_display {
            return data.to_vec();
        }
        self.pending.extend_from_slice(data);
        let mut out = Vec::new();
        while self.in_key_display {
            let Some(nl) = self.pending.iter().position(|b| *b == b'\n') else {
                break;
            };
            let line: Vec<u8> = self.pending.drain(..=nl).collect();
            let text = String::from_utf8_lossy(&line);
            let body = text.trim_end_matches(['\r', '\n']);
            if is_prompt(body) {
                self.in_key_display = false;
                out.extend_from_slice(&line);
            } else {
                out.extend_from_slice(redact_line(body).as_bytes());
                out.extend_from_slice(&line[body.len()..]);
            }
        }
        if self.in_key_display {
            // An unfinished line that is the prompt: the display is over.
            let text = String::from_utf8_lossy(&self.pending).into_owned();
            if is_prompt(text.trim_end()) {
                self.in_key_display = false;
            } else if self.pending.len() > MAX_PENDING {
                out.extend_from_slice(redact_line(&text).as_bytes());
                self.pending.clear();
            }
        }
        if !self.in_key_display {
            out.append(&mut self.pending);
        }
        out
    }
}

/// The router's prompt (any level, nothing after it), or a line that starts with a prompt
/// naming its level (debug text may follow it): either way the display is over.
fn is_prompt(line: &str) -> bool {
    crate::alliedware::prompt::PromptMatcher::default()
        .match_line(line.trim_end())
        .is_some_and(|p| p.rest.is_empty() || p.strong)
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
        for c in [
            "sh enco key=1",
            "show enco key=1",
            "SHOW ENCO KEY=1",
            "show enco key",
            "show enco key = 1",
            "sh enco ke=1",
            "show enc",
            "sh   enco",
            "show enco",
        ] {
            assert!(shows_keys(c), "{c}");
        }
        assert!(!shows_keys("show en"));
        assert!(!shows_keys("show encoding"));
        assert!(!shows_keys("show ipsec sa"));
        let mut r = Redactor::new(false);
        // Typed a key at a time, with a correction.
        for b in b"show enco kez\x7fy=1\r" {
            let _ = r.sent(&[*b]);
        }
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
        let _ = r.sent(b"show ipsec sa\r");
        assert_eq!(
            r.received(b"Value .... 0xDEADBEEF\r\n"),
            b"Value .... 0xDEADBEEF\r\n"
        );
        let mut keep = Redactor::new(true);
        let _ = keep.sent(b"show enco key=1\r");
        assert_eq!(
            keep.received(b"Value .... 0xAB\r\n"),
            b"Value .... 0xAB\r\n"
        );
    }
}

#[cfg(test)]
mod split_tests {
    use super::*;

    #[test]
    fn values_split_across_reads_and_the_prompt_ends_it() {
        let mut r = Redactor::new(false);
        let _ = r.sent(b"show enco key=1\r");
        let input = b"Value ........ 0xDEADBEEFCAFE\r\nSecOff Peer1> ";
        let mut out = Vec::new();
        for piece in input.chunks(3) {
            out.extend(r.received(piece));
        }
        let t = String::from_utf8(out).unwrap();
        assert!(!t.contains("DEADBEEF"), "{t}");
        assert!(t.ends_with("SecOff Peer1> "), "{t}");
        // After the prompt nothing is redacted, even in the same read.
        assert_eq!(
            r.received(b"ISAKMP: Value .. 0xAB\r\n"),
            b"ISAKMP: Value .. 0xAB\r\n"
        );
        let mut r = Redactor::new(false);
        let _ = r.sent(b"show enco key=1\r");
        let a = r.received(b"Value .. 0xDEADBEEFCAFE\r\nSecOff Pe");
        let b = r.received(b"er1> ISAKMP: Exchange 3 sent\r\n");
        let t = String::from_utf8([a, b].concat()).unwrap();
        assert!(
            !t.contains("DEADBEEF") && t.contains("ISAKMP: Exchange 3 sent"),
            "{t}"
        );
        // A user-level prompt ends it too.
        let mut r = Redactor::new(false);
        let _ = r.sent(b"sh enco key=2\r");
        let t = [
            r.received(b"Value .. 0xDEADBEEFCAFE\r\nPeer1> "),
            r.received(b"x\r\n"),
        ]
        .concat();
        assert!(String::from_utf8(t).unwrap().ends_with("Peer1> x\r\n"));
    }
}

#[cfg(test)]
mod argument_tests {
    use super::*;

    fn text(v: Vec<u8>) -> String {
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn secret_arguments_are_withheld_both_ways() {
        let mut r = Redactor::new(false);
        let cmd = b"create enco key=1 type=general value=secretvalue123\r";
        // A key at a time, each echoed as it comes (a serial console in passthrough).
        let mut sent = Vec::new();
        let mut echo = Vec::new();
        for b in cmd {
            sent.push(text(r.sent(&[*b])));
            echo.push(text(r.received(&[*b])));
        }
        let sent = sent.concat();
        let echo = echo.concat();
        assert_eq!(
            sent,
            "create enco key=1 type=general value=<withheld: secret>\r"
        );
        assert_eq!(sent, echo);
        // Whole, with a correction echoed as BS SP BS.
        let mut r = Redactor::new(false);
        let s = text(r.sent(b"set user=manager password=n3wS3cret\r"));
        assert_eq!(s, "set user=manager password=<withheld: secret>\r");
        let e =
            text(r.received(b"SecOff Peer1> set user=manager password=n3wS3cx\x08 \x08ret\r\n"));
        assert!(!e.contains("n3wS") && !e.contains("ret\r"), "{e}");
        assert!(
            e.starts_with("SecOff Peer1> set user=manager password=<withheld: secret>"),
            "{e}"
        );
        // A key id is not a secret; kept when asked to keep secrets.
        let mut r = Redactor::new(false);
        let id = b"create isakmp policy=vpn peer=1.2.3.4 key=1\r";
        assert_eq!(r.sent(id), id.to_vec());
        let mut keep = Redactor::new(true);
        let v = b"create enco key=1 value=abc\r";
        assert_eq!(keep.sent(v), v.to_vec());
        assert_eq!(keep.received(v), v.to_vec());
    }
}
