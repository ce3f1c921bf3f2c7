//! The panes, each a pure function from the app state to a region of the screen.

pub mod console;
pub mod counters;
pub mod debug;
pub mod doctor;
pub mod tables;
pub mod width;
