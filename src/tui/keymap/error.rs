//! Keymap file errors: each names the file and the 1-based line and column, compiler style
//! (`keymap.toml:12:8: unknown command ...`), so an editor can jump to it.

use std::fmt;

use super::command::Context;
use super::key::KeyParseError;

/// A 1-based place in a keymap file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// Turns toml's byte offset into a line and a column counted in characters.
    pub fn at(source: &str, offset: usize) -> Position {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &source[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// Why a keymap file was refused; never a silent fallback to the defaults.
#[derive(Debug)]
pub struct KeymapError {
    /// The file's path, or the built-in keymap's name.
    pub origin: String,
    /// None when the file could not be read at all.
    pub position: Option<Position>,
    pub kind: ErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    #[error("cannot read the keymap: {0}")]
    Read(#[source] std::io::Error),
    /// Read with a cap, so a device or a runaway file cannot take the memory.
    #[error("larger than 1 MiB: not a keymap")]
    TooLarge,
    /// A description is printed by `tunnelscope keys` and the help screen: a control,
    /// bidirectional or invisible character in it could drive the terminal or hide text.
    #[error("a description cannot hold the control or invisible character U+{:04X}", u32::from(*.0))]
    ControlInDesc(char),
    /// TOML syntax, or a shape the format does not allow (unknown field, missing `run`),
    /// in toml's own words.
    #[error("{0}")]
    Toml(String),
    #[error("unknown context `{name}`{}; contexts are {}", did_you_mean(.suggestion), context_names())]
    UnknownContext {
        name: String,
        suggestion: Option<&'static str>,
    },
    #[error("unknown command `{name}`{}; `tunnelscope keys` lists them, `noop` unbinds", did_you_mean(.suggestion))]
    UnknownCommand {
        name: String,
        suggestion: Option<&'static str>,
    },
    #[error("bad key: {0}")]
    BadKey(#[from] KeyParseError),
    #[error("`{keys}` is bound twice in [{context}] (first at line {first_line})")]
    Duplicate {
        keys: String,
        context: Context,
        first_line: usize,
    },
    /// One binding is a prefix of another, so the shorter would hide the longer.
    #[error("`{keys}` in [{context}] clashes with `{other}` at line {other_line}: a key cannot both run a command and start a sequence")]
    Overlap {
        keys: String,
        other: String,
        context: Context,
        other_line: usize,
    },
}

fn did_you_mean(suggestion: &Option<&'static str>) -> String {
    suggestion.map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"))
}

fn context_names() -> String {
    let names: Vec<_> = Context::ALL.iter().map(|c| c.name()).collect();
    names.join(", ")
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "{}:{}:{}: {}", self.origin, p.line, p.column, self.kind),
            None => write!(f, "{}: {}", self.origin, self.kind),
        }
    }
}

impl std::error::Error for KeymapError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Read(e) => Some(e),
            _ => None,
        }
    }
}

/// The candidate a misspelt name most likely meant: a near spelling (`qiut`), or the one
/// name that contains it as a word (`ping` for `ping-toggle`).
pub fn closest(
    name: &str,
    candidates: impl IntoIterator<Item = &'static str>,
) -> Option<&'static str> {
    let candidates: Vec<&'static str> = candidates.into_iter().collect();
    let limit = if name.chars().count() <= 3 { 1 } else { 2 };
    let near = candidates
        .iter()
        // Optimal string alignment: a swap of neighbours (`qiut`) counts as one edit.
        .map(|c| (strsim::osa_distance(name, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d);
    if let Some((_, c)) = near {
        return Some(c);
    }
    let mut containing = candidates
        .iter()
        .filter(|c| c.split('-').any(|w| w == name));
    match (containing.next(), containing.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let src = "ab\ncdé\nf";
        assert_eq!(Position::at(src, 0), Position { line: 1, column: 1 });
        assert_eq!(Position::at(src, 3), Position { line: 2, column: 1 });
        assert_eq!(Position::at(src, 8), Position { line: 3, column: 1 });
        // Inside a multi-byte character, and past the end, stay on the text.
        assert_eq!(Position::at(src, 6), Position { line: 2, column: 3 });
        assert_eq!(Position::at(src, 99), Position { line: 3, column: 2 });
    }

    #[test]
    fn suggestions() {
        let names = [
            "quit",
            "help",
            "ping-toggle",
            "search-next",
            "table-next",
            "go-top",
        ];
        assert_eq!(closest("qiut", names), Some("quit"));
        assert_eq!(closest("hlp", names), Some("help"));
        assert_eq!(closest("ping", names), Some("ping-toggle"));
        assert_eq!(closest("top", names), Some("go-top"));
        assert_eq!(closest("next", names), None);
        assert_eq!(closest("frobnicate", names), None);
    }
}
