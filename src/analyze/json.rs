//! The JSON form of an analysis. The keys named in the analyze contract come first and are
//! stable; extra keys (`system_name`, `config`, `interfaces`, `log`, `warnings`, ...) follow.

use super::Analysis;
use crate::model::Phase;
use serde_json::{json, Map, Value};

/// Build the JSON value (with the events the analysis kept).
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

/// Write the JSON while reading: `debug.events` streams out as events arrive, everything
/// else (known only at the end) follows. Memory stays flat however large the capture.
pub struct JsonStream<W: std::io::Write> {
    w: W,
    first: bool,
    failures_only: bool,
    error: Option<std::io::Error>,
}

impl<W: std::io::Write> JsonStream<W> {
    pub fn begin(mut w: W, failures_only: bool) -> std::io::Result<Self> {
        w.write_all(b"{\n  \"debug\": {\n    \"events\": [")?;
        Ok(JsonStream {
            w,
            first: true,
            failures_only,
            error: None,
        })
    }

    /// One event; a write error is kept and reported by `end`.
    pub fn event(&mut self, e: &crate::model::DebugEvent) {
        if self.error.is_some() || (self.failures_only && !e.failure) {
            return;
        }
        let sep: &[u8] = if self.first {
            b"\n      "
        } else {
            b",\n      "
        };
        self.first = false;
        let r = self
            .w
            .write_all(sep)
            .and_then(|_| serde_json::to_writer(&mut self.w, e).map_err(std::io::Error::other));
        if let Err(e) = r {
            self.error = Some(e);
        }
    }

    /// The rest of the object, from the finished analysis.
    pub fn end(mut self, a: &Analysis) -> std::io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let mut v = to_value(a);
        let debug = v
            .as_object_mut()
            .and_then(|o| o.remove("debug"))
            .unwrap_or(Value::Null);
        self.w.write_all(b"\n    ]")?;
        if let Some(d) = debug.as_object() {
            for (k, val) in d.iter().filter(|(k, _)| k.as_str() != "events") {
                write!(
                    self.w,
                    ",\n    {}: {}",
                    serde_json::to_string(k)?,
                    serde_json::to_string(val)?
                )?;
            }
        }
        self.w.write_all(b"\n  }")?;
        if let Some(o) = v.as_object() {
            for (k, val) in o {
                write!(
                    self.w,
                    ",\n  {}: {}",
                    serde_json::to_string(k)?,
                    serde_json::to_string_pretty(val)?.replace('\n', "\n  ")
                )?;
            }
        }
        self.w.write_all(b"\n}\n")?;
        self.w.flush()?;
        Ok(self.w)
    }
}
