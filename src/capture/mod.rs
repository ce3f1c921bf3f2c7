//! Capture files: a session recorded both ways, each chunk with its millisecond offset, as
//! text a person can read, and exact enough to reproduce the router's bytes.
//!
//! ```text
//! # tunnelscope capture 1
//! # router: Peer1
//! # link: ssh secoff@10.0.0.1:22
//! # started: 2026-11-26T23:40:50.123Z
//! 0.012 < "SecOff Peer1> "
//! 0.530 > "show isakmp sa\r"
//! 0.541 < "show isakmp sa\r\n"
//! 3.000 > [withheld: typed at a password prompt, 6 bytes]
//! 3.500 > "set user=manager password=<withheld: secret>\r"
//! 4.000 ! "link lost at 23:40:54 UTC: the other end closed the connection"
//! ```
//! `<` is from the router, `>` to it, `!` a mark. Data is quoted with `\r \n \t \\ \" \xNN`
//! escapes, split after each line feed so a record is a line of output. Each record is
//! written and flushed on its own: a crash or a pulled cable loses at most the last one.
//! The values of secret command arguments (`alliedware::secrets`) are withheld both ways,
//! each replaced by one marker (a value typed a key at a time: at its first key).
//!
//! Reading is bounded: a file is a capture when its first bytes say so, and a record line of
//! any length is delivered in pieces (`read::MAX_RECORD_LINE`).

pub mod bundle;
mod format;
pub mod read;
mod redact;
mod writer;

pub use format::{decode, encode, parse_record, Direction, Header, Record, MAGIC};
pub use redact::Redactor;
pub use writer::{default_path, iso_now, CaptureWriter};
