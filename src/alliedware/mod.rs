//! Everything that knows AlliedWare text: prompts, pager, command names, display parsers and
//! the IKE debug classifier rules.

pub mod commands;
pub mod debug;
pub mod dialect;
pub mod keys;
pub mod parse;
pub mod prompt;
pub mod secrets;
pub mod table;
