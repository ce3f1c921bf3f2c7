//! The panes, each a pure function from the app state to a region of the screen. They draw
//! with the shared look of `theme` and never import `ui`, which lays them out.

// What the panes draw from, named once for them (`super::app`, `super::theme`, ...).
use super::{app, debuglog, theme};

pub mod console;
pub mod counters;
pub mod debug;
mod debug_cache;
pub mod doctor;
pub mod merged;
pub mod tables;
pub mod tunnel;
pub mod width;
