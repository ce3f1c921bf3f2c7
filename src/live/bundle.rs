//! The evidence bundle from the live room's state: what was read of one router, as files for
//! the vendor. `tunnelscope bundle CAPTURE` replays the capture into a room and writes it.

use super::{Live, Options, RouterState};
use crate::analyze::{json, report, Analysis};
use crate::capture::bundle::{self, Entry};
use std::path::{Path, PathBuf};

/// The files of a router's evidence: tables and findings as JSON, counters with their
/// verdict, pings, and a short summary.
pub fn entries(live: &Live, i: usize) -> Vec<Entry> {
    let Some(r) = live.routers.get(i) else {
        return Vec::new();
    };
    entries_of(r, live.opts.dialect)
}

/// The files of one router's evidence.
pub fn entries_of(r: &RouterState, dialect: &dyn crate::model::Dialect) -> Vec<Entry> {
    let analysis = Analysis {
        state: r.state.clone(),
        findings: r.findings.clone(),
        files: vec![r.label.clone()],
        bytes: r.bytes_in,
        lines: usize::try_from(r.lines_in).unwrap_or(usize::MAX),
    };
    let snapshot = serde_json::to_vec_pretty(&json::to_value(&analysis)).unwrap_or_default();
    let findings = serde_json::to_vec_pretty(&r.findings).unwrap_or_default();
    let view = &r.counters;
    let ping = &r.ping;
    let verdict = crate::doctor::counter_verdict(view, Some(&ping.tally()), dialect);
    let counters = serde_json::json!({
        "policy": r.chosen_policy(),
        "since_baseline_secs": view.since_baseline().map(|d| d.as_secs()),
        "counters": view.rows().iter().map(|c| serde_json::json!({
            "section": c.section, "name": c.name, "value": c.value,
            "baseline": c.baseline, "delta": c.delta(), "rate_per_sec": c.rate,
            "error_counter": c.is_error,
        })).collect::<Vec<_>>(),
        "verdict": verdict.lines.iter().map(|l| serde_json::json!({
            "severity": format!("{:?}", l.severity).to_lowercase(), "text": without_key_hints(&l.text),
        })).collect::<Vec<_>>(),
    });
    let pings = serde_json::json!({
        "target": ping.target, "running": ping.running, "sent": ping.sent,
        "replied": ping.replied, "lost": ping.sent.saturating_sub(ping.replied),
        "times_ms": ping.times_ms, "error": ping.error,
    });
    let mut summary = String::new();
    summary.push_str(&format!(
        "tunnelscope evidence for {}\nwritten {}\n",
        r.status
            .as_ref()
            .and_then(|s| s.system_name.clone())
            .unwrap_or_else(|| r.label.clone()),
        crate::capture::iso_now()
    ));
    if let Some(s) = &r.status {
        summary.push_str(&format!("link: {}\n", s.link));
    }
    summary.push_str(&format!(
        "debug lines: {} ({})\ncounters: {}\n\n",
        r.debug.total(),
        plural(r.state.debug.failures as u64, "failure", "failures"),
        without_key_hints(verdict.headline())
    ));
    summary.push_str(&report::render(&analysis));
    let mut v = vec![
        Entry {
            name: "summary.txt".into(),
            data: summary.into_bytes(),
        },
        Entry {
            name: "snapshot.json".into(),
            data: snapshot,
        },
        Entry {
            name: "findings.json".into(),
            data: findings,
        },
        Entry {
            name: "counters.json".into(),
            data: serde_json::to_vec_pretty(&counters).unwrap_or_default(),
        },
        Entry {
            name: "pings.json".into(),
            data: serde_json::to_vec_pretty(&pings).unwrap_or_default(),
        },
    ];
    for f in &r.saved {
        if let Ok(data) = std::fs::read(f) {
            let name = Path::new(f)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            v.push(Entry { name, data });
        }
    }
    v
}

/// `1 line`, `2 lines`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A verdict written for the screen, without its key hints (`start a ping (p)`, `(b sets
/// it)`): a file read away from the screen has no keys.
fn without_key_hints(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(" (") {
        let after = &rest[i + 2..];
        let Some(j) = after.find(')') else { break };
        let inside = &after[..j];
        let key = inside.split_whitespace().next().unwrap_or("");
        let is_hint =
            key.chars().count() == 1 && (inside.len() == key.len() || inside.ends_with("sets it"));
        out.push_str(&rest[..i]);
        if !is_hint {
            out.push_str(&rest[i..i + 2 + j + 1]);
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    out
}

/// Write router `i`'s bundle beside its capture (or in the data directory without one).
pub fn bundle(live: &Live, i: usize) -> std::io::Result<PathBuf> {
    let Some(r) = live.routers.get(i) else {
        return Err(std::io::Error::other("no such router"));
    };
    let capture = r.capture.as_deref();
    let out = match capture {
        Some(c) => bundle::path_for(c),
        None => bundle::path_for(&crate::capture::default_path(&r.label)),
    };
    if let Some(d) = out.parent() {
        crate::fsutil::create_dir_private(d)?;
    }
    bundle::write(&out, capture, &entries(live, i))
}

/// `tunnelscope bundle CAPTURE`: read the capture as a replay would, then write its bundle.
pub async fn bundle_from_capture(capture: &Path, out: Option<&Path>) -> std::io::Result<PathBuf> {
    use crate::console::session::Event;
    use tokio::sync::mpsc;
    if !crate::capture::read::is_capture(capture) {
        return Err(std::io::Error::other(format!(
            "{} is not a tunnelscope capture (it does not start with `{}`)",
            capture.display(),
            crate::capture::MAGIC
        )));
    }
    let (tx, mut rx) = mpsc::channel(4096);
    let (_ctl_tx, ctl_rx) = mpsc::channel(1);
    let (ptx, _prx) = mpsc::channel(64);
    let opts = Options::default();
    let task = tokio::spawn(super::replay::run(
        super::replay::ReplayInput {
            path: capture.to_path_buf(),
            pace: super::replay::Pace::Instant,
            prompt: opts.prompt.clone(),
            rules: opts.rules,
            dialect: opts.dialect,
            router: 0,
            offset_ms: 0,
        },
        tx,
        ctl_rx,
        ptx,
    ));
    let label = capture
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut live = Live::detached(
        vec![RouterState::new(label, super::debuglog::DEFAULT_SCROLLBACK)],
        opts,
    );
    while let Some((_, e)) = rx.recv().await {
        let last = matches!(&e, Event::Mark(m) if m == "end of the capture");
        let at = live.clock();
        let d = live.opts.dialect;
        live.routers[0].on_event(e);
        live.routers[0].refresh_counters(d, at);
        if last {
            break;
        }
    }
    task.await
        .map_err(|e| std::io::Error::other(format!("reading the capture failed: {e}")))?;
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| bundle::path_for(capture));
    bundle::write(&out, Some(capture), &entries(&live, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hints_are_left_out_of_files() {
        assert_eq!(
            without_key_hints("no traffic since the baseline; start a ping (p)"),
            "no traffic since the baseline; start a ping"
        );
        assert_eq!(
            without_key_hints("baseline 0s ago (b sets it)"),
            "baseline 0s ago"
        );
        // Other brackets stay.
        assert_eq!(
            without_key_hints("10 sent (from the router) (x"),
            "10 sent (from the router) (x"
        );
        assert_eq!(plural(1, "failure", "failures"), "1 failure");
    }

    /// The bundle's summary once said "(0 bytes, 0 lines)" whatever the router had sent, and
    /// quoted the screen's key hint "start a ping (p)".
    #[test]
    fn the_summary_counts_what_the_router_sent_and_has_no_key_hints() {
        use crate::console::session::Event;
        let mut view = RouterState::new("Peer1", 1000);
        view.on_event(Event::Bytes(b"SecOff Peer1> show system\r\n".to_vec()));
        view.on_event(Event::Bytes(
            b"line two\r\nline three\r\nSecOff Peer1> ".to_vec(),
        ));
        let e = entries_of(&view, crate::alliedware::dialect::dialect());
        let summary = e
            .iter()
            .find(|x| x.name == "summary.txt")
            .map(|x| String::from_utf8_lossy(&x.data).into_owned())
            .unwrap_or_default();
        assert!(summary.contains("(63 bytes, 3 lines)"), "{summary}");
        assert!(!summary.contains("(p)"), "{summary}");
        assert!(!summary.contains("(0 bytes"), "{summary}");
        assert_eq!(plural(0, "failure", "failures"), "0 failures");
    }
}
