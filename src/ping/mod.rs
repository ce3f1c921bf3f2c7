//! The ping runner: command lines for the system `ping` (Linux, macOS, Windows) and for the
//! router's own, parsers that turn their output into per-packet events line by line, running
//! totals, and a tokio task that runs the system `ping` and streams the events.
//!
//! The screen starts a ping from the counter view and weighs its totals against the counter
//! deltas (`doctor::counter_verdict` takes `PingStats::tally`).

mod command;
mod form;
mod parse;
mod patterns;
mod runner;
mod stats;

pub use command::{Os, PingCommand, PingError, PingRequest, PingTarget, ROUTER_STOP_PING};
pub use form::PingForm;
pub use parse::PingParser;
pub use runner::{spawn_command, spawn_system_ping, PingHandle};
pub use stats::{PacketResult, PingStats};

/// What a ping reported. Packet numbers (`seq`) count from 1 in every form: macOS's
/// `icmp_seq=0` is packet 1, and Windows, which prints no numbers, is counted line by line.
#[derive(Debug, Clone, PartialEq)]
pub enum PingEvent {
    /// The runner started the process (never produced by a parser).
    Started { command: String, pid: Option<u32> },
    /// An echo reply; `time_ms` is `None` when the output gave no time.
    Reply { seq: u32, time_ms: Option<f64> },
    /// No reply: a timeout (`reason` `None`) or an ICMP error such as "Destination Host
    /// Unreachable" (`reason` says which, and from where).
    Lost { seq: u32, reason: Option<String> },
    /// The totals the ping printed at its end.
    Summary { sent: u32, received: u32 },
    /// The ping could not run or could not send: unknown host, no route, no permission.
    Error(String),
    /// The process ended (never produced by a parser); `stopped` when we stopped it.
    Finished { exit: Option<i32>, stopped: bool },
}
