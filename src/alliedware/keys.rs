//! Pre-shared keys compared without showing them: which key each ISAKMP policy names, the
//! command that displays it, and the SHA-256 fingerprint of the value a reply shows. The value
//! itself is never kept: it is hashed where it is found and the text is dropped.

use crate::model::{Cmd, Config, Dialect};
use sha2::{Digest, Sha256};

/// The key ids the ISAKMP policies name (each once, in order).
pub fn key_ids(config: &Config) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for p in &config.ike_policies {
        if let Some(k) = p.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            if !ids.iter().any(|i| i == k) {
                ids.push(k.to_string());
            }
        }
    }
    ids
}

/// The commands that show those keys.
pub fn commands(config: &Config, d: &dyn Dialect) -> Vec<String> {
    key_ids(config)
        .iter()
        .map(|k| d.command(&Cmd::ShowKey(k)))
        .collect()
}

/// The fingerprint of the key value a `show enco key=N` reply shows (the line that starts with
/// `Value`, after its leader dots or colon); `None` when the reply shows no value (an error, a
/// key that does not exist, a layout not known).
pub fn fingerprint<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<[u8; 32]> {
    let mut it = lines.into_iter().peekable();
    while let Some(l) = it.next() {
        let t = l.trim_start();
        let Some(rest) = t
            .get(..5)
            .filter(|w| w.eq_ignore_ascii_case("value"))
            .map(|_| &t[5..])
        else {
            continue;
        };
        let value = rest
            .trim_start_matches(|c: char| c == '.' || c == ':' || c.is_whitespace())
            .trim_end();
        if value.is_empty() {
            continue;
        }
        let mut h = Sha256::new();
        h.update(value.as_bytes());
        // A long value may wrap onto indented lines that are not fields of their own: they
        // are part of it (two keys that differ only there must not look the same).
        while let Some(next) = it.peek() {
            let wraps = next.starts_with(char::is_whitespace)
                && !next.trim().is_empty()
                && !next.contains("..")
                && !next.contains(':');
            if !wraps {
                break;
            }
            h.update(next.trim().as_bytes());
            it.next();
        }
        return Some(h.finalize().into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_line_is_hashed_and_nothing_else() {
        let a = [
            "ENCO Key Details",
            "  Key Id ................ 1",
            "  Value ................. secret-one",
        ];
        let b = [
            "ENCO Key Details",
            "  Key Id ................ 7",
            "  Type .................. GENERAL",
            "  Value: secret-one",
        ];
        let c = ["  Value ................. secret-two"];
        assert_eq!(
            fingerprint(a),
            fingerprint(b),
            "the same value, another layout"
        );
        assert_ne!(fingerprint(a), fingerprint(c));
        assert_eq!(
            fingerprint(["Error (3088063): Key 1 does not exist."]),
            None
        );
        assert_eq!(fingerprint(["  Value ................."]), None);
        // A wrapped value: the continuation is part of it.
        let k = ["  Value ......... SAMEFIRSTLINE", "     WRAPPED-K"];
        let l = ["  Value ......... SAMEFIRSTLINE", "     WRAPPED-L"];
        assert_ne!(fingerprint(k), fingerprint(l));
        assert_ne!(
            fingerprint(k),
            fingerprint(["  Value ......... SAMEFIRSTLINE"])
        );
    }
}
