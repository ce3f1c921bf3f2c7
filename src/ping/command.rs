//! Where a ping runs and the command line that starts it: the system `ping` of Linux, macOS or
//! Windows, or the router's own `ping` typed at its console.

use super::form::PingForm;
use std::time::Duration;

/// Which system `ping` syntax to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Os {
    Linux,
    /// macOS, and the BSDs, whose `ping` shares its options and output.
    MacOs,
    Windows,
}

impl Os {
    /// The OS this binary was built for.
    pub fn current() -> Os {
        if cfg!(target_os = "windows") {
            Os::Windows
        } else if cfg!(any(
            target_os = "macos",
            target_os = "ios",
            target_os = "freebsd",
            target_os = "openbsd",
            target_os = "netbsd",
            target_os = "dragonfly"
        )) {
            Os::MacOs
        } else {
            Os::Linux
        }
    }
}

/// Where the ping is sent from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PingTarget {
    /// This machine's `ping`.
    System { os: Os },
    /// The router's own `ping` at its console (in the demo, the simulated LAN PC). `source` is
    /// a LAN address of the router: without it the ping leaves from the WAN address and does
    /// not match a LAN-to-LAN IPsec policy.
    Router { source: Option<String> },
}

/// What to ping, how often and how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingRequest {
    pub addr: String,
    /// `None`: until stopped.
    pub count: Option<u32>,
    pub interval: Duration,
    /// How long to wait for each reply.
    pub timeout: Duration,
}

impl PingRequest {
    pub fn new(addr: impl Into<String>, count: Option<u32>) -> Self {
        PingRequest {
            addr: addr.into(),
            count,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
        }
    }

    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }
}

/// A command to run (system) or to type (router), and the output form to parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingCommand {
    pub program: String,
    pub args: Vec<String>,
    pub form: PingForm,
}

impl PingCommand {
    /// The command as a person would type it (for the router: exactly what to send).
    pub fn display(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PingError {
    #[error("not a host name or address: {0:?}")]
    BadAddress(String),
}

/// iputils refuses shorter intervals to users without privileges ("cannot flood").
const LINUX_MIN_INTERVAL: Duration = Duration::from_millis(200);

impl PingTarget {
    /// The system `ping` of the OS this binary runs on.
    pub fn system() -> Self {
        PingTarget::System { os: Os::current() }
    }

    pub fn form(&self) -> PingForm {
        match self {
            PingTarget::System { os: Os::Linux } => PingForm::Linux,
            PingTarget::System { os: Os::MacOs } => PingForm::MacOs,
            PingTarget::System { os: Os::Windows } => PingForm::Windows,
            PingTarget::Router { .. } => PingForm::Router,
        }
    }

    pub fn command(&self, req: &PingRequest) -> Result<PingCommand, PingError> {
        check_addr(&req.addr)?;
        let mut args: Vec<String> = Vec::new();
        let mut program = "ping".to_string();
        match self {
            PingTarget::System { os: Os::Linux } => {
                // -n: no reverse lookups, which stall when DNS is down. -O: report a missing
                // reply before sending the next packet, so losses show as they happen rather
                // than only in the summary.
                args.extend(["-n", "-O"].map(String::from));
                if let Some(n) = req.count {
                    args.extend(["-c".into(), n.to_string()]);
                }
                args.extend(["-i".into(), secs(req.interval.max(LINUX_MIN_INTERVAL))]);
                args.extend(["-W".into(), whole_secs(req.timeout).to_string()]);
            }
            PingTarget::System { os: Os::MacOs } => {
                // macOS pings IPv6 only through `ping6`.
                if req.addr.contains(':') {
                    program = "ping6".into();
                }
                args.push("-n".into());
                if let Some(n) = req.count {
                    args.extend(["-c".into(), n.to_string()]);
                }
                // Intervals under a second need privileges on older macOS: keep the default
                // there rather than fail.
                if req.interval > Duration::from_secs(1) {
                    args.extend(["-i".into(), secs(req.interval)]);
                }
            }
            PingTarget::System { os: Os::Windows } => {
                // Windows has no interval option: one a second.
                match req.count {
                    Some(n) => args.extend(["-n".into(), n.to_string()]),
                    None => args.push("-t".into()),
                }
                let ms = req.timeout.as_millis().clamp(1, u32::MAX as u128);
                args.extend(["-w".into(), ms.to_string()]);
            }
            PingTarget::Router { source } => {
                // AlliedWare's PING parameters as the AR-series reference gives them
                // (NUMBER, SIPADDRESS); not checked against a real router.
                args.push(req.addr.clone());
                match req.count {
                    Some(n) => args.push(format!("number={n}")),
                    None => args.push("number=continuous".into()),
                }
                if let Some(src) = source {
                    check_addr(src)?;
                    args.push(format!("sipaddress={src}"));
                }
                return Ok(PingCommand {
                    program,
                    args,
                    form: PingForm::Router,
                });
            }
        }
        args.push(req.addr.clone());
        Ok(PingCommand {
            program,
            args,
            form: self.form(),
        })
    }
}

/// The router command that ends a continuous ping (AR-series reference; unchecked).
pub const ROUTER_STOP_PING: &str = "stop ping";

/// Accept host names and IPv4/IPv6 addresses (with a `%zone`); refuse anything that `ping`
/// could take as an option or that the router console would split into words.
fn check_addr(addr: &str) -> Result<(), PingError> {
    let ok = !addr.is_empty()
        && addr.len() <= 255
        && !addr.starts_with('-')
        && addr
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '_' | '%'));
    if ok {
        Ok(())
    } else {
        Err(PingError::BadAddress(addr.to_string()))
    }
}

/// Seconds with up to three decimals and no trailing zeros: `1`, `0.2`, `1.5`.
fn secs(d: Duration) -> String {
    let s = format!("{:.3}", d.as_secs_f64());
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Whole seconds, rounded up, at least 1: older iputils reject a fractional `-W`.
fn whole_secs(d: Duration) -> u64 {
    let whole = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    whole.max(1)
}
