//! The packet path of a ping through the tunnel, from counter deltas at both ends: out at the
//! sender, in at the receiver, out at the receiver, in at the sender; where it stops, and
//! which error counter moved at which end.

use super::End;
use crate::model::{Counter, CounterRow, CounterView};
use serde::Serialize;
use std::time::Duration;

/// One hop of the path: a traffic counter at one end and how far it moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathStep {
    pub end: String,
    pub counter: String,
    /// Since the baseline; `None` when that end's counters were not read twice.
    pub delta: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathOutcome {
    /// Every hop moved.
    BothWays,
    /// The packets went out and came in at the far end, but no answer came back.
    OneWay,
    /// They left the sender and were lost or dropped before the far end took them.
    Stopped,
    /// No traffic counter moved at either end.
    NoTraffic,
    /// An end's counters are missing where the path would continue.
    Unknown,
}

/// An error counter that moved since the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MovedError {
    pub end: String,
    pub counter: String,
    pub delta: u64,
    /// What it means, in the words ("Peer2 does not know the SPI Peer1 sends with").
    pub meaning: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PacketPath {
    /// The end the ping started from (as far as the counters tell).
    pub from: String,
    pub to: String,
    /// Out at `from`, in at `to`, out at `to`, in at `from`.
    pub steps: Vec<PathStep>,
    pub outcome: PathOutcome,
    /// Index in `steps` of the first hop that did not move.
    pub stopped_at: Option<usize>,
    pub errors: Vec<MovedError>,
    /// Packets the ping sent and got back, when a ping ran.
    pub ping_sent: Option<u64>,
    pub ping_replied: Option<u64>,
    /// The whole path as one line.
    pub text: String,
}

/// A counter view built from two readings of the same counters: the first is the baseline.
pub fn view_from_readings(
    before: &[Counter],
    after: &[Counter],
    interval: Duration,
) -> CounterView {
    let mut v = CounterView::new();
    v.update(Duration::ZERO, before);
    v.update(interval, after);
    v
}

/// Read twice at least: the deltas mean something.
fn read_twice(v: &CounterView) -> bool {
    v.since_baseline().is_some_and(|d| !d.is_zero())
}

fn delta(end: &End, outbound: bool) -> (String, Option<u64>) {
    let Some(v) = end.counters else {
        let name = if outbound { "outbound" } else { "inbound" };
        return (name.into(), None);
    };
    let t = v.traffic();
    let name = if outbound { &t.outbound } else { &t.inbound };
    let d = if read_twice(v) {
        Some(v.get(name).map(CounterRow::delta).unwrap_or(0))
    } else {
        None
    };
    (name.clone(), d)
}

/// What a moved error counter says, from the words of its name (vendor counters name the SPI,
/// the missing SA or the failure).
fn meaning(me: &str, other: &str, counter: &str) -> String {
    let n = counter.to_ascii_lowercase();
    if n.contains("spi") && (n.contains("unknown") || n.contains("bad") || n.contains("invalid")) {
        format!("{me} does not know the SPI {other} sends with")
    } else if n.contains("nosa") || n.contains("no_sa") {
        format!("{me} has no IPsec SA to send with")
    } else if n.contains("replay") {
        format!("{me} saw replayed or out-of-window packets")
    } else if n.contains("auth") || n.contains("hash") || n.contains("integrity") {
        format!("{me} could not verify the packets {other} sent")
    } else if n.contains("fail") {
        format!("{me} could not process the packets")
    } else {
        format!("{me}'s {counter} moved")
    }
}

fn errors(me: &End, other: &End) -> Vec<MovedError> {
    let Some(v) = me.counters else {
        return Vec::new();
    };
    if !read_twice(v) {
        return Vec::new();
    }
    v.moved_error()
        .into_iter()
        .map(|r| MovedError {
            end: me.name.to_string(),
            counter: r.name.clone(),
            delta: r.delta(),
            meaning: meaning(me.name, other.name, &r.name),
        })
        .collect()
}

/// The path, when at least one end's counters were read twice.
pub fn packet_path(a: &End, b: &End) -> Option<PacketPath> {
    let twice = |e: &End| e.counters.is_some_and(read_twice);
    if !twice(a) && !twice(b) {
        return None;
    }
    // Who pinged: the end with a ping that sent something, else the end whose outbound
    // counter moved more.
    let sent = |e: &End| e.ping.map(|p| p.sent).filter(|s| *s > 0);
    let b_first = match (sent(a), sent(b)) {
        (None, Some(_)) => true,
        (Some(_), _) => false,
        (None, None) => delta(b, true).1.unwrap_or(0) > delta(a, true).1.unwrap_or(0),
    };
    let (x, y) = if b_first { (b, a) } else { (a, b) };
    let hops = [(x, true), (y, false), (y, true), (x, false)];
    let steps: Vec<PathStep> = hops
        .iter()
        .map(|(e, out)| {
            let (counter, delta) = delta(e, *out);
            PathStep {
                end: e.name.to_string(),
                counter,
                delta,
            }
        })
        .collect();
    let mut errs = errors(x, y);
    errs.extend(errors(y, x));
    let stopped_at = steps.iter().position(|s| matches!(s.delta, None | Some(0)));
    let outcome = match stopped_at {
        None => PathOutcome::BothWays,
        Some(i) if steps[i].delta.is_none() => PathOutcome::Unknown,
        Some(0) => PathOutcome::NoTraffic,
        Some(1) => PathOutcome::Stopped,
        Some(_) => PathOutcome::OneWay,
    };
    let ping = x.ping.or(y.ping);
    let mut path = PacketPath {
        from: x.name.to_string(),
        to: y.name.to_string(),
        steps,
        outcome,
        stopped_at,
        errors: errs,
        ping_sent: ping.map(|p| p.sent),
        ping_replied: ping.map(|p| p.replied),
        text: String::new(),
    };
    path.text = text(&path);
    Some(path)
}

fn hop(s: &PathStep) -> String {
    match s.delta {
        Some(d) => format!("{} {} +{d}", s.end, s.counter),
        None => format!("{} {} ?", s.end, s.counter),
    }
}

fn text(p: &PacketPath) -> String {
    let shown = match p.stopped_at {
        Some(i) => &p.steps[..=i],
        None => &p.steps[..],
    };
    let chain = shown.iter().map(hop).collect::<Vec<_>>().join(" → ");
    let mut out = match p.outcome {
        PathOutcome::BothWays => {
            let first = p.steps.first().and_then(|s| s.delta).unwrap_or(0);
            let last = p.steps.last().and_then(|s| s.delta).unwrap_or(0);
            if last < first {
                format!("{chain}: both ways, {last} of {first} back")
            } else {
                format!("{chain}: both ways")
            }
        }
        PathOutcome::NoTraffic => match p.ping_sent {
            Some(n) if n > 0 => format!(
                "{chain}: the ping sent {n} but no packet went into the tunnel (not encrypted, or no SA)"
            ),
            _ => format!("{chain}: no traffic through the tunnel"),
        },
        PathOutcome::Stopped => format!("{chain}: stops before {}", p.to),
        PathOutcome::OneWay => format!("{chain}: one way only, no answer comes back"),
        PathOutcome::Unknown => {
            let who = p.stopped_at.map(|i| p.steps[i].end.as_str()).unwrap_or("");
            format!("{chain}: {who}'s counters were not read twice")
        }
    };
    for e in &p.errors {
        out.push_str(&format!(
            "; {} {} +{}: {}",
            e.end, e.counter, e.delta, e.meaning
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PingTally, Snapshot};

    fn c(name: &str, value: u64) -> Counter {
        Counter {
            command: "counters".into(),
            section: String::new(),
            name: name.into(),
            value,
            line: 0,
        }
    }

    /// A view whose counters moved by the given deltas between two readings.
    fn view(moved: &[(&str, u64)]) -> CounterView {
        let names = [
            "outProcessDone",
            "inProcessDone",
            "inDropUnknownSpi",
            "outDropNoSa",
        ];
        let before: Vec<Counter> = names.iter().map(|n| c(n, 100)).collect();
        let after: Vec<Counter> = names
            .iter()
            .map(|n| {
                let d = moved
                    .iter()
                    .find(|(m, _)| m == n)
                    .map(|(_, d)| *d)
                    .unwrap_or(0);
                c(n, 100 + d)
            })
            .collect();
        view_from_readings(&before, &after, Duration::from_secs(10))
    }

    #[test]
    fn paths() {
        let snap = Snapshot::default();
        let ping = PingTally {
            sent: 10,
            replied: 10,
            ..Default::default()
        };
        let no_reply = PingTally {
            sent: 10,
            ..Default::default()
        };
        type Case<'a> = (
            &'a [(&'a str, u64)],
            &'a [(&'a str, u64)],
            Option<&'a PingTally>,
            bool,
            PathOutcome,
            &'a str,
        );
        let cases: Vec<Case> = vec![
            (
                &[("outProcessDone", 10), ("inProcessDone", 10)],
                &[("outProcessDone", 10), ("inProcessDone", 10)],
                Some(&ping),
                false,
                PathOutcome::BothWays,
                "Peer1 outProcessDone +10 → Peer2 inProcessDone +10 → Peer2 outProcessDone +10 → Peer1 inProcessDone +10: both ways",
            ),
            (
                &[("outProcessDone", 10)],
                &[("inDropUnknownSpi", 10)],
                Some(&no_reply),
                false,
                PathOutcome::Stopped,
                "Peer1 outProcessDone +10 → Peer2 inProcessDone +0: stops before Peer2; Peer2 inDropUnknownSpi +10: Peer2 does not know the SPI Peer1 sends with",
            ),
            (
                // Pinged from Peer2's side.
                &[("inProcessDone", 4)],
                &[("outProcessDone", 4), ("outDropNoSa", 0)],
                None,
                false,
                PathOutcome::OneWay,
                "Peer2 outProcessDone +4 → Peer1 inProcessDone +4 → Peer1 outProcessDone +0: one way only, no answer comes back",
            ),
            (
                &[("outDropNoSa", 10)],
                &[],
                Some(&no_reply),
                false,
                PathOutcome::NoTraffic,
                "Peer1 outProcessDone +0: the ping sent 10 but no packet went into the tunnel (not encrypted, or no SA); Peer1 outDropNoSa +10: Peer1 has no IPsec SA to send with",
            ),
            (
                &[("outProcessDone", 10)],
                &[],
                Some(&ping),
                true,
                PathOutcome::Unknown,
                "Peer1 outProcessDone +10 → Peer2 inbound ?: Peer2's counters were not read twice",
            ),
        ];
        for (i, (da, db, p, b_unread, outcome, want)) in cases.into_iter().enumerate() {
            let (va, vb) = (view(da), view(db));
            let a = End {
                name: "Peer1",
                snapshot: &snap,
                counters: Some(&va),
                ping: p,
            };
            let b = End {
                name: "Peer2",
                snapshot: &snap,
                counters: (!b_unread).then_some(&vb),
                ping: None,
            };
            let got = packet_path(&a, &b).expect("read twice");
            assert_eq!(got.outcome, outcome, "case {i}");
            assert_eq!(got.text, want, "case {i}");
        }
    }

    #[test]
    fn no_path_from_one_reading() {
        let snap = Snapshot::default();
        let mut v = CounterView::new();
        v.update(Duration::ZERO, &[c("outProcessDone", 1)]);
        let a = End {
            name: "Peer1",
            snapshot: &snap,
            counters: Some(&v),
            ping: None,
        };
        let b = End::new("Peer2", &snap);
        assert!(packet_path(&a, &b).is_none());
    }
}
