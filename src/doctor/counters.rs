//! The verdict on one policy's counter deltas, in plain words: it weighs the traffic counters
//! against each other, the error counters that moved, and a ping when one ran. A judgement, so
//! it lives with the doctor; `model::CounterView` only holds the readings. Command text in its
//! advice comes from the router's `Dialect`.

use crate::model::{Cmd, CounterView, Dialect, PingTally};

/// How the screen colours a verdict line. Ordered from least to most alarming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Nothing to judge yet.
    Idle,
    Ok,
    Warn,
    Bad,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictLine {
    pub severity: Severity,
    pub text: String,
}

/// The verdict: the first line is the headline; `severity` is the worst of the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub severity: Severity,
    pub lines: Vec<VerdictLine>,
}

impl Verdict {
    pub fn headline(&self) -> &str {
        self.lines.first().map(|l| l.text.as_str()).unwrap_or("")
    }

    fn push(&mut self, severity: Severity, text: impl Into<String>) {
        self.severity = self.severity.max(severity);
        self.lines.push(VerdictLine {
            severity,
            text: text.into(),
        });
    }
}

/// The verdict on the deltas since the baseline, weighed against a ping when one ran.
pub fn counter_verdict(
    view: &CounterView,
    ping: Option<&PingTally>,
    dialect: &dyn Dialect,
) -> Verdict {
    let mut v = Verdict {
        severity: Severity::Idle,
        lines: Vec::new(),
    };
    let (out_name, in_name) = (&view.traffic().outbound, &view.traffic().inbound);
    if view.last_at().is_none() {
        v.push(Severity::Idle, "no counters read yet");
        return v;
    }
    let pinging = ping.is_some_and(|p| p.running || p.sent > 0);
    let (out, inb) = match (view.get(out_name), view.get(in_name)) {
        (Some(o), Some(i)) => (o.delta(), i.delta()),
        _ => {
            v.push(
                Severity::Warn,
                format!(
                    "no {out_name} and {in_name} in this display: \
                     choose a policy with action=ipsec"
                ),
            );
            error_lines(view, &mut v, 0);
            return v;
        }
    };
    match (out > 0, inb > 0) {
        (true, true) => v.push(
            Severity::Ok,
            "encrypting and decrypting: the tunnel carries traffic both ways",
        ),
        (true, false) => v.push(
            Severity::Bad,
            "encrypting, nothing decrypted: replies are not coming back through the tunnel; \
             check the peer",
        ),
        (false, true) => v.push(
            Severity::Bad,
            "decrypting but not encrypting: packets arrive through the tunnel but nothing \
             leaves through it; check this router's policy order and addresses",
        ),
        (false, false) if pinging => v.push(
            Severity::Bad,
            "nothing through the tunnel: the pings are not matching the IPsec policy, \
             or there is no IPsec SA",
        ),
        (false, false) => v.push(
            Severity::Idle,
            "no traffic since the baseline; start a ping (p)",
        ),
    }
    if let Some(r) = view.last_reset() {
        v.push(
            Severity::Warn,
            format!(
                "{} went back from {} to {}: the router restarted or its counters were \
                 reset; counting from a new baseline",
                r.name, r.was, r.now
            ),
        );
    }
    error_lines(view, &mut v, out);
    if let Some(p) = ping.filter(|_| pinging) {
        ping_lines(view, &mut v, p, (out, inb), dialect);
    }
    v
}

/// One line per kind of error, naming the counters that moved.
fn error_lines(view: &CounterView, v: &mut Verdict, out: u64) {
    let mut groups: Vec<(ErrorKind, Vec<String>)> = Vec::new();
    for r in view.moved_error() {
        let kind = ErrorKind::of(&r.name);
        let item = format!("{} +{}", r.name, r.delta());
        match groups.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, items)) => items.push(item),
            None => groups.push((kind, vec![item])),
        }
    }
    for (kind, items) in groups {
        // The first packet of a flow is dropped while phase 2 comes up: expected, if
        // traffic then flows.
        let severity = if kind == ErrorKind::NoSa && out > 0 {
            Severity::Warn
        } else {
            Severity::Bad
        };
        let meaning = if kind == ErrorKind::NoSa && out > 0 {
            "packets matched the policy before an IPsec SA existed; normal for the first \
             packets while the tunnel comes up"
        } else {
            kind.meaning()
        };
        v.push(severity, format!("{}: {meaning}", items.join(", ")));
    }
}

/// Compare the ping with the traffic counters. The ping is assumed to cross this router's
/// tunnel: one encrypted packet per ping, one decrypted packet per reply.
fn ping_lines(
    view: &CounterView,
    v: &mut Verdict,
    p: &PingTally,
    (out, inb): (u64, u64),
    dialect: &dyn Dialect,
) {
    let (out_name, in_name) = (&view.traffic().outbound, &view.traffic().inbound);
    let (sent, replied) = (p.sent, p.replied);
    v.push(
        Severity::Idle,
        format!("{sent} sent, {out_name} +{out}, {replied} replies, {in_name} +{inb}"),
    );
    if let (Some(started), Some(base)) = (p.started_at, view.baseline_at()) {
        if started < base {
            v.push(
                Severity::Warn,
                "the baseline was set after the ping started, so the counters miss its \
                 first packets: set the baseline (b), then ping",
            );
        }
    }
    // Counters are polled every few seconds while ping results stream in, so a running
    // ping is always ahead of them; judge the numbers only on a reading after it ended.
    if p.running {
        v.push(
            Severity::Idle,
            "ping running: the counters are read every few seconds and lag it; \
             the comparison is final when it ends",
        );
        return;
    }
    if let (Some(end), Some(last)) = (p.ended_at, view.last_at()) {
        if last < end {
            v.push(
                Severity::Idle,
                "waiting for a counter reading after the ping ended",
            );
            return;
        }
    }
    if sent == 0 {
        return;
    }
    if out == 0 && p.from_router {
        v.push(
            Severity::Warn,
            format!(
                "a ping from the router itself leaves from its WAN address and may not match \
                 a LAN-to-LAN policy: give it a LAN source address (`{}`), or ping from a PC \
                 on the LAN",
                dialect.command(&Cmd::PingFrom {
                    target: "ADDRESS",
                    source: "LAN-ADDRESS"
                })
            ),
        );
    }
    if replied > 0 && out == 0 && inb == 0 {
        v.push(
            Severity::Bad,
            "the pings are answered but neither counter moved: they go around the tunnel, \
             not through it (the addresses do not match the IPsec policy, or the target is \
             reachable another way)",
        );
        return;
    }
    if replied > 0 && inb == 0 {
        v.push(
            Severity::Bad,
            format!(
                "{replied} replies arrived but {in_name} did not move: the replies bypass \
                 the tunnel; check the peer's policy for traffic back to this LAN"
            ),
        );
    } else if replied == 0 && inb > 0 {
        v.push(
            Severity::Bad,
            format!(
                "{in_name} moved but no ping was answered: packets are decrypted here but \
                 the replies do not reach the pinging machine (check this router's firewall \
                 and the machine's route), or what was decrypted is other traffic"
            ),
        );
    } else if inb < replied {
        v.push(
            Severity::Warn,
            format!(
                "{} of the replies came back outside the tunnel",
                replied - inb
            ),
        );
    }
    if out > 0 && out < sent {
        v.push(
            Severity::Warn,
            format!(
                "{} of the {sent} pings did not go through the tunnel: the first ones may \
                 have been dropped while the SA came up, or some took another route",
                sent - out
            ),
        );
    }
    if out > sent {
        v.push(
            Severity::Ok,
            format!("{out_name} moved more than the pings sent: other traffic uses the tunnel too"),
        );
    }
    if inb > replied && replied > 0 {
        v.push(
            Severity::Ok,
            format!(
                "{in_name} moved more than the replies: other traffic comes through the tunnel too"
            ),
        );
    }
    if out == sent && inb == replied {
        if replied == sent {
            v.push(
                Severity::Ok,
                "the counters match the ping: every ping and every reply went through the tunnel",
            );
        } else if replied > 0 {
            v.push(
                Severity::Warn,
                format!(
                    "{} pings went into the tunnel and got no reply: the peer, the network \
                     behind it or the target dropped them",
                    sent - replied
                ),
            );
        }
    }
}

/// What an error counter moving is likely to mean, from words in its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Spi,
    NoSa,
    Replay,
    Auth,
    Policy,
    Size,
    Failed,
    Other,
}

impl ErrorKind {
    fn of(name: &str) -> ErrorKind {
        let n = name.to_ascii_lowercase();
        let has = |s: &[&str]| s.iter().any(|w| n.contains(w));
        if has(&["spi"]) {
            ErrorKind::Spi
        } else if has(&["nosa", "no_sa"]) {
            ErrorKind::NoSa
        } else if has(&["replay"]) {
            ErrorKind::Replay
        } else if has(&["auth", "icv", "integrity", "hmac", "digest"]) {
            ErrorKind::Auth
        } else if has(&["polic", "selector"]) {
            ErrorKind::Policy
        } else if has(&["mtu", "frag", "size", "length", "toobig"]) {
            ErrorKind::Size
        } else if has(&["fail"]) {
            ErrorKind::Failed
        } else {
            ErrorKind::Other
        }
    }

    fn meaning(self) -> &'static str {
        match self {
            ErrorKind::Spi => {
                "packets for an SA this router does not have (unknown or bad SPI): the SAs are \
                 out of step, one peer kept an SA the other removed (after a restart or a link \
                 drop); reset ISAKMP and IPsec on both peers (R), and use ISAKMP heartbeats to \
                 prevent it"
            }
            ErrorKind::NoSa => {
                "packets matched the policy but there was no IPsec SA to encrypt them: phase 2 \
                 is not up; check the ISAKMP and IPsec SAs and the debug stream"
            }
            ErrorKind::Replay => {
                "packets rejected as replays: duplicated or badly reordered on the way, or the \
                 SAs are out of step"
            }
            ErrorKind::Auth => {
                "packets failed authentication: the peers' keys differ (SAs out of step); reset \
                 ISAKMP and IPsec on both peers (R)"
            }
            ErrorKind::Policy => {
                "packets did not match the policy's addresses: the two peers' policies do not \
                 mirror each other"
            }
            ErrorKind::Size => {
                "packets too large or badly fragmented: check the MTU along the path"
            }
            ErrorKind::Failed => {
                "IPsec processing failed: the algorithms or keys may not match, or the router \
                 ran short of resources; check the debug stream"
            }
            ErrorKind::Other => "an error counter moved: look at the debug stream and the log",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Counter;
    use std::time::Duration;

    fn reading(out: u64, inb: u64) -> Vec<Counter> {
        [("outProcessDone", out), ("inProcessDone", inb)]
            .into_iter()
            .map(|(name, value)| Counter {
                command: String::new(),
                section: String::new(),
                name: name.into(),
                value,
                line: 0,
            })
            .collect()
    }

    #[test]
    fn the_router_ping_advice_is_the_dialects_command() {
        let d = crate::alliedware::dialect::dialect();
        let mut view = CounterView::new();
        view.update(Duration::from_secs(0), &reading(0, 0));
        view.update(Duration::from_secs(10), &reading(0, 0));
        let ping = PingTally {
            sent: 5,
            ended_at: Some(Duration::from_secs(9)),
            from_router: true,
            ..PingTally::default()
        };
        let v = counter_verdict(&view, Some(&ping), d);
        let cmd = d.command(&Cmd::PingFrom {
            target: "ADDRESS",
            source: "LAN-ADDRESS",
        });
        assert!(
            v.lines.iter().any(|l| l.text.contains(&format!("`{cmd}`"))),
            "{v:?}"
        );
        assert_eq!(v.severity, Severity::Bad);
    }
}
