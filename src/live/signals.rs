//! The signals that end a run (the screen, `snapshot`, `diagnose`): handled, not left to kill
//! the process, so that the terminal is restored and the console logged off first; and the exit
//! status that says how the run ended.

use tokio::signal::unix::{signal, Signal, SignalKind};

/// SIGTERM, SIGINT, SIGQUIT and SIGHUP. `kill -INT` is one of them: the screen reads keys raw,
/// so Ctrl-C is a key, and SIGINT comes only when sent.
pub struct Stops {
    term: Signal,
    int: Signal,
    quit: Signal,
    hup: Signal,
}

impl Stops {
    pub fn new() -> std::io::Result<Stops> {
        Ok(Stops {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// The number of the next signal that comes.
    pub async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.term.recv() => libc::SIGTERM,
            _ = self.int.recv() => libc::SIGINT,
            _ = self.quit.recv() => libc::SIGQUIT,
            _ = self.hup.recv() => libc::SIGHUP,
        }
    }
}

/// How a run ended: the exit status follows it (128 + the signal's number, as a shell reports
/// a process ended by that signal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The user quit (or the run reached its end).
    Quit,
    /// SIGTERM, SIGINT, SIGQUIT or SIGHUP (the terminal closed): the number of the signal.
    Signal(i32),
}

impl Ending {
    /// The process exit status: 0 after a quit, 143 after SIGTERM, 130 after SIGINT, 131
    /// after SIGQUIT, 129 after SIGHUP.
    pub fn exit_status(self) -> u8 {
        match self {
            Ending::Quit => 0,
            Ending::Signal(n) => u8::try_from(128 + n).unwrap_or(255),
        }
    }
}
