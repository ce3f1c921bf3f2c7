//! How findings quote what they saw: one string per row or line, naming the display and the
//! source line, so an engineer can find the row in the capture or on the screen. Displays are
//! named by the command that shows them, as the router's `Dialect` spells it.

use crate::model::{
    Cmd, Counter, DebugEvent, Dialect, Exchange, IkePolicy, IkeSa, Interface, IpsecPolicy, IpsecSa,
    Limits,
};

/// Debug findings quote at most this many lines; the rest are counted.
pub const MAX_DEBUG_EVIDENCE: usize = 5;

/// Where configuration rows come from: the running configuration or a saved file.
pub const CONFIG: &str = "configuration";

/// `display: none` for a display that was read and had no row for it.
pub fn none_in(d: &dyn Dialect, display: &Cmd, what: &str) -> String {
    at(&d.command(display), 0, what)
}

/// `display, line N: text`, or `display: text` when the line is unknown (0).
pub fn at(display: &str, line: usize, text: &str) -> String {
    if line == 0 {
        format!("{display}: {text}")
    } else {
        format!("{display}, line {line}: {text}")
    }
}

fn limits(l: &Limits) -> String {
    fn part(v: Option<u64>) -> String {
        v.map_or_else(|| "-".to_string(), |n| n.to_string())
    }
    format!("{}/{}/{}", part(l.hard), part(l.soft), part(l.used))
}

pub fn ike_sa(d: &dyn Dialect, sa: &IkeSa) -> String {
    let enc = sa.encryption.as_deref().unwrap_or("-");
    let hash = sa.hash.as_deref().unwrap_or("-");
    let (b, s) = (limits(&sa.bytes), limits(&sa.seconds));
    // The How To Note's unfinished SA prints 0/0/0 twice; say it once.
    let lims = if b == s {
        format!("limits {b}")
    } else {
        format!("bytes {b}, seconds {s}")
    };
    at(
        &d.command(&Cmd::ShowIkeSas),
        sa.line,
        &format!(
            "SA {} to {}, EncA. {enc}, HashA. {hash}, {lims}",
            sa.sa_id, sa.peer
        ),
    )
}

pub fn exchange(d: &dyn Dialect, x: &Exchange) -> String {
    let mut text = format!(
        "exchange {}, phase {}, {}, {}, {}",
        x.id, x.phase, x.state, x.peer, x.kind
    );
    if let Some(secs) = x.in_state_secs {
        text.push_str(&format!(", {secs} s in this state"));
    }
    at(&d.command(&Cmd::ShowExchanges), x.line, &text)
}

pub fn ipsec_sa(d: &dyn Dialect, sa: &IpsecSa) -> String {
    let bundle = sa.bundle.map_or_else(|| "-".to_string(), |b| b.to_string());
    at(
        &d.command(&Cmd::ShowIpsecSas),
        sa.line,
        &format!(
            "SA {}, policy \"{}\", bundle {bundle}, {}, {}",
            sa.sa_id, sa.policy, sa.state, sa.protocol
        ),
    )
}

pub fn interface(d: &dyn Dialect, i: &Interface) -> String {
    let addr = i.address.as_deref().unwrap_or("Not set");
    let mask = i.mask.as_deref().unwrap_or("Not set");
    at(
        &d.command(&Cmd::ShowInterfaces),
        i.line,
        &format!("{}, IP address {addr}, mask {mask}", i.name),
    )
}

pub fn counter(c: &Counter) -> String {
    let display = if c.command.trim().is_empty() {
        "counters"
    } else {
        c.command.trim()
    };
    at(display, c.line, &format!("{} {}", c.name, c.value))
}

pub fn debug_event(e: &DebugEvent) -> String {
    // With several files read together, line numbers repeat: say whose line it is.
    let from = e
        .file
        .as_deref()
        .map(|f| format!(" of {f}"))
        .unwrap_or_default();
    if e.line == 0 {
        format!("debug{from}: {}", e.text.trim())
    } else {
        format!("debug line {}{from}: {}", e.line, e.text.trim())
    }
}

/// The first `MAX_DEBUG_EVIDENCE` events, then a count of the rest.
pub fn debug_events(events: &[&DebugEvent]) -> Vec<String> {
    let mut out: Vec<String> = events
        .iter()
        .take(MAX_DEBUG_EVIDENCE)
        .map(|e| debug_event(e))
        .collect();
    if events.len() > MAX_DEBUG_EVIDENCE {
        out.push(format!(
            "... and {} more",
            events.len() - MAX_DEBUG_EVIDENCE
        ));
    }
    out
}

/// `key=value` pairs as written, quoting values with spaces the way the CLI needs them.
fn params(list: &[(String, String)], skip: &str) -> String {
    list.iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case(skip))
        .map(|(k, v)| {
            if v.contains(' ') {
                format!("{k}=\"{v}\"")
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn with_params(head: String, list: &[(String, String)], skip: &str) -> String {
    let p = params(list, skip);
    if p.is_empty() {
        head
    } else {
        format!("{head}: {p}")
    }
}

pub fn ike_policy(p: &IkePolicy) -> String {
    at(
        CONFIG,
        p.line,
        &with_params(format!("isakmp policy {}", p.name), &p.params, "policy"),
    )
}

pub fn ipsec_policy(p: &IpsecPolicy) -> String {
    at(
        CONFIG,
        p.line,
        &with_params(format!("ipsec policy \"{}\"", p.name), &p.params, "policy"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Phase;

    fn aw() -> &'static dyn Dialect {
        crate::alliedware::dialect::dialect()
    }

    fn event(line: usize, text: &str) -> DebugEvent {
        DebugEvent {
            file: None,
            time: None,
            line,
            phase: Phase::One,
            failure: true,
            text: text.to_string(),
            exchange: Default::default(),
        }
    }

    #[test]
    fn line_zero_is_omitted() {
        assert_eq!(at("display", 0, "x"), "display: x");
        assert_eq!(at("display", 3, "x"), "display, line 3: x");
        assert_eq!(debug_event(&event(0, " y ")), "debug: y");
    }

    #[test]
    fn unfinished_sa_reads_like_the_note() {
        let zero = Limits {
            hard: Some(0),
            soft: Some(0),
            used: Some(0),
        };
        let sa = IkeSa {
            sa_id: 1,
            peer: "200.200.200.1".into(),
            encryption: None,
            hash: None,
            bytes: zero,
            seconds: zero,
            established: false,
            line: 12,
        };
        assert_eq!(
            ike_sa(aw(), &sa),
            format!(
                "{}, line 12: SA 1 to 200.200.200.1, EncA. -, HashA. -, limits 0/0/0",
                aw().command(&Cmd::ShowIkeSas)
            )
        );
    }

    #[test]
    fn debug_evidence_is_bounded() {
        let events: Vec<DebugEvent> = (1..=8).map(|i| event(i, "retransmit")).collect();
        let refs: Vec<&DebugEvent> = events.iter().collect();
        let out = debug_events(&refs);
        assert_eq!(out.len(), MAX_DEBUG_EVIDENCE + 1);
        assert_eq!(out[0], "debug line 1: retransmit");
        assert_eq!(out[5], "... and 3 more");
    }
}
