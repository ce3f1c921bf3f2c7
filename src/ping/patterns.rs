//! What one line of ping output says, for each output form. Sequencing (numbering, losses
//! between replies, duplicates) is the parser's job; this file only reads single lines.

use super::form::PingForm;
use regex::Regex;
use std::sync::LazyLock;

/// A packet number as printed, or none printed (the next packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seq {
    /// Already counted from 1.
    Num(u32),
    Next,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Line {
    Reply {
        seq: Seq,
        time_ms: Option<f64>,
    },
    Lost {
        seq: Seq,
        reason: Option<String>,
    },
    Summary {
        sent: u32,
        received: u32,
    },
    Error(String),
    /// A line known to say nothing new: a duplicate, the rest of a message already read.
    Noise,
    /// Any other line: headers, statistics, blank lines, or text not understood.
    Other,
}

fn re(p: &str) -> Regex {
    // The patterns are constants checked by the tests; a typo here is a bug, not bad input.
    Regex::new(p).expect("ping pattern")
}

// Unix (iputils, BSD/macOS, busybox; also AlliedWare Plus, whose ping is iputils').
static UNIX_REPLY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\d+\s+bytes\s+from\s+\S.*?:\s.*?\b(icmp_seq|icmp_req|seq)=(\d+)(?:.*?\btime\s*[=<]\s*([\d.]+)\s*(ms|s|us|µs)?)?",
    )
});
static UNIX_NO_ANSWER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)no answer yet for icmp_seq=(\d+)"));
static UNIX_ICMP_ERROR: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^From\s+(\S+)(?:\s+\(\S+\))?:?\s+icmp_seq=(\d+)\s+(.+)$"));
static MAC_TIMEOUT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^Request timeout for icmp_seq[ =]?(\d+)"));
/// macOS prints an ICMP error as `92 bytes from 10.0.0.1: Destination Host Unreachable`.
static MAC_ICMP_ERROR: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\d+\s+bytes\s+from\s+(\S+?):\s+([A-Za-z].*)$"));
static UNIX_SUMMARY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(\d+)\s+packets?\s+transmitted,\s+(\d+)\s+(?:packets?\s+)?received"));

// Windows (English).
static WIN_REPLY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^Reply\s+from\s+(\S+?):\s+(?:bytes=\d+\s+)?time\s*([=<])\s*(\d+)\s*ms")
});
static WIN_REPLY_ERROR: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^Reply\s+from\s+(\S+?):\s+(.+?)\.?$"));
static WIN_SUMMARY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)Sent\s*=\s*(\d+),\s*Received\s*=\s*(\d+)"));
static WIN_UNKNOWN_HOST: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)could not find host\s+(\S+?)\.?(?:\s|$)"));

// The router's own ping, read generously: real AlliedWare output is not published.
static ROUTER_REPLY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\breply\b(?:\s+(?:no\.?\s*|#)?(\d+))?.*?\bfrom\s+(\S+)"));
static ROUTER_TIME: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:time|delay|rtt)(?:\s+delay)?\s*[=<:]?\s*([\d.]+)\s*(ms|msec|milliseconds?)\b")
});
static TIMED_OUT: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\btime[d]?[\s-]*out\b"));
static NUMBER_AFTER_WORD: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:request|echo|packet|ping|seq(?:uence)?|icmp_seq)\b\D{0,3}?(\d+)")
});
static ROUTER_SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)(\d+)\s+(?:packets?\s+)?(?:sent|transmitted)\D+?(\d+)\s+(?:packets?\s+)?received")
});
static ROUTER_ERROR: LazyLock<Regex> = LazyLock::new(|| re(r"^(?:Error|%|\^)\s*(.*)$"));

/// Read one line in the given form.
pub(super) fn classify(form: PingForm, line: &str) -> Line {
    let line = line.trim();
    if line.is_empty() {
        return Line::Other;
    }
    let found = match form {
        PingForm::Linux | PingForm::MacOs => unix(form, line),
        PingForm::Windows => windows(line),
        // Try the router's own words first, then the others: AlliedWare Plus prints iputils'
        // lines, and the wording of older releases is not known.
        PingForm::Router => router(line)
            .or_else(|| unix(PingForm::Linux, line))
            .or_else(|| windows(line)),
    };
    found.or_else(|| system_error(line)).unwrap_or(Line::Other)
}

fn num(s: Option<regex::Match<'_>>) -> Option<u32> {
    s?.as_str().parse().ok()
}

fn unix(form: PingForm, line: &str) -> Option<Line> {
    if let Some(c) = UNIX_REPLY.captures(line) {
        if line.contains("DUP!") {
            return Some(Line::Noise);
        }
        let raw = num(c.get(2))?;
        // iputils counts from 1; macOS and busybox (`seq=`) count from 0.
        let zero_based = form == PingForm::MacOs || c.get(1).is_some_and(|m| m.as_str() == "seq");
        let seq = if zero_based {
            raw.saturating_add(1)
        } else {
            raw
        };
        let time_ms = c
            .get(3)
            .and_then(|t| t.as_str().parse::<f64>().ok())
            .map(|t| match c.get(4).map(|u| u.as_str()) {
                Some("s") => t * 1000.0,
                Some("us") | Some("µs") => t / 1000.0,
                _ => t,
            });
        return Some(Line::Reply {
            seq: Seq::Num(seq),
            time_ms,
        });
    }
    if let Some(c) = UNIX_NO_ANSWER.captures(line) {
        return Some(Line::Lost {
            seq: Seq::Num(num(c.get(1))?),
            reason: None,
        });
    }
    if let Some(c) = UNIX_ICMP_ERROR.captures(line) {
        let raw = num(c.get(2))?;
        let seq = if form == PingForm::MacOs {
            raw.saturating_add(1)
        } else {
            raw
        };
        return Some(Line::Lost {
            seq: Seq::Num(seq),
            reason: Some(format!("{} (from {})", c[3].trim(), &c[1])),
        });
    }
    if let Some(c) = MAC_TIMEOUT.captures(line) {
        return Some(Line::Lost {
            seq: Seq::Num(num(c.get(1))?.saturating_add(1)),
            reason: None,
        });
    }
    if let Some(c) = MAC_ICMP_ERROR.captures(line) {
        return Some(Line::Lost {
            seq: Seq::Next,
            reason: Some(format!("{} (from {})", c[2].trim(), &c[1])),
        });
    }
    if let Some(c) = UNIX_SUMMARY.captures(line) {
        return Some(Line::Summary {
            sent: num(c.get(1))?,
            received: num(c.get(2))?,
        });
    }
    None
}

fn windows(line: &str) -> Option<Line> {
    if let Some(c) = WIN_REPLY.captures(line) {
        let ms: f64 = c[3].parse().ok()?;
        // `time<1ms`: below the resolution; half of it is the least wrong single number.
        let time_ms = if &c[2] == "<" { ms / 2.0 } else { ms };
        return Some(Line::Reply {
            seq: Seq::Next,
            time_ms: Some(time_ms),
        });
    }
    // An ICMP error is also printed as "Reply from", and Windows counts it as received.
    if let Some(c) = WIN_REPLY_ERROR.captures(line) {
        return Some(Line::Lost {
            seq: Seq::Next,
            reason: Some(format!("{} (from {})", c[2].trim(), &c[1])),
        });
    }
    let lower = line.to_ascii_lowercase();
    if lower.starts_with("request timed out") {
        return Some(Line::Lost {
            seq: Seq::Next,
            reason: None,
        });
    }
    if lower.starts_with("destination ")
        || lower.contains("general failure")
        || lower.contains("transmit failed")
        || lower.starts_with("ttl expired")
    {
        return Some(Line::Lost {
            seq: Seq::Next,
            reason: Some(line.trim_end_matches('.').to_string()),
        });
    }
    if let Some(c) = WIN_SUMMARY.captures(line) {
        return Some(Line::Summary {
            sent: num(c.get(1))?,
            received: num(c.get(2))?,
        });
    }
    if let Some(c) = WIN_UNKNOWN_HOST.captures(line) {
        return Some(Line::Error(format!(
            "unknown host {}: the name does not resolve",
            &c[1]
        )));
    }
    None
}

fn router(line: &str) -> Option<Line> {
    let lower = line.to_ascii_lowercase();
    // Windows' "Reply from" lines, ICMP errors included, are left to its own rules.
    if lower.starts_with("reply from") {
        return None;
    }
    if let Some(c) = ROUTER_ERROR.captures(line) {
        return Some(Line::Error(c[0].trim().to_string()));
    }
    if let Some(c) = ROUTER_SUMMARY.captures(line) {
        return Some(Line::Summary {
            sent: num(c.get(1))?,
            received: num(c.get(2))?,
        });
    }
    // "Echo reply 1 from 192.168.2.100 time delay 11 ms"
    if let Some(c) = ROUTER_REPLY.captures(line) {
        let seq = num(c.get(1)).map_or(Seq::Next, Seq::Num);
        let time_ms = ROUTER_TIME
            .captures(line)
            .and_then(|t| t[1].parse::<f64>().ok());
        return Some(Line::Reply { seq, time_ms });
    }
    // "Request 2 timed out"; macOS's "Request timeout for icmp_seq 0" counts from 0 and is
    // left to its own rule.
    if TIMED_OUT.is_match(line) && !lower.starts_with("request timeout for") {
        let seq = NUMBER_AFTER_WORD
            .captures(line)
            .and_then(|c| num(c.get(1)))
            .map_or(Seq::Next, Seq::Num);
        return Some(Line::Lost { seq, reason: None });
    }
    if lower.contains("unreachable") && !line.starts_with("From ") {
        let seq = NUMBER_AFTER_WORD
            .captures(line)
            .and_then(|c| num(c.get(1)))
            .map_or(Seq::Next, Seq::Num);
        return Some(Line::Lost {
            seq,
            reason: Some(line.trim_end_matches('.').to_string()),
        });
    }
    None
}

/// Failures of the system `ping` itself, in words a person can act on. Most arrive on stderr.
fn system_error(line: &str) -> Option<Line> {
    let lower = line.to_ascii_lowercase();
    let body = line
        .strip_prefix("ping: ")
        .or_else(|| line.strip_prefix("ping6: "))
        .unwrap_or(line);
    // iputils explains a permission failure over three lines; the one with the cause is enough.
    if lower.starts_with("ping: socktype:") || lower.starts_with("ping: =>") {
        return Some(Line::Noise);
    }
    let msg = if lower.contains("operation not permitted")
        || lower.contains("permission denied")
        || lower.contains("cap_net_raw")
    {
        format!(
            "no permission to send ICMP ({body}): `ping` needs the cap_net_raw capability or \
             setuid root, or net.ipv4.ping_group_range must include your group"
        )
    } else if lower.contains("name or service not known")
        || lower.contains("unknown host")
        || lower.contains("cannot resolve")
        || lower.contains("temporary failure in name resolution")
        || lower.contains("no address associated")
        || lower.contains("nodename nor servname")
    {
        format!("unknown host: {body}")
    } else if lower.contains("network is unreachable") || lower.contains("no route to host") {
        format!("{body}: this machine has no route to the target")
    } else if line.starts_with("ping: ") || line.starts_with("ping6: ") {
        body.to_string()
    } else {
        return None;
    };
    Some(Line::Error(msg))
}
