//! The command line (clap derive). Only argument shapes live here; `main.rs` runs them.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "tunnelscope",
    version,
    about = "Find out why an IPsec VPN tunnel on an AlliedWare router will not come up or pass traffic",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Write a log (connections, logins, link errors; never a password) to tunnelscope.log in
    /// the data folder: off, error, warn, info, debug or trace. RUST_LOG is read when not given
    #[arg(long, global = true, value_name = "LEVEL", value_parser = clap::builder::PossibleValuesParser::new(tunnelscope::logging::LEVELS))]
    pub log_level: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read captures (terminal logs, saved `show debug ipsec`) and report what they show
    Analyze(AnalyzeArgs),
    /// Serve a simulated AlliedWare router's console (stdin/stdout, a tty, or telnet)
    Sim(SimArgs),
    /// Connect, log in, read the SAs, exchanges, counters and configuration once, and report
    Snapshot(SnapshotArgs),
    /// List the serial ports of this machine
    Ports,
    /// The live screen on the two simulated peers of the How To Note: no router needed
    Demo(DemoArgs),
    /// The live screen on a router
    Connect(ConnectArgs),
    /// Print the key bindings (of the default keymap, or --keymap FILE)
    Keys(KeysArgs),
    /// Play a capture back into the screen
    Replay(ReplayArgs),
    /// Pack a capture's evidence (capture, tables as JSON, counters, findings, summary) in a tar file
    Bundle(BundleArgs),
    /// Connect, turn debug on, ping across the tunnel, watch, and report what is wrong (no screen)
    Diagnose(DiagnoseArgs),
}

/// How the router's text is read: the user's prompt and extra debug rules.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadArgs {
    /// A TOML file of extra debug classifier rules (same form as the built-in rules)
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// A regular expression for a prompt changed with `set port prompt=`
    #[arg(long, value_name = "REGEX")]
    pub prompt: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct DiagnoseArgs {
    #[command(flatten)]
    pub link: LinkArgs,
    /// How long to watch, in seconds, after the first reading and the ping
    #[arg(long = "for", value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub for_secs: u64,
    /// The address pinged across the tunnel (a host on the far LAN); a `sim:` target pings
    /// from its simulated LAN PC
    #[arg(long, value_name = "ADDRESS")]
    pub ping: Option<String>,
    /// Ping from the router itself (its `ping`) instead of this machine
    #[arg(long)]
    pub ping_from_router: bool,
    /// Leave ISAKMP debug as it is (do not turn it on)
    #[arg(long)]
    pub no_debug: bool,
    /// Two ends: compare the pre-shared keys their ISAKMP policies name, by SHA-256 fingerprint
    /// in memory (only "same" or "differ" is shown; the values never are)
    #[arg(long)]
    pub compare_keys: bool,
    /// Draw the ladder of the latest failed exchange (else the latest) between the routers:
    /// each message an arrow with its payloads, retransmissions, where and why it stopped
    #[arg(long)]
    pub ladder: bool,
    /// Print JSON (the report of `analyze --json`, plus `pings` and `counter_deltas`)
    #[arg(long)]
    pub json: bool,
    /// Write the capture here (default: the data folder)
    #[arg(long, value_name = "FILE")]
    pub capture: Option<std::path::PathBuf>,
    /// Write no capture
    #[arg(long)]
    pub no_capture: bool,
    /// Keep secrets (keys, passwords typed as arguments) in the capture
    #[arg(long)]
    pub keep_secrets: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// A capture written by `connect`, `demo` or `diagnose`; two for the two ends of a tunnel
    /// (played together, aligned on their start times)
    #[arg(value_name = "CAPTURE", num_args = 1..=2, required = true)]
    pub files: Vec<std::path::PathBuf>,
    /// Times the recorded pace, from 0.01 to 1000 (2 = twice as fast)
    #[arg(long, default_value_t = 1.0, conflicts_with = "instant", value_parser = speed,
          allow_negative_numbers = true)]
    pub speed: f64,
    /// Everything at once: the final state
    #[arg(long)]
    pub instant: bool,
    /// A keymap: `vim`, or a TOML file that overrides the default per key
    #[arg(long, value_name = "FILE|vim", env = "TUNNELSCOPE_KEYMAP")]
    pub keymap: Option<String>,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// A replay speed: a finite number from 0.01 to 1000 (NaN, 0, negative or infinite would
/// make a wait of no meaning).
fn speed(s: &str) -> Result<f64, SpeedError> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| SpeedError::NotANumber(s.to_string()))?;
    if v.is_finite() && (0.01..=1000.0).contains(&v) {
        Ok(v)
    } else {
        Err(SpeedError::OutOfRange(s.to_string()))
    }
}

/// A `--speed` that cannot be used (clap shows the message).
#[derive(Debug, thiserror::Error)]
enum SpeedError {
    #[error("`{0}` is not a number (try 2 for twice as fast, 0.5 for half)")]
    NotANumber(String),
    #[error("`{0}` is not a speed: give a number from 0.01 to 1000 (1 = as recorded)")]
    OutOfRange(String),
}

#[derive(Debug, clap::Args)]
pub struct BundleArgs {
    /// The capture to pack (a file written by `connect` or `demo`)
    #[arg(value_name = "CAPTURE")]
    pub capture: std::path::PathBuf,
    /// The archive to write (default: beside the capture, NAME-bundle.tar)
    #[arg(long, short)]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ScreenArgs {
    /// A keymap: `vim`, or a TOML file that overrides the default per key
    #[arg(long, value_name = "FILE|vim", env = "TUNNELSCOPE_KEYMAP")]
    pub keymap: Option<String>,
    /// Debug lines kept for scrolling back
    #[arg(long, default_value_t = 100_000)]
    pub scrollback: usize,
    /// Write the session's capture here (default: the data directory, named from the router
    /// and the date and time)
    #[arg(long, value_name = "FILE", conflicts_with = "no_capture")]
    pub capture: Option<std::path::PathBuf>,
    /// Do not write a capture
    #[arg(long)]
    pub no_capture: bool,
    /// Keep the key values `show enco key=N` prints (they are redacted otherwise)
    #[arg(long)]
    pub keep_secrets: bool,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The scenario to start on (switch inside the demo with S; o shows the other router)
    #[arg(long, default_value = "healthy", value_parser = scenario_names())]
    pub scenario: String,
    #[command(flatten)]
    pub screen: ScreenArgs,
    /// A TOML file of extra debug classifier rules (same form as the built-in rules)
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub link: LinkArgs,
    #[command(flatten)]
    pub screen: ScreenArgs,
    /// The address the ping runner pings across the tunnel (a host on the far LAN)
    #[arg(long, value_name = "ADDRESS")]
    pub ping: Option<String>,
    /// Ping from the router itself (its `ping`) instead of this machine
    #[arg(long)]
    pub ping_from_router: bool,
}

#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    /// The keymap to print: `vim`, or a TOML file laid over the default
    #[arg(long, value_name = "FILE|vim")]
    pub keymap: Option<String>,
}

/// How to reach a router: shared by `snapshot` and `connect`.
#[derive(Debug, Clone, clap::Args)]
pub struct LinkArgs {
    /// One router, or the two ends of a tunnel: serial:[user@]/dev/ttyUSB0,
    /// ssh://[user@]host[:port], telnet://[user@]host[:port], sim:SCENARIO[/1|2]
    #[arg(value_name = "TARGET", num_args = 1..=2, required = true)]
    pub targets: Vec<String>,
    /// User name to log in with where the target names none (default: manager). The passwords
    /// are read from TUNNELSCOPE_PASSWORD (the first target) and TUNNELSCOPE_PASSWORD_2 (the
    /// second), or asked for on the terminal
    #[arg(long)]
    pub user: Option<String>,
    /// SSH private key file
    #[arg(long, value_name = "FILE")]
    pub identity: Option<std::path::PathBuf>,
    /// What to do with an SSH host key not in known_hosts
    #[arg(long, value_enum, default_value = "ask")]
    pub host_key: HostKeyArg,
    /// The known_hosts file (default ~/.ssh/known_hosts)
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<std::path::PathBuf>,
    /// Also offer the SHA-1 key exchange, CBC ciphers, hmac-sha1 and ssh-rsa old routers need
    #[arg(long)]
    pub legacy_ssh: bool,
    /// Serial line rate
    #[arg(long, default_value_t = 9600)]
    pub baud: u32,
    /// Serial data bits (5-8)
    #[arg(long, default_value_t = 8)]
    pub data_bits: u8,
    /// Serial parity: none, odd, even
    #[arg(long, default_value = "none")]
    pub parity: String,
    /// Serial stop bits (1 or 2)
    #[arg(long, default_value_t = 1)]
    pub stop_bits: u8,
    /// Serial flow control: none, software, hardware
    #[arg(long, default_value = "none")]
    pub flow: String,
    /// A regular expression for a prompt changed with `set port prompt=`
    #[arg(long, value_name = "REGEX")]
    pub prompt: Option<String>,
    /// A TOML file of extra debug classifier rules (same form as the built-in rules)
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

/// The simulator's scenarios, listed by `--help` and in the error for a wrong name.
fn scenario_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        tunnelscope::sim::Scenario::ALL
            .iter()
            .map(|s| clap::builder::PossibleValue::new(s.name()).help(s.describe())),
    )
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum HostKeyArg {
    Ask,
    AcceptNew,
    Strict,
}

#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub link: LinkArgs,
    /// Print JSON (the same as `analyze --json`)
    #[arg(long)]
    pub json: bool,
    /// Give up after this many seconds
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// Two ends: compare the pre-shared keys their ISAKMP policies name, by SHA-256 fingerprint
    /// in memory (only "same" or "differ" is shown; the values never are)
    #[arg(long)]
    pub compare_keys: bool,
    /// Draw the ladder of the latest failed exchange (else the latest) between the routers:
    /// each message an arrow with its payloads, retransmissions, where and why it stopped
    #[arg(long)]
    pub ladder: bool,
}

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// healthy, phase1-stall, psk-mismatch, phase2-mismatch, sa-out-of-step, sa-accumulation,
    /// policy-selection
    #[arg(long, default_value = "healthy")]
    pub scenario: String,
    /// Which router of the How To Note's network: 1 (Peer1) or 2 (Peer2)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub peer: u8,
    /// Start at the login prompt (stdin/stdout only; serial and telnet always do)
    #[arg(long)]
    pub login: bool,
    /// Serve on this tty device instead of stdin/stdout
    #[arg(long, value_name = "PATH", conflicts_with = "telnet")]
    pub serial: Option<String>,
    /// Line rate for --serial
    #[arg(long, default_value_t = 9600)]
    pub baud: u32,
    /// Serve telnet on ADDR:PORT (port 0 picks a free one and prints it)
    #[arg(long, value_name = "ADDR:PORT")]
    pub telnet: Option<String>,
    /// Seconds of quiet before the security officer must give the password again
    #[arg(long, default_value_t = 60)]
    pub securedelay: u64,
    /// Lines per page before the --More-- prompt
    #[arg(long, default_value_t = 22)]
    pub page_lines: usize,
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Capture files, read in order as one session (the last output of a command wins);
    /// `-` reads stdin, and pipes and FIFOs are read once
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print JSON instead of the readable report
    #[arg(long)]
    pub json: bool,
    /// A TOML file of extra debug classifier rules (same form as the built-in rules)
    #[arg(long, value_name = "FILE", env = "TUNNELSCOPE_RULES")]
    pub rules: Option<PathBuf>,
    /// A regular expression for a prompt changed with `set port prompt=` (matched at line start)
    #[arg(long, value_name = "REGEX")]
    pub prompt: Option<String>,
    /// In JSON, list only the failing debug lines instead of every unsolicited line
    #[arg(long)]
    pub failures_only: bool,
    /// A regular expression for the time stamp a terminal program wrote at the start of every
    /// line (matched at each line start and removed; named groups y, mon, d, H, M, S, frac
    /// give the line's time). tio, Tera Term, minicom and PuTTY logs are recognised without it
    #[arg(long, value_name = "REGEX")]
    pub stamp: Option<String>,
    /// The far end's captures: both ends are reported and compared (SA and SPI pairs, the
    /// configuration side by side, one list of findings for the tunnel)
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub other: Vec<PathBuf>,
    /// Draw the ladder of the latest failed exchange (else the latest) between the routers:
    /// each message an arrow with its payloads, retransmissions, where and why it stopped
    #[arg(long)]
    pub ladder: bool,
}
