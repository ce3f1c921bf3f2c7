//! Links: opening a byte stream to a router's console. One target syntax across the program:
//! `serial:/dev/ttyUSB0`, `ssh://[user@]host[:port]`, `telnet://[user@]host[:port]`, and the
//! in-process simulator `sim:SCENARIO[/PEER]`.

pub mod known_hosts;
pub mod serial;
pub mod sim;
pub mod ssh;
pub mod target;
pub mod telnet;

pub use ssh::open_ssh;
pub use target::{Target, TargetError};

use std::path::PathBuf;
use tokio::io::{AsyncRead, AsyncWrite};

/// Serial line settings (the console port's defaults are 9600 8N1, no flow control).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialOptions {
    pub baud: u32,
    pub data_bits: u8,
    /// `none`, `odd` or `even`.
    pub parity: String,
    pub stop_bits: u8,
    /// `none`, `software` (XON/XOFF) or `hardware` (RTS/CTS).
    pub flow: String,
}

impl Default for SerialOptions {
    fn default() -> Self {
        SerialOptions {
            baud: 9600,
            data_bits: 8,
            parity: "none".into(),
            stop_bits: 1,
            flow: "none".into(),
        }
    }
}

/// What to do with a host key that is not in `known_hosts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostKeyPolicy {
    /// Show the fingerprint and ask on the terminal (refuse when there is no terminal).
    #[default]
    Ask,
    /// Accept and remember an unknown key (never a changed one).
    AcceptNew,
    /// Refuse unknown keys.
    Strict,
}

/// SSH settings.
#[derive(Debug, Clone, Default)]
pub struct SshOptions {
    /// A private key file to log in with (tried before the password).
    pub identity: Option<PathBuf>,
    pub host_key: HostKeyPolicy,
    /// Also offer the SHA-1 key exchanges, CBC ciphers, hmac-sha1 and ssh-rsa old routers need.
    pub legacy: bool,
    /// `~/.ssh/known_hosts` unless set (tests use their own).
    pub known_hosts: Option<PathBuf>,
    /// Seconds between keepalives (0: none).
    pub keepalive_secs: u64,
}

/// A secret held in memory only; never printed.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Everything needed to open any target.
#[derive(Debug, Clone, Default)]
pub struct LinkOptions {
    pub serial: SerialOptions,
    pub ssh: SshOptions,
    /// The user name when the target does not give one.
    pub user: Option<String>,
    /// The password, for SSH authentication (the console login is the session's job).
    pub password: Option<Secret>,
}

pub type Reader = Box<dyn AsyncRead + Send + Unpin>;
pub type Writer = Box<dyn AsyncWrite + Send + Unpin>;

/// An open byte stream to a console.
pub struct Link {
    pub reader: Reader,
    pub writer: Writer,
    /// For the status bar: `serial /dev/ttyUSB0 9600 8N1`, `ssh secoff@10.0.0.1:22`.
    pub description: String,
    /// The line's capacity in bytes per second when it is slow enough to matter (serial);
    /// `None` for network links.
    pub bytes_per_sec: Option<u32>,
    /// The link authenticated the user already (SSH): the router starts at its prompt.
    pub authenticated: bool,
}

/// Why a link could not be opened, in words an engineer can act on.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{0}")]
    Target(#[from] TargetError),
    #[error("serial device {path} does not exist: check the cable and the device name (`tunnelscope ports` lists serial ports)")]
    SerialMissing { path: String },
    #[error("no permission to open {path}: add your user to the group that owns it (usually `dialout`: `sudo usermod -aG dialout $USER`, then log in again)")]
    SerialPermission { path: String },
    #[error("serial device {path} is busy: another program (a terminal emulator?) has it open")]
    SerialBusy { path: String },
    #[error("cannot open serial device {path}: {reason}")]
    Serial { path: String, reason: String },
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("{0}")]
    Ssh(String),
    /// The SSH host key was not trusted, or `known_hosts` could not be used.
    #[error(transparent)]
    HostKey(#[from] known_hosts::HostKeyError),
    #[error("{0}")]
    Telnet(String),
    #[error("{0}")]
    Sim(String),
}

/// A link opened before the screen started, waiting for the session's first `open` of the
/// same target. `connect` opens the link once on the plain terminal (a host key question, a
/// wrong password or a refused connection are said there) and hands it over rather than
/// closing it: closing and opening again would make two connections, which a console server
/// that takes one connection (or a router's single telnet session) never completes.
static HANDED_OVER: std::sync::Mutex<Option<(String, Link)>> = std::sync::Mutex::new(None);

/// Keep `link` for the next `open` of `target` (replacing any link kept before).
pub fn hand_over(target: &Target, link: Link) {
    let mut slot = HANDED_OVER.lock().unwrap_or_else(|p| p.into_inner());
    *slot = Some((target.to_string(), link));
}

/// The link kept by `hand_over` for `target`, once.
fn take_handed_over(target: &Target) -> Option<Link> {
    let mut slot = HANDED_OVER.lock().unwrap_or_else(|p| p.into_inner());
    match slot.take() {
        Some((t, link)) if t == target.to_string() => Some(link),
        other => {
            *slot = other;
            None
        }
    }
}

/// Open any target (or take the link `hand_over` kept for it).
pub async fn open(target: &Target, opts: &LinkOptions) -> Result<Link, LinkError> {
    if let Some(link) = take_handed_over(target) {
        tracing::debug!(%target, link = %link.description, "link handed over");
        return Ok(link);
    }
    // The target string holds no secret (a password never goes in it), so it is logged whole.
    tracing::debug!(%target, "opening the link");
    let opened = match target {
        Target::Serial { path } => serial::open_serial(path, &opts.serial),
        Target::Ssh { user, host, port } => {
            let user = user
                .clone()
                .or_else(|| opts.user.clone())
                .unwrap_or_else(|| "manager".to_string());
            ssh::open_ssh(&user, host, *port, opts).await
        }
        Target::Telnet { host, port, .. } => telnet::open_telnet(host, *port, opts).await,
        Target::Sim { scenario, peer } => sim::open_sim(scenario, *peer),
    };
    match &opened {
        Ok(link) => tracing::debug!(%target, link = %link.description, "link open"),
        Err(e) => tracing::debug!(%target, error = %e, "link not opened"),
    }
    opened
}
