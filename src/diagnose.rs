//! `tunnelscope diagnose`: the live room with no screen. Connect and log in, read everything
//! once, turn ISAKMP debug on, set the counter baseline, ping across the tunnel, watch for the
//! given time, turn debug off, log off where it logged in, and report: `analyze`'s report of
//! the final state, the pings and the counter deltas with their verdict.

use crate::analyze::{json, report, Analysis};
use crate::console::session::{LoginState, SessionConfig};
use crate::doctor::Severity;
use crate::live::signals::Stops;
use crate::live::{Action, Live, RouterState, Source};
use std::time::{Duration, Instant};

/// How a diagnosis runs.
pub struct Options {
    /// How long to watch after the first reading and the ping's start.
    pub watch: Duration,
    /// Turn ISAKMP debug on (and off again at the end).
    pub debug: bool,
    /// Two ends: compare their pre-shared keys by fingerprint.
    pub compare_keys: bool,
    /// Draw the ladder of the latest failed exchange (else the latest).
    pub ladder: bool,
    /// A progress line on stderr (when it is a terminal).
    pub progress: bool,
    pub live: crate::live::Options,
}

/// Why a diagnosis could not run.
#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    #[error("{0}")]
    Failed(String),
}

/// One end's result.
pub struct EndOutcome {
    pub analysis: Analysis,
    pub router: RouterState,
}

/// What a diagnosis found: one end, or both ends of a tunnel compared.
pub struct Outcome {
    pub ends: Vec<EndOutcome>,
    /// Both ends compared (two targets).
    pub tunnel: Option<crate::tunnel::Tunnel>,
    pub tunnel_findings: Vec<crate::doctor::tunnel::EndFinding>,
    /// The exchange ladder, when asked for and an exchange was seen.
    pub ladder: Option<crate::tunnel::ladder::Ladder>,
    /// The ladder was asked for.
    pub ladder_wanted: bool,
    /// A signal stopped the watch early (its number).
    pub stopped_by: Option<i32>,
    /// Said about the run (no ping address, a read that never came).
    pub notes: Vec<String>,
    /// The router's CLI (the verdict's advice quotes its commands).
    pub dialect: &'static dyn crate::model::Dialect,
}

/// The longest wait for the login and the first reading of every table.
const FIRST_READ: Duration = Duration::from_secs(90);
/// The longest wait for the last counters reading after the watch.
const LAST_READ: Duration = Duration::from_secs(20);

impl Outcome {
    /// 0 when no finding of severity error remains, 1 when one does; 128 + n after a signal.
    pub fn exit_status(&self) -> u8 {
        if let Some(n) = self.stopped_by {
            return u8::try_from(128 + n).unwrap_or(255);
        }
        let end_error = self.ends.iter().any(|e| {
            e.analysis
                .findings
                .iter()
                .any(|f| f.severity == Severity::Error)
        });
        let tunnel_error = self
            .tunnel_findings
            .iter()
            .any(|f| f.finding.severity == Severity::Error);
        u8::from(end_error || tunnel_error)
    }

    /// One end's report: `analyze --json`'s object plus `pings` and `counter_deltas`.
    fn end_json(&self, e: &EndOutcome) -> serde_json::Value {
        let mut v = json::to_value(&e.analysis);
        if let Some(o) = v.as_object_mut() {
            o.insert("router".into(), serde_json::json!(e.router.label));
            o.insert("pings".into(), self.pings(e));
            o.insert("counter_deltas".into(), self.deltas(e));
        }
        v
    }

    fn pings(&self, e: &EndOutcome) -> serde_json::Value {
        let p = &e.router.ping;
        serde_json::json!({
            "target": p.target, "sent": p.sent, "replied": p.replied,
            "lost": p.sent.saturating_sub(p.replied), "times_ms": p.times_ms, "error": p.error,
        })
    }

    fn deltas(&self, e: &EndOutcome) -> serde_json::Value {
        let view = &e.router.counters;
        let verdict =
            crate::doctor::counter_verdict(view, Some(&e.router.ping.tally()), self.dialect);
        serde_json::json!({
            "policy": e.router.chosen_policy(),
            "since_baseline_secs": view.since_baseline().map(|d| d.as_secs()),
            "counters": view.rows().iter().map(|c| serde_json::json!({
                "section": c.section, "name": c.name, "value": c.value,
                "baseline": c.baseline, "delta": c.delta(), "error_counter": c.is_error,
            })).collect::<Vec<_>>(),
            "verdict": verdict.lines.iter().map(|l| serde_json::json!({
                "severity": format!("{:?}", l.severity).to_lowercase(), "text": l.text,
            })).collect::<Vec<_>>(),
        })
    }

    /// One end: `analyze --json`'s report plus `pings`, `counter_deltas` and `notes`. Two
    /// ends: `ends` (each end's report, with its `router`), `tunnel` (the pairs, the
    /// configuration check, the packet path), one `findings` list for the whole tunnel (each
    /// naming its `end`, most important first: the tunnel's, then each end's), and `notes`.
    pub fn json(&self) -> serde_json::Value {
        if let ([one], None) = (self.ends.as_slice(), &self.tunnel) {
            let mut v = self.end_json(one);
            if let Some(o) = v.as_object_mut() {
                o.remove("router");
                o.insert("notes".into(), serde_json::json!(self.notes));
                if self.ladder_wanted {
                    o.insert("ladder".into(), serde_json::json!(self.ladder));
                }
            }
            return v;
        }
        let Some(t) = &self.tunnel else {
            return serde_json::json!({ "ends": [], "notes": self.notes });
        };
        let ends = self
            .ends
            .iter()
            .map(|e| {
                let mut v = self.end_json(e);
                if let Some(o) = v.as_object_mut() {
                    o.remove("router");
                }
                (e.router.label.clone(), v, e.analysis.findings.as_slice())
            })
            .collect();
        let mut v = crate::analyze::ends::combined_json(ends, t, &self.tunnel_findings);
        if let Some(o) = v.as_object_mut() {
            o.insert("notes".into(), serde_json::json!(self.notes));
            if self.ladder_wanted {
                o.insert("ladder".into(), serde_json::json!(self.ladder));
            }
        }
        v
    }

    /// `analyze`'s text report of each end, then its ping and counter deltas; with two ends,
    /// the tunnel's summary and findings first.
    pub fn text(&self) -> String {
        let mut s = String::new();
        if let Some(t) = &self.tunnel {
            s.push_str(&crate::analyze::ends::tunnel_text(t, &self.tunnel_findings));
        }
        if self.ladder_wanted {
            match &self.ladder {
                Some(l) => {
                    s.push_str("Exchange ladder\n");
                    s.push_str(&l.text());
                    s.push('\n');
                }
                None => s.push_str("Exchange ladder: no exchange seen in the debug stream\n\n"),
            }
        }
        for e in &self.ends {
            if self.ends.len() > 1 {
                s.push_str(&format!("==== {} ====\n", e.router.label));
            }
            s.push_str(&self.end_text(e));
        }
        for n in &self.notes {
            s.push_str(&format!("\nNote: {n}\n"));
        }
        s
    }

    fn end_text(&self, e: &EndOutcome) -> String {
        let mut s = report::render(&e.analysis);
        let p = &e.router.ping;
        s.push_str("\nPing across the tunnel\n");
        if p.sent == 0 && p.target.is_empty() {
            s.push_str("  none sent from here\n");
        } else {
            s.push_str(&format!(
                "  {}: {} sent, {} replies{}\n",
                p.target,
                p.sent,
                p.replied,
                p.error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ));
        }
        let view = &e.router.counters;
        s.push_str(&format!(
            "\nCounter deltas since the baseline{}\n",
            e.router
                .chosen_policy()
                .map(|p| format!(" (policy {p})"))
                .unwrap_or_default()
        ));
        let moved: Vec<_> = view.rows().iter().filter(|c| c.delta() > 0).collect();
        if moved.is_empty() {
            s.push_str("  none moved\n");
        }
        for c in moved {
            s.push_str(&format!("  {:<28} +{}\n", c.name, c.delta()));
        }
        let verdict = crate::doctor::counter_verdict(view, Some(&p.tally()), self.dialect);
        for l in &verdict.lines {
            s.push_str(&format!("  {}\n", l.text));
        }
        s
    }
}

/// Whether the first reading is complete: every table read, the configuration read, and
/// (when there is an encrypting policy) its counters.
fn first_read_done(r: &RouterState) -> bool {
    let tables = ["ike", "ipsec", "exchanges"]
        .iter()
        .all(|t| r.updated.contains_key(t));
    let config = r.config_read;
    let counters = r.chosen_policy().is_none() || r.counters_reads > 0;
    tables && config && counters
}

/// Run the room until `until` says stop, a signal comes, or `deadline` passes. Returns the
/// signal, if one came.
async fn run_until(
    live: &mut Live,
    stops: &mut Stops,
    deadline: Instant,
    progress: Option<&str>,
    mut until: impl FnMut(&Live) -> bool,
) -> Option<i32> {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut shown = Instant::now() - Duration::from_secs(1);
    while !until(live) && Instant::now() < deadline {
        tokio::select! {
            i = live.recv() => match i {
                Some(i) => {
                    live.handle(i);
                }
                None => return None,
            },
            _ = tick.tick() => live.tick(),
            n = stops.recv() => return Some(n),
        }
        if let Some(what) = progress {
            if shown.elapsed() >= Duration::from_secs(1) {
                shown = Instant::now();
                let left = deadline.saturating_duration_since(Instant::now()).as_secs();
                eprint!("\r{what} ({left} s left)   \x1b[K");
            }
        }
    }
    None
}

/// The reason a session gave up, if it did (a wrong password, a link error).
fn failure(r: &RouterState) -> Option<String> {
    let s = r.status.as_ref()?;
    match s.login {
        LoginState::Failed | LoginState::NeedsUser | LoginState::NeedsPassword => {
            Some(r.errors.last().cloned().unwrap_or_else(|| {
                match s.login {
                    LoginState::NeedsUser => "the router asks for a login: give --user (and \
                        the password in TUNNELSCOPE_PASSWORD)"
                        .into(),
                    LoginState::NeedsPassword => "the router asks for the password: set \
                        TUNNELSCOPE_PASSWORD (or run on a terminal to be asked)"
                        .into(),
                    _ => "the login failed".into(),
                }
            }))
        }
        _ => None,
    }
}

/// Whether every router's first reading is complete, or one cannot go on.
fn all_read_or_failed(l: &Live) -> bool {
    l.routers
        .iter()
        .all(|r| first_read_done(r) || failure(r).is_some() || r.ended)
}

/// Diagnose one router, or the two ends of a tunnel (`cfgs` of two): both are read, debug is
/// turned on at both, the ping starts at the first end, and the two are compared.
pub async fn diagnose(cfgs: Vec<SessionConfig>, opts: Options) -> Result<Outcome, DiagnoseError> {
    let mut stops =
        Stops::new().map_err(|e| DiagnoseError::Failed(format!("cannot handle signals: {e}")))?;
    let opts_ladder = opts.ladder;
    let is_sim = cfgs
        .first()
        .is_some_and(|c| matches!(c.target, crate::link::Target::Sim { .. }));
    let labels: Vec<String> = cfgs.iter().map(|c| c.target.to_string()).collect();
    let mut live = Live::open(Source::Links(cfgs), opts.live)
        .map_err(|e| DiagnoseError::Failed(format!("{e:#}")))?;
    let n = live.routers.len();
    let mut notes = Vec::new();
    let show = |w: &'static str| opts.progress.then_some(w);
    // Logged in, and everything read once, at every end.
    let deadline = Instant::now() + FIRST_READ;
    let mut stopped = run_until(
        &mut live,
        &mut stops,
        deadline,
        show("reading the routers"),
        all_read_or_failed,
    )
    .await;
    if stopped.is_none() {
        let not_read = live
            .routers
            .iter()
            .zip(&labels)
            .find(|(r, _)| !first_read_done(r));
        if let Some((r, label)) = not_read {
            let logged_in = r
                .status
                .as_ref()
                .is_some_and(|s| s.login == LoginState::LoggedIn);
            let why = failure(r)
                .or_else(|| r.errors.last().cloned())
                .unwrap_or_else(|| {
                    if logged_in {
                        format!(
                            "{label} did not answer every reading within {} s",
                            FIRST_READ.as_secs()
                        )
                    } else {
                        format!(
                            "no login on {label} within {} s (is the router at its prompt? is \
                             the baud rate right?)",
                            FIRST_READ.as_secs()
                        )
                    }
                });
            live.shutdown().await;
            if opts.progress {
                eprint!("\r\x1b[K");
            }
            return Err(DiagnoseError::Failed(why));
        }
    }
    if stopped.is_none() && opts.compare_keys && n == 2 {
        live.apply(Action::CompareKeys);
        let deadline = Instant::now() + Duration::from_secs(40);
        stopped = run_until(
            &mut live,
            &mut stops,
            deadline,
            show("comparing the keys"),
            |l| l.keys_same.is_some() || !l.reading_keys(),
        )
        .await;
        if live.keys_same.is_none() {
            notes.push(
                "the pre-shared keys could not be compared: a key display gave no value".into(),
            );
        }
    }
    if stopped.is_none() {
        for router in 0..n {
            if opts.debug {
                live.apply(Action::Debug { router, on: true });
            }
            live.apply(Action::Baseline { router });
        }
        let can_ping = is_sim || live.opts.ping_target.is_some() || live.opts.ping_from_router;
        if can_ping {
            live.apply(Action::Ping {
                router: 0,
                start: true,
            });
        } else {
            notes.push(
                "no ping sent: give --ping ADDRESS (a host on the far LAN) or --ping-from-router"
                    .into(),
            );
        }
        let deadline = Instant::now() + opts.watch;
        stopped = run_until(&mut live, &mut stops, deadline, show("watching"), |_| false).await;
    }
    if stopped.is_none() {
        // One more reading of everything, so the report holds the counters after the ping.
        let before: Vec<(u64, u64)> = live
            .routers
            .iter()
            .map(|r| (r.reads, r.counters_reads))
            .collect();
        for router in 0..n {
            live.apply(Action::PollNow { router });
        }
        let deadline = Instant::now() + LAST_READ;
        stopped = run_until(&mut live, &mut stops, deadline, show("last reading"), |l| {
            l.routers
                .iter()
                .zip(&before)
                .all(|(r, (tables, counters))| {
                    r.reads >= tables + 3
                        && (r.chosen_policy().is_none() || r.counters_reads > *counters)
                })
        })
        .await;
    }
    if opts.progress {
        eprint!("\r\x1b[K");
    }
    // Debug off where we turned it on, logoff where we logged in.
    live.shutdown().await;
    for r in &live.routers {
        notes.extend(
            r.errors
                .iter()
                .filter(|e| e.starts_with("no capture"))
                .cloned(),
        );
    }
    let dialect = live.opts.dialect;
    let keys_same = live.keys_same;
    let ends: Vec<EndOutcome> = live
        .routers
        .into_iter()
        .map(|router| {
            let findings = router.state.findings(true);
            let analysis = Analysis {
                state: router.state.clone(),
                findings,
                files: vec![router.label.clone()],
                bytes: router.bytes_in,
                lines: usize::try_from(router.lines_in).unwrap_or(usize::MAX),
            };
            EndOutcome { analysis, router }
        })
        .collect();
    let tunnel = match ends.as_slice() {
        [a, b] => {
            let (pa, pb) = (a.router.ping.tally(), b.router.ping.tally());
            let mut ea = crate::tunnel::End::new(&a.router.label, &a.router.state.snapshot)
                .with_counters(&a.router.counters);
            if pa.sent > 0 {
                ea = ea.with_ping(&pa);
            }
            let mut eb = crate::tunnel::End::new(&b.router.label, &b.router.state.snapshot)
                .with_counters(&b.router.counters);
            if pb.sent > 0 {
                eb = eb.with_ping(&pb);
            }
            Some(crate::tunnel::examine_with(
                &ea,
                &eb,
                crate::tunnel::Options { keys_same },
            ))
        }
        _ => None,
    };
    let tunnel_findings = tunnel
        .as_ref()
        .map(|t| crate::doctor::tunnel::findings(t, dialect))
        .unwrap_or_default();
    let ladder = if opts_ladder {
        let inputs: Vec<crate::analyze::ends::LadderInput> = ends
            .iter()
            .map(|e| crate::analyze::ends::LadderInput {
                name: &e.router.label,
                events: e
                    .router
                    .debug
                    .iter()
                    .filter_map(|s| match &s.entry {
                        crate::live::debuglog::Entry::Line(ev) => Some((Some(s.at), ev)),
                        crate::live::debuglog::Entry::Mark(_) => None,
                    })
                    .collect(),
                exchanges: &e.router.state.snapshot.exchanges,
            })
            .collect();
        crate::analyze::ends::ladder(&inputs)
    } else {
        None
    };
    Ok(Outcome {
        ladder,
        ladder_wanted: opts_ladder,
        ends,
        tunnel,
        tunnel_findings,
        stopped_by: stopped,
        notes,
        dialect,
    })
}
