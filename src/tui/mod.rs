//! The screen: view state, keys turned into the live room's actions, keymap, panes and
//! rendering of the live room's state. It never touches a link or the simulator.

/// The scrollback's entries, where the panes find them.
pub use crate::live::debuglog;

pub mod app;
pub mod input;
pub mod keymap;
pub mod panes;
pub mod run;
pub mod theme;
pub mod ui;
