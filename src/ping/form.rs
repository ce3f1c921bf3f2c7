//! Which ping's output is being read: the one fact both the line patterns (`patterns`) and the
//! packet bookkeeping (`parse`) need, kept apart so neither imports the other.

/// Whose output is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PingForm {
    /// iputils (and busybox) `ping`.
    Linux,
    /// macOS and BSD `ping`.
    MacOs,
    /// Windows `ping`, English.
    Windows,
    /// The router's own `ping` at its console; also accepts the other forms' lines.
    Router,
}
