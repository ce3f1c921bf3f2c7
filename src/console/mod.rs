//! The console: bytes from a router's CLI become clean lines, then command blocks and the
//! unsolicited stream.

pub mod reader;
pub mod session;
pub mod stamp;
pub mod text;
pub mod transcript;
pub mod withhold;
