//! Command arguments that carry a secret (ALLIEDWARE.md section 1, "Secrets typed as
//! arguments"), and a scanner that finds their values in a line as it is typed or echoed, a
//! byte at a time, so captures and reports can withhold them.
//!
//! Always secret, whatever the command (abbreviations of these names included):
//! `value=` (`create enco key=N type=general value=...`), `password=` (`set user=NAME
//! password=...`, `add user=NAME password=...`), `passphrase=`, `secret=`, `authpassword=`,
//! `privpassword=`, `presharedkey=`, `community=` (`create snmp community=...`: the SNMP
//! community is a password). Spaces around the `=` (`password = x`) are allowed.
//!
//! `key=` is a key *id* in most commands (`create enco key=1`, `create isakmp policy=...
//! key=1`): it is a secret only in the commands of the authentication servers (`tacplus`,
//! `tacacs`, `radius`), where it is the shared key itself.

use std::borrow::Cow;

/// The marker that stands where a secret value was.
pub const WITHHELD: &str = "<withheld: secret>";

/// Argument names whose value is always a secret, with the shortest abbreviation that is
/// still taken as that name (shorter is ambiguous with other arguments).
const SECRET_ARGS: &[(&str, usize)] = &[
    ("value", 3),
    ("password", 4),
    ("passphrase", 5),
    ("secret", 3),
    ("authpassword", 5),
    ("privpassword", 5),
    ("presharedkey", 4),
    ("community", 4),
];

/// Objects of the commands where `key=` is the shared key, not a key id.
const KEY_IS_SECRET_IN: &[(&str, usize)] = &[("tacplus", 4), ("tacacs", 4), ("radius", 3)];

/// Whether `name` (the word before `=`, any case) names an argument that is always secret.
pub fn is_secret_arg(name: &str) -> bool {
    SECRET_ARGS
        .iter()
        .any(|(full, min)| crate::alliedware::commands::abbrev(name, full, *min))
}

fn names_key_server(word: &str) -> bool {
    KEY_IS_SECRET_IN
        .iter()
        .any(|(full, min)| crate::alliedware::commands::abbrev(word, full, *min))
}

/// Whether a value's text ends with the full name of a secret argument.
fn ends_with_secret_name(text: &str) -> bool {
    let low = text.to_ascii_lowercase();
    SECRET_ARGS.iter().any(|(full, _)| low.ends_with(full))
}

/// Longest word (argument name or command word) the scanner looks at; longer words are
/// neither names nor objects.
const MAX_WORD: usize = 24;

/// Bytes of a line remembered for re-reading after a backspace; past this a backspace is
/// taken as it comes (the scanner stays where it was).
const MAX_LINE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum At {
    /// Between words.
    #[default]
    Space,
    /// In a word, before any `=`.
    Word,
    /// In an argument's value.
    Value { secret: bool, quoted: bool },
}

/// Follows one line of command text a byte at a time and says which bytes belong to a
/// secret value. Carriage return and line feed start a new line; backspace and DEL remove
/// the last byte (the line is read again from its start).
#[derive(Debug, Default, Clone)]
pub struct ArgScanner {
    at: At,
    word: String,
    /// A word of this line (before the byte now read) names an authentication server.
    key_server: bool,
    /// The word that ended at the last space, for an `=` written after a space
    /// (`password = x`).
    last_word: String,
    /// The value being read has had a byte other than a space (spaces before it, as in
    /// `password= x`, are skipped).
    value_started: bool,
    /// The line so far (up to `MAX_LINE`), to read again after a backspace.
    line: Vec<u8>,
    overflow: bool,
}

impl ArgScanner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Read one byte; true when it is part of a secret value (the caller withholds it).
    pub fn push(&mut self, b: u8) -> bool {
        match b {
            b'\r' | b'\n' => {
                *self = ArgScanner::default();
                false
            }
            0x08 | 0x7f => {
                self.backspace();
                false
            }
            0x20..=0x7e | 0x80..=0xff => {
                if self.line.len() < MAX_LINE {
                    self.line.push(b);
                } else {
                    self.overflow = true;
                }
                self.step(b)
            }
            // Other controls (a bell, an escape) are not text of the line.
            _ => false,
        }
    }

    /// True when the next byte typed would be part of a secret value.
    pub fn in_secret(&self) -> bool {
        matches!(self.at, At::Value { secret: true, .. })
    }

    fn backspace(&mut self) {
        if self.overflow {
            return;
        }
        let mut line = std::mem::take(&mut self.line);
        line.pop();
        *self = ArgScanner::default();
        for b in line {
            self.push(b);
        }
    }

    fn end_word(&mut self) {
        if names_key_server(&self.word) {
            self.key_server = true;
        }
        self.last_word = std::mem::take(&mut self.word);
    }

    /// An `=` after the argument `name`: the value starts.
    fn start_value(&mut self, name: &str) {
        let secret = is_secret_arg(name)
            || (self.key_server && crate::alliedware::commands::abbrev(name, "key", 3));
        self.at = At::Value {
            secret,
            quoted: false,
        };
        self.value_started = false;
        self.word.clear();
    }

    fn step(&mut self, b: u8) -> bool {
        match self.at {
            At::Space => {
                if b == b' ' || b == b'\t' {
                    return false;
                }
                if b == b'=' && !self.last_word.is_empty() {
                    // `password = x`: the name was the word before the spaces.
                    let name = std::mem::take(&mut self.last_word);
                    self.start_value(&name);
                    return false;
                }
                self.last_word.clear();
                self.at = At::Word;
                self.word.clear();
                self.step_word(b);
                false
            }
            At::Word => {
                self.step_word(b);
                false
            }
            At::Value { secret, quoted } => {
                if quoted {
                    if b == b'"' {
                        self.at = At::Value {
                            secret,
                            quoted: false,
                        };
                    }
                    return secret;
                }
                match b {
                    // Spaces between the `=` and the value.
                    b' ' | b'\t' if !self.value_started => false,
                    b' ' | b'\t' => {
                        self.at = At::Space;
                        self.last_word.clear();
                        false
                    }
                    // `type=generalvalue=x` (a space lost to a correction): a secret name
                    // glued to the end of another value still starts a secret.
                    b'=' if !secret => {
                        if ends_with_secret_name(&self.word) {
                            self.at = At::Value {
                                secret: true,
                                quoted: false,
                            };
                        }
                        self.word.clear();
                        false
                    }
                    b'"' => {
                        self.value_started = true;
                        self.at = At::Value {
                            secret,
                            quoted: true,
                        };
                        secret
                    }
                    _ => {
                        self.value_started = true;
                        if !secret {
                            self.push_word(b);
                        }
                        secret
                    }
                }
            }
        }
    }

    fn push_word(&mut self, b: u8) {
        if self.word.len() < MAX_WORD {
            self.word.push(char::from(b.min(0x7f)));
        } else {
            // Keep the end of a long value: only its end can be a name.
            self.word.remove(0);
            self.word.push(char::from(b.min(0x7f)));
        }
    }

    fn step_word(&mut self, b: u8) {
        match b {
            b' ' | b'\t' => {
                self.end_word();
                self.at = At::Space;
            }
            b'=' => {
                let name = std::mem::take(&mut self.word);
                self.start_value(&name);
            }
            _ => {
                if self.word.len() < MAX_WORD {
                    self.word.push(char::from(b.min(0x7f)));
                } else if !self.word.ends_with('\u{7f}') {
                    // Too long to be a name: no name will match. Marked once, not once a
                    // byte: a word with no end (a router flooding the line) must not grow.
                    self.word.push('\u{7f}');
                }
            }
        }
    }
}

/// Withhold every secret value in a line of text: each value becomes `WITHHELD` (once per
/// value). Lines with no `=` are returned as they are, without a copy.
pub fn redact_line(line: &str) -> Cow<'_, str> {
    if !line.contains('=') {
        return Cow::Borrowed(line);
    }
    let mut s = ArgScanner::new();
    let mut out: Option<Vec<u8>> = None;
    let mut in_value = false;
    for (i, &b) in line.as_bytes().iter().enumerate() {
        if s.push(b) {
            let o = out.get_or_insert_with(|| line.as_bytes()[..i].to_vec());
            if !in_value {
                o.extend_from_slice(WITHHELD.as_bytes());
                in_value = true;
            }
        } else {
            in_value = false;
            if let Some(o) = out.as_mut() {
                o.push(b);
            }
        }
    }
    match out {
        // Whole characters are withheld or kept (a secret value ends only at an ASCII space
        // or quote), so the bytes are still UTF-8; a lossy conversion is only a safeguard.
        Some(o) => Cow::Owned(String::from_utf8_lossy(&o).into_owned()),
        None => Cow::Borrowed(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secrets_of_the_issue_are_withheld() {
        assert_eq!(
            redact_line("create enco key=1 type=general value=secretvalue123"),
            "create enco key=1 type=general value=<withheld: secret>"
        );
        assert_eq!(
            redact_line("SecOff Peer1> set user=manager password=n3wS3cret"),
            "SecOff Peer1> set user=manager password=<withheld: secret>"
        );
        assert_eq!(
            redact_line("add user=bob pass=\"two words\" priv=user"),
            "add user=bob pass=<withheld: secret> priv=user"
        );
        // A key id is not a secret.
        let isakmp = "create isakmp policy=vpn peer=1.2.3.4 key=1 mode=main";
        assert_eq!(redact_line(isakmp), isakmp);
        assert_eq!(
            redact_line("add tacplus server=10.0.0.9 key=sharedk3y"),
            "add tacplus server=10.0.0.9 key=<withheld: secret>"
        );
        assert!(matches!(redact_line("show isakmp sa"), Cow::Borrowed(_)));
        assert_eq!(redact_line("value="), "value=");
        assert_eq!(redact_line("VALUE=x y"), "VALUE=<withheld: secret> y");
        assert_eq!(
            redact_line("add user=x password = SPACED04 priv=user"),
            "add user=x password = <withheld: secret> priv=user"
        );
        assert_eq!(
            redact_line("add user=x password= SPACED04"),
            "add user=x password= <withheld: secret>"
        );
        assert_eq!(
            redact_line("set snmp community=s3cretcomm"),
            "set snmp community=<withheld: secret>"
        );
        assert_eq!(
            redact_line("create isakmp policy=vpn key = 1 mode=main"),
            "create isakmp policy=vpn key = 1 mode=main"
        );
        assert_eq!(
            redact_line("type=generalvalue=s3cret x=1"),
            "type=generalvalue=<withheld: secret> x=1"
        );
    }

    #[test]
    fn typed_a_key_at_a_time_with_corrections() {
        let mut s = ArgScanner::new();
        let typed = b"set user=m passw=ab\x7fc d\r";
        let secret: Vec<bool> = typed.iter().map(|b| s.push(*b)).collect();
        let shown: String = typed
            .iter()
            .zip(&secret)
            .filter(|(_, s)| **s)
            .map(|(b, _)| char::from(*b))
            .collect();
        assert_eq!(shown, "abc");
        // Deleting back over `=` leaves the value.
        let mut s = ArgScanner::new();
        for b in b"value=x\x7f\x7f" {
            s.push(*b);
        }
        assert!(!s.push(b'q'));
    }
}
