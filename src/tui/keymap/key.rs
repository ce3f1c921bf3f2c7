//! Keys as the keymap sees them: our own small type (no terminal crate yet), its text syntax
//! (`q`, `Q`, `ctrl-d`, `shift-tab`, `f5`) and the canonical form shown in help and hints.
//!
//! Case rules: modifier names (`ctrl-`, `alt-`, `shift-`) and named keys (`enter`, `PageUp`)
//! are not case-sensitive; a single character is taken literally, so `Q` is shift+q and
//! `ctrl-D` is ctrl+shift+d. `shift-` is allowed only on named keys and on letters that have
//! a single upper case (`shift-q` is `Q`); `shift-1` is refused because what shift+1 types
//! depends on the keyboard layout: write the character itself (`!`).

use std::fmt;
use std::str::FromStr;

/// The key itself, without modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    /// A printable character; `Char(' ')` is written `space`.
    Char(char),
    Enter,
    Esc,
    Tab,
    /// Shift+Tab: terminals report it as its own key, so it is one here too.
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    /// F1 to F12.
    F(u8),
}

/// Modifier keys held with the key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Modifiers {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

impl Modifiers {
    pub const NONE: Modifiers = Modifiers {
        ctrl: false,
        alt: false,
        shift: false,
    };
}

/// One key press, always in normal form (see [`Key::new`]) so that equal presses compare equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    code: KeyCode,
    mods: Modifiers,
}

/// Named keys: canonical spelling first, then accepted aliases (compared without case).
const NAMES: &[(KeyCode, &[&str])] = &[
    (KeyCode::Enter, &["Enter", "return"]),
    (KeyCode::Esc, &["Esc", "escape"]),
    (KeyCode::Tab, &["Tab"]),
    (KeyCode::BackTab, &["BackTab"]),
    (KeyCode::Backspace, &["Backspace"]),
    (KeyCode::Delete, &["Delete", "del"]),
    (KeyCode::Insert, &["Insert", "ins"]),
    (KeyCode::Up, &["Up"]),
    (KeyCode::Down, &["Down"]),
    (KeyCode::Left, &["Left"]),
    (KeyCode::Right, &["Right"]),
    (KeyCode::PageUp, &["PageUp", "pgup"]),
    (KeyCode::PageDown, &["PageDown", "pgdn"]),
    (KeyCode::Home, &["Home"]),
    (KeyCode::End, &["End"]),
    (KeyCode::Char(' '), &["Space"]),
];

impl Key {
    /// Builds a key in normal form, the way a terminal event should be converted: shift on a
    /// character is folded into the character (shift+q is `Q`; terminals disagree on whether
    /// they report shift with `?`), and shift+Tab becomes [`KeyCode::BackTab`].
    pub fn new(code: KeyCode, mods: Modifiers) -> Key {
        let mut key = Key { code, mods };
        match code {
            KeyCode::Char(c) if mods.shift => {
                key.mods.shift = false;
                if let Some(upper) = single_upper(c) {
                    key.code = KeyCode::Char(upper);
                }
            }
            KeyCode::Tab | KeyCode::BackTab if mods.shift => {
                key.code = KeyCode::BackTab;
                key.mods.shift = false;
            }
            _ => {}
        }
        key
    }

    /// A key with no modifiers.
    pub fn plain(code: KeyCode) -> Key {
        Key::new(code, Modifiers::NONE)
    }

    /// A character key with no modifiers.
    pub fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    pub fn code(&self) -> KeyCode {
        self.code
    }

    pub fn mods(&self) -> Modifiers {
        self.mods
    }

    /// True for a key that types a character into a text field (no ctrl or alt held).
    pub fn is_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_)) && !self.mods.ctrl && !self.mods.alt
    }
}

/// The upper case of a lower-case letter, when it is a single character (not for `ß`).
fn single_upper(c: char) -> Option<char> {
    if !c.is_lowercase() {
        return None;
    }
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) if u != c => Some(u),
        _ => None,
    }
}

/// Why a key could not be parsed; shown after the file and line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("empty key")]
    Empty,
    #[error("unknown key `{0}` (keys are a single character or a name such as enter, esc, tab, space, up, pageup, home, f1)")]
    UnknownName(String),
    #[error("`{0}` repeats a modifier")]
    RepeatedModifier(String),
    #[error("`{0}`: shift with a character; write the shifted character itself (`Q`, `?`)")]
    ShiftedChar(String),
    #[error("`{0}` is not a printable key; use a key name such as tab or space")]
    NotPrintable(String),
    #[error("`{0}`: function keys are f1 to f12")]
    FunctionKey(String),
}

impl FromStr for Key {
    type Err = KeyParseError;

    fn from_str(text: &str) -> Result<Key, KeyParseError> {
        if text.is_empty() {
            return Err(KeyParseError::Empty);
        }
        let mut mods = Modifiers::NONE;
        let mut rest = text;
        // Strip modifiers while something follows them, so `ctrl--` is ctrl+minus and a
        // lone `-` is the minus key.
        while let Some((prefix, tail)) = rest.split_once('-') {
            if tail.is_empty() {
                break;
            }
            let flag = match prefix.to_ascii_lowercase().as_str() {
                "ctrl" => &mut mods.ctrl,
                "alt" => &mut mods.alt,
                "shift" => &mut mods.shift,
                _ => break,
            };
            if *flag {
                return Err(KeyParseError::RepeatedModifier(text.to_string()));
            }
            *flag = true;
            rest = tail;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if c.is_control() || c.is_whitespace() {
                    return Err(KeyParseError::NotPrintable(text.escape_debug().to_string()));
                }
                // shift-F is just F, but shift-1 depends on the layout.
                if mods.shift && !c.is_uppercase() && single_upper(c).is_none() {
                    return Err(KeyParseError::ShiftedChar(text.to_string()));
                }
                KeyCode::Char(c)
            }
            _ => named(rest).ok_or_else(|| unknown(text, rest))?,
        };
        Ok(Key::new(code, mods))
    }
}

fn named(name: &str) -> Option<KeyCode> {
    let found = NAMES
        .iter()
        .find(|(_, spellings)| spellings.iter().any(|s| s.eq_ignore_ascii_case(name)));
    if let Some((code, _)) = found {
        return Some(*code);
    }
    let digits = name.strip_prefix(['f', 'F'])?;
    match digits.parse::<u8>() {
        Ok(n @ 1..=12) if !digits.starts_with('0') => Some(KeyCode::F(n)),
        _ => None,
    }
}

fn unknown(text: &str, rest: &str) -> KeyParseError {
    let looks_like_f = rest.len() > 1
        && rest.starts_with(['f', 'F'])
        && rest[1..].bytes().all(|b| b.is_ascii_digit());
    if looks_like_f {
        KeyParseError::FunctionKey(text.to_string())
    } else {
        KeyParseError::UnknownName(text.to_string())
    }
}

impl fmt::Display for Key {
    /// The canonical form used in the help overlay and hint bar: `Ctrl-Alt-` before the key,
    /// named keys capitalised (`Enter`, `PageUp`, `Shift-Tab`), characters as typed (`q`, `Q`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.mods.alt {
            f.write_str("Alt-")?;
        }
        if self.mods.shift {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::F(n) => write!(f, "F{n}"),
            code => {
                let name = NAMES
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map_or("?", |(_, spellings)| spellings[0]);
                f.write_str(name)
            }
        }
    }
}

/// The keys of one binding: usually one, or a sequence such as `g g` (written with spaces).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySeq(Vec<Key>);

impl KeySeq {
    /// A sequence of one or more keys.
    pub fn new(keys: Vec<Key>) -> Result<KeySeq, KeyParseError> {
        if keys.is_empty() {
            return Err(KeyParseError::Empty);
        }
        Ok(KeySeq(keys))
    }

    pub fn keys(&self) -> &[Key] {
        &self.0
    }

    /// True when `self` is a strict or equal prefix of `other`, or the other way round: two
    /// such bindings in one context cannot both work.
    pub fn overlaps(&self, other: &KeySeq) -> bool {
        let n = self.0.len().min(other.0.len());
        self.0[..n] == other.0[..n]
    }
}

impl From<Key> for KeySeq {
    fn from(key: Key) -> KeySeq {
        KeySeq(vec![key])
    }
}

impl FromStr for KeySeq {
    type Err = KeyParseError;

    fn from_str(text: &str) -> Result<KeySeq, KeyParseError> {
        let keys = text
            .split_whitespace()
            .map(Key::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        KeySeq::new(keys)
    }
}

impl fmt::Display for KeySeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, key) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{key}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn canonical_forms() {
        let cases = [
            ("q", "q"),
            ("Q", "Q"),
            ("shift-q", "Q"),
            ("shift-Q", "Q"),
            ("?", "?"),
            ("enter", "Enter"),
            ("RETURN", "Enter"),
            ("ctrl-d", "Ctrl-d"),
            ("Ctrl-D", "Ctrl-D"),
            ("alt-ctrl-x", "Ctrl-Alt-x"),
            ("tab", "Tab"),
            ("backtab", "Shift-Tab"),
            ("shift-tab", "Shift-Tab"),
            ("ctrl-shift-tab", "Ctrl-Shift-Tab"),
            ("space", "Space"),
            ("pgup", "PageUp"),
            ("shift-up", "Shift-Up"),
            ("f12", "F12"),
            ("-", "-"),
            ("ctrl--", "Ctrl--"),
            ("alt-é", "Alt-é"),
        ];
        for (text, shown) in cases {
            assert_eq!(key(text).to_string(), shown, "{text}");
        }
    }

    #[test]
    fn refusals() {
        let cases = [
            ("", KeyParseError::Empty),
            ("ctrl-", KeyParseError::UnknownName("ctrl-".into())),
            ("enterr", KeyParseError::UnknownName("enterr".into())),
            ("hyper-x", KeyParseError::UnknownName("hyper-x".into())),
            (
                "ctrl-ctrl-x",
                KeyParseError::RepeatedModifier("ctrl-ctrl-x".into()),
            ),
            ("shift-1", KeyParseError::ShiftedChar("shift-1".into())),
            ("shift-?", KeyParseError::ShiftedChar("shift-?".into())),
            ("f13", KeyParseError::FunctionKey("f13".into())),
            ("f0", KeyParseError::FunctionKey("f0".into())),
            ("f01", KeyParseError::FunctionKey("f01".into())),
            ("\t", KeyParseError::NotPrintable("\\t".into())),
        ];
        for (text, err) in cases {
            assert_eq!(text.parse::<Key>(), Err(err), "{text:?}");
        }
    }

    #[test]
    fn terminal_events_normalise() {
        let shift = Modifiers {
            shift: true,
            ..Modifiers::NONE
        };
        assert_eq!(Key::new(KeyCode::Char('q'), shift), key("Q"));
        assert_eq!(Key::new(KeyCode::Char('Q'), shift), key("Q"));
        assert_eq!(Key::new(KeyCode::Char('?'), shift), key("?"));
        assert_eq!(Key::new(KeyCode::BackTab, shift), key("backtab"));
        assert_eq!(Key::new(KeyCode::Tab, shift), key("shift-tab"));
    }

    #[test]
    fn sequences() {
        let seq: KeySeq = "g  g".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(seq.to_string(), "g g");
        assert!(seq.overlaps(&"g".parse().unwrap_or_else(|e| panic!("{e}"))));
        assert!(!seq.overlaps(&"G".parse().unwrap_or_else(|e| panic!("{e}"))));
        assert_eq!("  ".parse::<KeySeq>(), Err(KeyParseError::Empty));
    }
}
