//! Target strings: where a console is.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Serial {
        path: String,
    },
    Ssh {
        user: Option<String>,
        host: String,
        port: u16,
    },
    Telnet {
        user: Option<String>,
        host: String,
        port: u16,
    },
    /// The in-process simulator: a scenario and the peer (1 or 2) whose console to open.
    Sim {
        scenario: String,
        peer: u8,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a target: {reason}. Targets are serial:/dev/ttyUSB0, ssh://[user@]host[:port], telnet://[user@]host[:port] or sim:SCENARIO[/1|2]")]
pub struct TargetError {
    pub input: String,
    pub reason: String,
}

fn err(input: &str, reason: &str) -> TargetError {
    TargetError {
        input: input.to_string(),
        reason: reason.to_string(),
    }
}

/// `[user@]host[:port]`, with `[v6]` hosts allowed.
fn host_part(
    input: &str,
    rest: &str,
    default_port: u16,
) -> Result<(Option<String>, String, u16), TargetError> {
    let rest = rest.trim_end_matches('/');
    let (user, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) if !u.is_empty() => (Some(u.to_string()), h),
        Some(_) => return Err(err(input, "the user name before @ is empty")),
        None => (None, rest),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| err(input, "an IPv6 address needs its closing ]"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(err(input, "unexpected text after the address")),
        };
        (h.to_string(), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(err(input, "the host is missing"));
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| err(input, "the port must be a number from 1 to 65535"))?,
        None => default_port,
    };
    Ok((user, host, port))
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        if let Some(path) = s.strip_prefix("serial:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(err(input, "the serial device path is missing"));
            }
            return Ok(Target::Serial {
                path: path.to_string(),
            });
        }
        if let Some(rest) = s.strip_prefix("ssh://") {
            let (user, host, port) = host_part(input, rest, 22)?;
            return Ok(Target::Ssh { user, host, port });
        }
        if let Some(rest) = s.strip_prefix("telnet://") {
            let (user, host, port) = host_part(input, rest, 23)?;
            return Ok(Target::Telnet { user, host, port });
        }
        if let Some(rest) = s.strip_prefix("sim:") {
            let (scenario, peer) = match rest.split_once('/') {
                Some((s, p)) => (
                    s,
                    p.parse::<u8>()
                        .ok()
                        .filter(|p| *p == 1 || *p == 2)
                        .ok_or_else(|| err(input, "the peer must be 1 or 2"))?,
                ),
                None => (rest, 1),
            };
            if scenario.is_empty() {
                return Err(err(input, "the scenario name is missing"));
            }
            return Ok(Target::Sim {
                scenario: scenario.to_string(),
                peer,
            });
        }
        if s.starts_with("/dev/") {
            return Err(err(input, "a serial device needs the serial: prefix"));
        }
        Err(err(input, "unknown kind of target"))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hp = |host: &str, port: u16| {
            if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            }
        };
        match self {
            Target::Serial { path } => write!(f, "serial:{path}"),
            Target::Ssh { user, host, port } => match user {
                Some(u) => write!(f, "ssh://{u}@{}", hp(host, *port)),
                None => write!(f, "ssh://{}", hp(host, *port)),
            },
            Target::Telnet { user, host, port } => match user {
                Some(u) => write!(f, "telnet://{u}@{}", hp(host, *port)),
                None => write!(f, "telnet://{}", hp(host, *port)),
            },
            Target::Sim { scenario, peer } => write!(f, "sim:{scenario}/{peer}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_forms() {
        assert_eq!(
            "serial:/dev/ttyUSB0".parse::<Target>().unwrap(),
            Target::Serial {
                path: "/dev/ttyUSB0".into()
            }
        );
        assert_eq!(
            "ssh://secoff@10.0.0.1".parse::<Target>().unwrap(),
            Target::Ssh {
                user: Some("secoff".into()),
                host: "10.0.0.1".into(),
                port: 22
            }
        );
        assert_eq!(
            "ssh://[::1]:2222".parse::<Target>().unwrap(),
            Target::Ssh {
                user: None,
                host: "::1".into(),
                port: 2222
            }
        );
        assert_eq!(
            "telnet://manager@router:2323".parse::<Target>().unwrap(),
            Target::Telnet {
                user: Some("manager".into()),
                host: "router".into(),
                port: 2323
            }
        );
        assert_eq!(
            "sim:healthy/2".parse::<Target>().unwrap(),
            Target::Sim {
                scenario: "healthy".into(),
                peer: 2
            }
        );
        for t in [
            "ssh://secoff@10.0.0.1:22",
            "telnet://h:23",
            "serial:/dev/ttyS0",
            "sim:x/1",
        ] {
            assert_eq!(t.parse::<Target>().unwrap().to_string(), t);
        }
    }

    #[test]
    fn clear_errors() {
        for (bad, says) in [
            ("ssh://host:99999", "port"),
            ("ssh://@host", "user"),
            ("ssh://", "host"),
            ("/dev/ttyUSB0", "serial:"),
            ("ftp://x", "unknown"),
            ("sim:healthy/3", "peer"),
            ("serial:", "path"),
        ] {
            let e = bad.parse::<Target>().unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
