//! The live console's screen: app state, actions, keymap, panes and rendering.

pub mod app;
pub mod debuglog;
pub mod evidence;
pub mod input;
pub mod keymap;
pub mod panes;
pub mod replay;
pub mod router;
pub mod run;
pub mod ui;
