//! The keymap: which key runs which named command in which pane, loaded from TOML
//! (`keymaps/default.toml`, `keymaps/vim.toml`, a user file on top), and the single place
//! where a key press becomes a command. Help overlay, hint bar and `tunnelscope keys` are
//! all drawn from the same loaded bindings.
//!
//! How the app should use the contexts:
//! - normal keys: `resolve(focused_pane_context, key)`; the pane's bindings win over global;
//! - while typing (the command line, the search prompt): `Context::Console`; plain
//!   characters that the console context does not bind come back unbound, to be typed
//!   (the console pane with no line open is not typing: resolve it in `Global`);
//! - in passthrough: only the key that runs `passthrough` in `Global` is looked at;
//! - while a dialog or the help overlay is open: `Context::Global` alone (`confirm`, `cancel`);
//! - multi-key bindings (`g g` in vim.toml) go through a [`KeySequencer`].

mod command;
mod error;
mod file;
mod hints;
mod key;
mod sequence;

use std::path::Path;

pub use command::{Command, Context};
pub use error::{ErrorKind, KeymapError, Position};
pub use file::NOOP;
pub use hints::listing;
pub use key::{Key, KeyCode, KeyParseError, KeySeq, Modifiers};
pub use sequence::{KeySequencer, Step};

/// The shipped keymaps, compiled in so the binary needs no data files.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
];

/// One binding as shown in help: the keys, the command, and the description to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub key: KeySeq,
    pub command: Command,
    pub desc: String,
}

/// What a key (or the keys so far of a sequence) means in a context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Run(Command),
    /// The keys start a longer binding: wait for the next key.
    Prefix,
    Unbound,
}

/// Loaded bindings, per context, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keymap {
    tables: [Vec<Binding>; Context::ALL.len()],
}

impl Keymap {
    /// The default keymap.
    pub fn builtin() -> Keymap {
        // The shipped files are checked by tests (tests/keymaps.rs), so failing here is a
        // build mistake, not a user's.
        Keymap::named("default").expect("keymaps/default.toml is valid")
    }

    /// A shipped keymap by name (`default`, `vim`); None for another name.
    pub fn named(name: &str) -> Option<Keymap> {
        Keymap::shipped(name)?.ok()
    }

    fn shipped(name: &str) -> Option<Result<Keymap, KeymapError>> {
        let (_, source) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        let origin = format!("keymaps/{name}.toml (built in)");
        Some(Keymap::from_toml(source, &origin))
    }

    /// `--keymap` and the config file: a shipped keymap's name, or a path to a user file
    /// laid over the defaults. (A file named like a shipped keymap needs `./` in front.)
    pub fn load(name_or_path: &str) -> Result<Keymap, KeymapError> {
        if let Some(shipped) = Keymap::shipped(name_or_path) {
            return shipped;
        }
        let mut keymap = Keymap::builtin();
        keymap.overlay_file(Path::new(name_or_path))?;
        Ok(keymap)
    }

    /// A keymap made of one file alone, with nothing underneath.
    pub fn from_toml(source: &str, origin: &str) -> Result<Keymap, KeymapError> {
        let mut keymap = Keymap::default();
        keymap.overlay_toml(source, origin)?;
        Ok(keymap)
    }

    /// Reads a user file and lays it over this keymap (see [`Keymap::overlay_toml`]).
    pub fn overlay_file(&mut self, path: &Path) -> Result<(), KeymapError> {
        let origin = path.display().to_string();
        let source = file::read_capped(path).map_err(|kind| KeymapError {
            origin: origin.clone(),
            position: None,
            kind,
        })?;
        self.overlay_toml(&source, &origin)
    }

    /// Lays a file over this keymap, per key and per context: a file binding replaces the
    /// bindings of its context that it equals or that clash with it as a sequence prefix
    /// (`g` replaces `g g`), taking the first one's place in the help order; `noop` only
    /// removes them. Bindings the file does not mention stay. All or nothing: on error the
    /// keymap is unchanged.
    pub fn overlay_toml(&mut self, source: &str, origin: &str) -> Result<(), KeymapError> {
        for entry in file::parse(source, origin)? {
            let table = &mut self.tables[entry.context.index()];
            let place = table.iter().position(|b| b.key.overlaps(&entry.keys));
            table.retain(|b| !b.key.overlaps(&entry.keys));
            if let Some(command) = entry.command {
                let binding = Binding {
                    key: entry.keys,
                    command,
                    desc: entry
                        .desc
                        .unwrap_or_else(|| command.description().to_string()),
                };
                table.insert(place.unwrap_or(table.len()), binding);
            }
        }
        Ok(())
    }

    /// The command a single key runs in a context (the pane's bindings, then global), or
    /// None when it runs nothing or only starts a sequence.
    pub fn resolve(&self, context: Context, key: Key) -> Option<Command> {
        match self.lookup(context, &[key]) {
            Lookup::Run(command) => Some(command),
            Lookup::Prefix | Lookup::Unbound => None,
        }
    }

    /// What a sequence of keys means in a context. The pane's bindings are searched first,
    /// prefixes included, so a pane binding hides any global one it clashes with. In a
    /// context that takes text, a plain character never reaches the global bindings.
    pub fn lookup(&self, context: Context, keys: &[Key]) -> Lookup {
        let here = self.lookup_in(context, keys);
        let skip_global = context == Context::Global
            || (context.takes_text() && keys.first().is_some_and(Key::is_text));
        if here != Lookup::Unbound || skip_global {
            return here;
        }
        self.lookup_in(Context::Global, keys)
    }

    fn lookup_in(&self, context: Context, keys: &[Key]) -> Lookup {
        if keys.is_empty() {
            return Lookup::Unbound;
        }
        let mut found = Lookup::Unbound;
        for binding in &self.tables[context.index()] {
            let bound = binding.key.keys();
            if bound == keys {
                return Lookup::Run(binding.command);
            }
            if bound.len() > keys.len() && bound.starts_with(keys) {
                found = Lookup::Prefix;
            }
        }
        found
    }

    /// A context's own bindings, in file order (global ones are not repeated per pane).
    pub fn bindings(&self, context: Context) -> &[Binding] {
        &self.tables[context.index()]
    }

    /// The keys that run a command when pressed in a context, pane bindings first, leaving
    /// out those hidden by another binding: what help and hints may honestly show.
    pub fn keys_for(&self, context: Context, command: Command) -> Vec<&KeySeq> {
        let mut tables = vec![context];
        if context != Context::Global {
            tables.push(Context::Global);
        }
        tables
            .into_iter()
            .flat_map(|c| self.bindings(c))
            .filter(|b| {
                b.command == command && self.lookup(context, b.key.keys()) == Lookup::Run(command)
            })
            .map(|b| &b.key)
            .collect()
    }

    /// The hint bar for a pane: the most useful commands first, as many as fit in
    /// `max_width` columns, e.g. `q quit  ? help  d debug  p ping  b baseline`.
    pub fn hints(&self, context: Context, max_width: usize) -> String {
        hints::hints(self, context, max_width)
    }
}
