//! The JSON form of an analysis. The keys named in the analyze contract come first and are
//! stable; extra keys (`system_name`, `config`, `interfaces`, `log`, `warnings`, ...) follow.

use super::Analysis;
use crate::model::Phase;
use serde_json::{json, Map, Value};

/// Build the JSON value.
pub fn to_value(a: &Analysis) -> Value {
    let s = &a.state.snapshot;
    let d = &a.state.debug;
    let mut by_phase = Map::new();
    for p in Phase::ALL {
        by_phase.insert(p.as_str().to_string(), json!(d.count(p)));
    }
    let events: &Vec<_> = if d.events.is_empty() && d.lines > 0 {
        // Events were not kept: give at least the failures.
        &d.failure_events
    } else {
        &d.events
    };
    json!({
        "isakmp_sas": s.ike_sas,
        "exchanges": s.exchanges,
        "ipsec_sas": s.ipsec_sas,
        "counters": s.counters,
        "debug": {
            "lines": d.lines,
            "failures": d.failures,
            "by_phase": by_phase,
            "events": events,
        },
        "findings": a.findings,
        "system_name": s.system_name,
        "files": a.files,
        "bytes": a.bytes,
        "source_lines": a.lines,
        "blocks": a.state.blocks,
        "interfaces": s.interfaces,
        "config": s.config,
        "log": s.log,
        "details": s.details,
        "warnings": s.raw,
    })
}
