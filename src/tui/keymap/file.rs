//! Reading one keymap file: TOML into checked bindings in file order, refusing anything
//! the file cannot mean (bad key, unknown command or context, a key bound twice in a context).
//! Layering files on each other is the keymap's job, not this one's.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::command::{Command, Context};
use super::error::{closest, ErrorKind, KeymapError, Position};
use super::key::{Key, KeySeq};

/// `run = "noop"` unbinds the key: in a user file it removes the built-in binding.
pub const NOOP: &str = "noop";

/// One line of a keymap file as TOML gives it; spans let errors point at the text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    on: Spanned<String>,
    run: Spanned<String>,
    desc: Option<Spanned<String>>,
}

/// The most of a keymap file that is read: shipped keymaps are a few kilobytes.
pub const MAX_FILE: u64 = 1024 * 1024;

/// Reads a user keymap file, refusing one larger than [`MAX_FILE`] (or a device like
/// `/dev/zero`) before it is all in memory.
pub fn read_capped(path: &std::path::Path) -> Result<String, ErrorKind> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(ErrorKind::Read)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(ErrorKind::Read)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(ErrorKind::TooLarge);
    }
    String::from_utf8(bytes)
        .map_err(|e| ErrorKind::Read(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// Characters a description may not hold: C0 and C1 controls and DEL (they drive the
/// terminal: OSC 52 writes the clipboard, CSI moves the cursor), bidirectional controls
/// (they reorder what is shown) and zero-width characters (they hide text).
pub fn unsafe_in_text(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

/// A checked binding from a file. `command` is None for `noop`.
#[derive(Clone, Debug)]
pub struct FileBinding {
    pub context: Context,
    pub keys: KeySeq,
    pub command: Option<Command>,
    pub desc: Option<String>,
}

/// Parses and checks a whole file, in file order.
pub fn parse(source: &str, origin: &str) -> Result<Vec<FileBinding>, KeymapError> {
    let fail = |offset: usize, kind: ErrorKind| KeymapError {
        origin: origin.to_string(),
        position: Some(Position::at(source, offset)),
        kind,
    };
    let raw: BTreeMap<Spanned<String>, Vec<RawBinding>> = toml::from_str(source).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        fail(offset, ErrorKind::Toml(e.message().to_string()))
    })?;

    // Walk contexts in file order, so the first error reported is the first in the file.
    let mut contexts: Vec<_> = raw.into_iter().collect();
    contexts.sort_by_key(|(name, _)| name.span().start);

    let mut out = Vec::new();
    for (name, entries) in contexts {
        let context = Context::from_name(name.get_ref()).ok_or_else(|| {
            let suggestion = closest(name.get_ref(), Context::ALL.iter().map(|c| c.name()));
            let kind = ErrorKind::UnknownContext {
                name: name.get_ref().clone(),
                suggestion,
            };
            fail(name.span().start, kind)
        })?;
        let mut seen: Vec<(KeySeq, usize)> = Vec::new();
        for entry in entries {
            let keys =
                parse_keys(source, &entry.on).map_err(|(offset, kind)| fail(offset, kind))?;
            let line = Position::at(source, entry.on.span().start).line;
            for (other, other_line) in &seen {
                if !other.overlaps(&keys) {
                    continue;
                }
                let kind = if *other == keys {
                    ErrorKind::Duplicate {
                        keys: keys.to_string(),
                        context,
                        first_line: *other_line,
                    }
                } else {
                    ErrorKind::Overlap {
                        keys: keys.to_string(),
                        other: other.to_string(),
                        context,
                        other_line: *other_line,
                    }
                };
                return Err(fail(entry.on.span().start, kind));
            }
            seen.push((keys.clone(), line));
            out.push(FileBinding {
                context,
                keys,
                command: parse_command(&entry.run)
                    .map_err(|kind| fail(entry.run.span().start, kind))?,
                desc: match entry.desc {
                    Some(desc) => {
                        if let Some(c) = desc.get_ref().chars().find(|&c| unsafe_in_text(c)) {
                            return Err(fail(desc.span().start, ErrorKind::ControlInDesc(c)));
                        }
                        Some(desc.into_inner())
                    }
                    None => None,
                },
            });
        }
    }
    Ok(out)
}

fn parse_command(run: &Spanned<String>) -> Result<Option<Command>, ErrorKind> {
    let name = run.get_ref().as_str();
    if name == NOOP {
        return Ok(None);
    }
    Command::from_name(name)
        .map(Some)
        .ok_or_else(|| ErrorKind::UnknownCommand {
            name: name.to_string(),
            suggestion: closest(name, Command::ALL.iter().map(|c| c.name())),
        })
}

/// Parses `on`, pointing a bad key error at the bad key inside the string when the string
/// is written without escapes (almost always), else at its opening quote.
fn parse_keys(source: &str, on: &Spanned<String>) -> Result<KeySeq, (usize, ErrorKind)> {
    let span: Range<usize> = on.span();
    let text = on.get_ref();
    let inner = span.start + 1;
    let literal = source.get(inner..span.end.saturating_sub(1)) == Some(text.as_str());
    let mut keys = Vec::new();
    for (offset, token) in tokens(text) {
        let key = token.parse::<Key>().map_err(|e| {
            let at = if literal { inner + offset } else { span.start };
            (at, ErrorKind::BadKey(e))
        })?;
        keys.push(key);
    }
    KeySeq::new(keys).map_err(|e| (span.start, ErrorKind::BadKey(e)))
}

/// Whitespace-separated tokens with their byte offsets.
fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_offsets() {
        assert_eq!(tokens(" g  g"), vec![(1, "g"), (4, "g")]);
        assert_eq!(
            tokens("ctrl-w é x"),
            vec![(0, "ctrl-w"), (7, "é"), (10, "x")]
        );
        assert!(tokens("   ").is_empty());
    }

    #[test]
    fn bad_key_points_inside_the_string() {
        let src = "global = [\n  { on = \"g bogus\", run = \"quit\" },\n]\n";
        let err = match parse(src, "x.toml") {
            Err(e) => e,
            Ok(_) => panic!("accepted a bad key"),
        };
        assert_eq!(
            err.position,
            Some(Position {
                line: 2,
                column: 13
            })
        );
        assert!(
            err.to_string()
                .starts_with("x.toml:2:13: bad key: unknown key `bogus`"),
            "{err}"
        );
    }

    #[test]
    fn noop_and_file_order() {
        let src = "debug = [{ on = \"f\", run = \"noop\" }]\nglobal = [{ on = \"q\", run = \"quit\", desc = \"Leave\" }]\n";
        let bindings = parse(src, "x.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bindings.len(), 2);
        assert_eq!(
            (bindings[0].context, bindings[0].command),
            (Context::Debug, None)
        );
        assert_eq!(bindings[1].command, Some(Command::Quit));
        assert_eq!(bindings[1].desc.as_deref(), Some("Leave"));
    }
}
