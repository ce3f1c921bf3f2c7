//! Multi-key bindings (`g g`): holds the keys pressed so far until they run a command or
//! turn out to mean nothing. No timeout is needed because a key cannot both run a command
//! and start a sequence in one context (the file check refuses it).

use super::{Command, Context, Key, Keymap, Lookup};

/// The keys of a sequence in progress; keep one per screen.
#[derive(Clone, Debug, Default)]
pub struct KeySequencer {
    pending: Vec<Key>,
}

/// What a key press did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Run(Command),
    /// Waiting for the next key of a sequence (show [`KeySequencer::pending`]).
    Pending,
    /// The key means nothing here: in a text context, type it if it is a character.
    Unbound,
}

impl KeySequencer {
    pub fn feed(&mut self, keymap: &Keymap, context: Context, key: Key) -> Step {
        self.pending.push(key);
        match keymap.lookup(context, &self.pending) {
            Lookup::Run(command) => {
                self.pending.clear();
                Step::Run(command)
            }
            Lookup::Prefix => Step::Pending,
            // A sequence gone wrong (`g` then `j`) drops its start and takes the last key
            // on its own, so a stray `g` costs nothing.
            Lookup::Unbound if self.pending.len() > 1 => {
                self.pending.clear();
                self.feed(keymap, context, key)
            }
            Lookup::Unbound => {
                self.pending.clear();
                Step::Unbound
            }
        }
    }

    /// The keys waiting for the rest of their sequence, for the status bar.
    pub fn pending(&self) -> &[Key] {
        &self.pending
    }

    /// Forgets a sequence in progress, e.g. when focus moves by mouse or a dialog opens.
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keymap() -> Keymap {
        let src = r#"
global = [
  { on = "g g", run = "go-top" },
  { on = "j", run = "move-down" },
  { on = "ctrl-w w", run = "focus-next" },
]
console = [{ on = "enter", run = "confirm" }]
"#;
        Keymap::from_toml(src, "seq.toml").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn sequences_run_wait_and_recover() {
        let map = keymap();
        let mut seq = KeySequencer::default();
        let g = Key::char('g');
        assert_eq!(seq.feed(&map, Context::Debug, g), Step::Pending);
        assert_eq!(seq.pending(), &[g]);
        assert_eq!(seq.feed(&map, Context::Debug, g), Step::Run(Command::GoTop));
        assert!(seq.pending().is_empty());
        // A wrong second key is taken on its own.
        seq.feed(&map, Context::Debug, g);
        assert_eq!(
            seq.feed(&map, Context::Debug, Key::char('j')),
            Step::Run(Command::MoveDown)
        );
        seq.feed(&map, Context::Debug, g);
        assert_eq!(
            seq.feed(&map, Context::Debug, Key::char('x')),
            Step::Unbound
        );
        assert!(seq.pending().is_empty());
    }

    #[test]
    fn text_contexts_type_characters_but_keep_control_sequences() {
        let map = keymap();
        let mut seq = KeySequencer::default();
        assert_eq!(
            seq.feed(&map, Context::Console, Key::char('g')),
            Step::Unbound
        );
        let ctrl_w = "ctrl-w".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(seq.feed(&map, Context::Console, ctrl_w), Step::Pending);
        assert_eq!(
            seq.feed(&map, Context::Console, Key::char('w')),
            Step::Run(Command::FocusNext)
        );
    }
}
