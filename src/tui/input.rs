//! Terminal keys to keymap keys, and keys to the bytes a router console expects (passthrough).

use super::keymap::{Key, KeyCode, Modifiers};
use crossterm::event::{KeyCode as CK, KeyEvent, KeyEventKind, KeyModifiers};

/// A crossterm key press as a keymap key; `None` for releases and keys we do not bind.
pub fn from_crossterm(ev: KeyEvent) -> Option<Key> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let m = ev.modifiers;
    let mut mods = Modifiers {
        ctrl: m.contains(KeyModifiers::CONTROL),
        alt: m.contains(KeyModifiers::ALT),
        shift: m.contains(KeyModifiers::SHIFT),
    };
    let code = match ev.code {
        CK::Char(c) => {
            // A capital letter carries its shift already.
            if c.is_alphabetic() || !c.is_alphanumeric() {
                mods.shift = mods.shift && !c.is_alphabetic() && c.is_ascii_alphabetic();
            }
            if !c.is_ascii_alphabetic() {
                mods.shift = false;
            }
            KeyCode::Char(c)
        }
        CK::Enter => KeyCode::Enter,
        CK::Esc => KeyCode::Esc,
        CK::Tab => KeyCode::Tab,
        CK::BackTab => {
            mods.shift = false;
            KeyCode::BackTab
        }
        CK::Backspace => KeyCode::Backspace,
        CK::Delete => KeyCode::Delete,
        CK::Insert => KeyCode::Insert,
        CK::Up => KeyCode::Up,
        CK::Down => KeyCode::Down,
        CK::Left => KeyCode::Left,
        CK::Right => KeyCode::Right,
        CK::PageUp => KeyCode::PageUp,
        CK::PageDown => KeyCode::PageDown,
        CK::Home => KeyCode::Home,
        CK::End => KeyCode::End,
        CK::F(n) => KeyCode::F(n),
        _ => return None,
    };
    Some(Key::new(code, mods))
}

/// The character a key types into a text field, if it types one.
pub fn typed_char(k: Key) -> Option<char> {
    let m = k.mods();
    match k.code() {
        KeyCode::Char(c) if !m.ctrl && !m.alt => Some(c),
        _ => None,
    }
}

pub fn is_backspace(k: Key) -> bool {
    matches!(k.code(), KeyCode::Backspace | KeyCode::Delete)
}

/// What a key sends down a console line in passthrough mode (VT100 sequences).
pub fn to_bytes(k: Key) -> Option<Vec<u8>> {
    let m = k.mods();
    let b: Vec<u8> = match k.code() {
        KeyCode::Char(c) if m.ctrl && c.is_ascii_alphabetic() => {
            vec![(c.to_ascii_uppercase() as u8) & 0x1f]
        }
        KeyCode::Char(c) => c.to_string().into_bytes(),
        KeyCode::Enter => b"\r".to_vec(),
        KeyCode::Esc => vec![0x1b],
        KeyCode::Tab => b"\t".to_vec(),
        KeyCode::Backspace => vec![0x08],
        KeyCode::Delete => vec![0x7f],
        KeyCode::Up => b"\x1b[A".to_vec(),
        KeyCode::Down => b"\x1b[B".to_vec(),
        KeyCode::Right => b"\x1b[C".to_vec(),
        KeyCode::Left => b"\x1b[D".to_vec(),
        _ => return None,
    };
    Some(b)
}
