//! What several test binaries (and `benches/session.rs`) need, written once: a simulated
//! router with a console session against it (`sim`), a real pty as a serial line (`pty`), a
//! real OpenSSH sshd (`sshd`), inetutils telnetd for one connection (`telnetd`), a real
//! terminal in tmux (`tmux`), the property-case runners (`cases`), a small reproducible random
//! generator (`Rng`), waiting with a deadline (`Deadline`, `wait_until`, `eventually`,
//! `recv_until`), a required system program (`require`) and `tunnelscope analyze` run
//! (`run_analyze`).
//!
//! A test file takes it with `mod support;` (a bench with
//! `#[path = "../tests/support/mod.rs"] mod support;`) and uses it as `support::pty::open()`.
//!
//! `screen.rs` (the screen on a test backend, fed by a simulated console) is not declared
//! here: the screen tests take it as `#[path = "support/screen.rs"] mod screen_support;`, so
//! that a change of the screen's types reaches only them, not every test binary.
//!
//! `dead_code` is allowed for the whole module: every test binary compiles all of it but uses
//! only part (the tmux tests start no sshd, the properties run no session), and an unused
//! helper in one binary is not dead in another. `pty.rs`, `sshd.rs` and `tmux.rs` say so
//! again themselves, since some test files still take one of them on its own.
#![allow(dead_code)]

pub mod cases;
pub mod pty;
pub mod sim;
pub mod sshd;
pub mod telnetd;
pub mod tmux;

use std::fmt::Display;
use std::time::{Duration, Instant};

/// A fixed-seed xorshift64* generator: reproducible "random" input without another crate (a
/// failing case is found again from its seed).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        // A zero state would stay zero for ever.
        if self.0 == 0 {
            self.0 = 0x9e37_79b9_7f4a_7c15;
        }
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A moment a test waits for at the most.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    pub fn after(within: Duration) -> Deadline {
        Deadline(Instant::now() + within)
    }

    /// The time left (zero once passed).
    pub fn left(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    pub fn passed(&self) -> bool {
        Instant::now() >= self.0
    }

    /// Fails the test, saying what did not happen in time, once the deadline has passed.
    pub fn check(&self, what: impl Display) {
        assert!(!self.passed(), "not in time: {what}");
    }
}

/// Polls `ok` every 50 ms (blocking the thread) until it holds; fails the test naming `what`
/// when it does not within `within`.
pub fn wait_until(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let end = Deadline::after(within);
    while !ok() {
        assert!(!end.passed(), "not within {within:?}: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `wait_until` inside a runtime: polls `ok` every 50 ms without blocking the thread; false
/// when it does not hold within `within`.
pub async fn eventually(within: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let end = Deadline::after(within);
    while !ok() {
        if end.passed() {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

/// Receives from `rx` until `done` returns true for a message: true then; false when `within`
/// passes or the channel closes first.
pub async fn recv_until<T>(
    rx: &mut tokio::sync::mpsc::Receiver<T>,
    within: Duration,
    mut done: impl FnMut(T) -> bool,
) -> bool {
    let end = Deadline::after(within);
    loop {
        match tokio::time::timeout(end.left(), rx.recv()).await {
            Ok(Some(m)) => {
                if done(m) {
                    return true;
                }
            }
            Ok(None) | Err(_) => return false,
        }
    }
}

/// `tunnelscope analyze ARGS`, run to its end, with no rules file from the environment
/// (`TUNNELSCOPE_RULES` would change what is read).
pub fn run_analyze(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tunnelscope"))
        .arg("analyze")
        .args(args)
        .env_remove("TUNNELSCOPE_RULES")
        .output()
        .expect("run tunnelscope analyze")
}

/// A program a test needs, as the first of `candidates` that exists. Missing, it fails the
/// test saying what to install (under `CI=true` too: a missing package there is a broken
/// `.ci/run`); never a silent skip.
pub fn require(candidates: &[&str], package: &str) -> std::path::PathBuf {
    for c in candidates {
        let p = std::path::Path::new(c);
        if p.is_file() {
            return p.to_path_buf();
        }
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    panic!(
        "{} not found: install it with `apt-get install -y {package}`{}",
        candidates.join(" or "),
        if ci {
            " (CI=true: .ci/run must install it)"
        } else {
            ""
        }
    );
}
