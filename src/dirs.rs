//! tunnelscope's folders on this machine, by the XDG base directory rules (`etcetera`): the
//! config folder (`$XDG_CONFIG_HOME/tunnelscope`, else `~/.config/tunnelscope`) that holds the
//! user's `keymap.toml`, and the data folder (`$XDG_DATA_HOME/tunnelscope`, else
//! `~/.local/share/tunnelscope`) that holds captures, bundles and the log. A leaf module.
//!
//! As the XDG rules say, a relative `XDG_*_HOME` is ignored. The same layout is used on macOS,
//! where tunnelscope has always kept its files there.

use std::path::PathBuf;

use etcetera::base_strategy::{BaseStrategy, Xdg};

const APP: &str = "tunnelscope";

/// The config folder, or `None` when no home folder can be found.
pub fn config_dir() -> Option<PathBuf> {
    Xdg::new().ok().map(|x| x.config_dir().join(APP))
}

/// The user's keymap file (it may not exist).
pub fn keymap_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join("keymap.toml"))
}

/// The data folder; `./tunnelscope` when no home folder can be found, so a capture still has
/// somewhere to go.
pub fn data_dir() -> PathBuf {
    Xdg::new()
        .map(|x| x.data_dir())
        .unwrap_or_else(|_| PathBuf::from("."))
        .join(APP)
}
