//! Reports of both ends of a tunnel (`snapshot A B`, `diagnose A B`, `analyze ... --other ...`):
//! each end's report with its router's name, the two compared (`crate::tunnel`), and one list of
//! findings for the whole tunnel, each naming its end, most important first.

use super::{json, report, Analysis};
use crate::doctor::tunnel::EndFinding;
use crate::doctor::Finding;
use crate::model::Dialect;
use crate::model::{DebugEvent, Exchange};
use crate::tunnel::ladder::{Ladder, LadderEnd, Pick};
use crate::tunnel::Tunnel;
use serde_json::Value;

/// One list of findings: the tunnel's first, then each end's, errors before warnings before
/// information (within a severity, the first end's before the second's).
pub fn findings_json(tunnel: &[EndFinding], ends: &[(&str, &[Finding])]) -> Vec<Value> {
    let mut out: Vec<Value> = tunnel
        .iter()
        .map(|f| serde_json::to_value(f).unwrap_or_default())
        .collect();
    let mut per_end = Vec::new();
    for (name, list) in ends {
        for f in list.iter() {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("end".into(), serde_json::json!(name));
            }
            per_end.push((f.severity, v));
        }
    }
    per_end.sort_by_key(|(s, _)| std::cmp::Reverse(*s));
    out.extend(per_end.into_iter().map(|(_, v)| v));
    out
}

/// The JSON of two ends: `ends` (each end's report, with `router`), `tunnel`, `findings`.
pub fn combined_json(
    ends: Vec<(String, Value, &[Finding])>,
    tunnel: &Tunnel,
    tunnel_findings: &[EndFinding],
) -> Value {
    let lists: Vec<(&str, &[Finding])> = ends.iter().map(|(n, _, f)| (n.as_str(), *f)).collect();
    let findings = findings_json(tunnel_findings, &lists);
    let reports: Vec<Value> = ends
        .into_iter()
        .map(|(name, mut v, _)| {
            if let Some(o) = v.as_object_mut() {
                o.insert("router".into(), serde_json::json!(name));
            }
            v
        })
        .collect();
    serde_json::json!({ "ends": reports, "tunnel": tunnel, "findings": findings })
}

/// The tunnel's lines of a text report: its summary, its findings, unpaired SAs, the path.
pub fn tunnel_text(t: &Tunnel, findings: &[EndFinding]) -> String {
    let mut s = format!("Tunnel: {}\n", t.summary());
    for f in findings {
        s.push_str(&format!(
            "  {} {} ({}): {}\n    {}\n",
            f.finding.severity, f.finding.code, f.end, f.finding.summary, f.finding.advice
        ));
    }
    for p in t.ipsec_pairs.iter().filter(|p| !p.paired) {
        if let Some(n) = &p.note {
            s.push_str(&format!("  unpaired: {n}\n"));
        }
    }
    let mismatches: Vec<_> = t.config_check.iter().filter(|r| !r.matches).collect();
    if !mismatches.is_empty() {
        s.push_str("  configuration that does not match:\n");
        for r in mismatches {
            s.push_str(&format!(
                "    {}: {} | {}\n",
                r.field,
                r.a.as_deref().unwrap_or("not set"),
                r.b.as_deref().unwrap_or("not set")
            ));
        }
    }
    if let Some(path) = &t.packet_path {
        s.push_str(&format!("  packet path: {}\n", path.text));
    }
    s.push('\n');
    s
}

/// Two ends read from text (`snapshot A B`, `analyze --other`), compared.
pub struct TwoEnds<'a> {
    pub ends: [(&'a Analysis, String); 2],
    pub tunnel: Tunnel,
    pub findings: Vec<EndFinding>,
}

/// Compare two ends' analyses.
pub fn two_ends<'a>(a: [&'a Analysis; 2], names: [&str; 2], d: &dyn Dialect) -> TwoEnds<'a> {
    two_ends_with(a, names, d, crate::tunnel::Options::default())
}

/// Compare two ends' analyses, with what was learnt besides (the keys compared).
pub fn two_ends_with<'a>(
    a: [&'a Analysis; 2],
    names: [&str; 2],
    d: &dyn Dialect,
    opts: crate::tunnel::Options,
) -> TwoEnds<'a> {
    let ea = crate::tunnel::End::new(names[0], &a[0].state.snapshot);
    let eb = crate::tunnel::End::new(names[1], &a[1].state.snapshot);
    let tunnel = crate::tunnel::examine_with(&ea, &eb, opts);
    let findings = crate::doctor::tunnel::findings(&tunnel, d);
    TwoEnds {
        ends: [(a[0], names[0].to_string()), (a[1], names[1].to_string())],
        tunnel,
        findings,
    }
}

impl TwoEnds<'_> {
    pub fn json(&self) -> Value {
        let ends = self
            .ends
            .iter()
            .map(|(a, n)| (n.clone(), json::to_value(a), a.findings.as_slice()))
            .collect();
        combined_json(ends, &self.tunnel, &self.findings)
    }

    pub fn text(&self) -> String {
        let mut s = tunnel_text(&self.tunnel, &self.findings);
        for (a, n) in &self.ends {
            s.push_str(&format!("==== {n} ====\n"));
            s.push_str(&report::render(a));
        }
        s
    }

    /// True when a finding of severity error was made at either end or of the tunnel.
    pub fn has_error(&self) -> bool {
        use crate::doctor::Severity;
        self.findings
            .iter()
            .any(|f| f.finding.severity == Severity::Error)
            || self
                .ends
                .iter()
                .any(|(a, _)| a.findings.iter().any(|f| f.severity == Severity::Error))
    }
}

/// One end's debug events (with their arrival time where known) and exchanges, for a ladder.
pub struct LadderInput<'a> {
    pub name: &'a str,
    pub events: Vec<(Option<jiff::civil::Time>, &'a DebugEvent)>,
    pub exchanges: &'a [Exchange],
}

impl<'a> LadderInput<'a> {
    /// An end read from text: the events kept (`keep_events`), else the failures at least.
    pub fn of_analysis(name: &'a str, a: &'a Analysis) -> Self {
        let d = &a.state.debug;
        let list = if d.events.is_empty() {
            &d.failure_events
        } else {
            &d.events
        };
        LadderInput {
            name,
            events: list.iter().map(|e| (None, e)).collect(),
            exchanges: &a.state.snapshot.exchanges,
        }
    }
}

/// The ladder of the latest failed exchange (else the latest) between one or two ends.
pub fn ladder(ends: &[LadderInput]) -> Option<Ladder> {
    fn end<'a>(x: &LadderInput<'a>) -> LadderEnd<'a> {
        LadderEnd {
            name: x.name,
            events: x.events.clone(),
            exchanges: x.exchanges,
        }
    }
    let a = end(ends.first()?);
    let b = ends.get(1).map(end);
    crate::tunnel::ladder::ladder(&a, b.as_ref(), Pick::LatestFailed)
}
