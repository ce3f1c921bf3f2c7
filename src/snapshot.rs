//! `tunnelscope snapshot`: connect, log in, read the poll set once plus the configuration,
//! and return the same analysis `analyze` makes of the same text. The session's quit turns
//! off debug it turned on and logs off where it logged in, so the console is left as found,
//! also when SIGTERM, SIGINT, SIGQUIT or SIGHUP stops it half-way.

use crate::alliedware::commands::Display;
use crate::alliedware::debug::Classifier;
use crate::analyze::{Analysis, Options, State};
use crate::console::session::{self, Event, LoginState, Request, SessionConfig};
use crate::console::transcript::Item;
use crate::live::signals::Stops;
use crate::live::{QUIT_SILENCE, QUIT_WAIT};
use crate::model::{Cmd, Dialect};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Why a snapshot gave no analysis.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{0}")]
    Failed(String),
    /// Stopped by this signal (its number), after the session's way out (debug off, logoff).
    #[error("stopped by signal {0}")]
    Signal(i32),
}

impl SnapshotError {
    /// The process exit status: 2 after a failure, 128 + the signal's number after a signal
    /// (as a shell reports a process ended by it).
    pub fn exit_status(&self) -> u8 {
        match self {
            SnapshotError::Failed(_) => 2,
            SnapshotError::Signal(n) => u8::try_from(128 + n).unwrap_or(255),
        }
    }
}

/// The commands of one snapshot, before the counters (which need the configuration): the poll
/// set, the interfaces and the configuration.
pub fn commands(d: &dyn Dialect) -> Vec<String> {
    let mut v: Vec<String> = d.poll_set().into_iter().collect();
    v.push(d.command(&Cmd::ShowInterfaces));
    v.push(d.command(&Cmd::ShowConfig));
    v
}

/// Snapshots of one router, or of both ends of a tunnel at once. Simulated routers of one
/// scenario are the two peers of one simulated network, so their SAs are each other's.
pub async fn snapshot_all(
    cfgs: Vec<SessionConfig>,
    timeout: Duration,
    compare_keys: bool,
) -> Result<Vec<Snap>, SnapshotError> {
    use crate::sim::serve::SharedNet;
    let mut nets: std::collections::HashMap<String, SharedNet> = Default::default();
    let mut runs = Vec::new();
    for cfg in cfgs {
        let net = match &cfg.target {
            crate::link::Target::Sim { scenario, peer } => {
                scenario.parse::<crate::sim::Scenario>().ok().map(|s| {
                    let n = nets
                        .entry(s.name().to_string())
                        .or_insert_with(|| SharedNet::new(s))
                        .clone();
                    (n, *peer)
                })
            }
            _ => None,
        };
        runs.push(tokio::spawn(snapshot_on(cfg, timeout, net, compare_keys)));
    }
    let mut out = Vec::new();
    for r in runs {
        out.push(
            r.await
                .map_err(|e| SnapshotError::Failed(format!("the snapshot failed: {e}")))??,
        );
    }
    Ok(out)
}

/// Run a snapshot. `timeout` bounds the whole run.
pub async fn snapshot(cfg: SessionConfig, timeout: Duration) -> Result<Analysis, SnapshotError> {
    snapshot_on(cfg, timeout, None, false)
        .await
        .map(|s| s.analysis)
}

/// Run a snapshot, on the given simulated network's peer when `net` is set.
async fn snapshot_on(
    mut cfg: SessionConfig,
    timeout: Duration,
    net: Option<(crate::sim::serve::SharedNet, u8)>,
    compare_keys: bool,
) -> Result<Snap, SnapshotError> {
    let mut stops =
        Stops::new().map_err(|e| SnapshotError::Failed(format!("cannot handle signals: {e}")))?;
    cfg.poll.enabled = false;
    let cfg_rules: &'static Classifier = cfg.rules;
    cfg.reconnect = false;
    let user = cfg.user.clone();
    let dialect = cfg.dialect;
    let (req_tx, req_rx) = mpsc::channel(64);
    let (ev_tx, mut ev_rx) = mpsc::channel(1024);
    let task = match net {
        Some((n, peer)) => tokio::spawn(session::run_with(cfg, req_rx, ev_tx, move || {
            std::future::ready(Ok(crate::link::sim::open_sim_on(
                &n,
                peer,
                crate::sim::Start::Login,
                crate::sim::ConsoleConfig::default(),
            )))
        })),
        None => tokio::spawn(session::run(cfg, req_rx, ev_tx)),
    };
    let mut state = State::default();
    let classifier = cfg_rules;
    let opts = Options {
        keep_events: true,
        exchanges: true,
    };
    let mut sent = false;
    let mut counters_sent = false;
    // The key displays asked for (canonical), and the fingerprints of their values.
    let mut key_cmds: Vec<String> = Vec::new();
    let mut keys: Vec<Option<[u8; 32]>> = Vec::new();
    // Commands still to send (one goes out when the one before it has its block), and
    // whether the quit went out after the last.
    let mut pending: std::collections::VecDeque<String> = Default::default();
    let mut quit_sent = false;
    let mut error: Option<String> = None;
    let mut bytes = 0u64;
    let mut lines = 0usize;
    // A signal: the number, and when the way out must end.
    let mut stopped: Option<(i32, Instant)> = None;
    // When the router last sent anything: after a signal, one silent for `QUIT_SILENCE` has
    // stopped answering and is not waited for.
    let mut heard = Instant::now();
    let run = async {
        loop {
            // The way out after a signal is bounded, also while the router floods the line.
            if stopped.is_some_and(|(_, end)| Instant::now() >= end) {
                break;
            }
            let ev = tokio::select! {
                ev = ev_rx.recv() => ev,
                n = stops.recv(), if stopped.is_none() => {
                    stopped = Some((n, Instant::now() + QUIT_WAIT));
                    heard = Instant::now();
                    let _ = req_tx.send(Request::Quit).await;
                    continue;
                }
                _ = tokio::time::sleep(Duration::from_millis(100)), if stopped.is_some() => {
                    if heard.elapsed() >= QUIT_SILENCE {
                        break;
                    }
                    continue;
                }
            };
            let Some(ev) = ev else { break };
            match ev {
                Event::Status(s) => {
                    if s.login == LoginState::LoggedIn && !sent && stopped.is_none() {
                        sent = true;
                        pending.extend(commands(dialect));
                        if let Some(c) = pending.pop_front() {
                            let _ = req_tx.send(Request::Command(c)).await;
                        }
                    }
                    if s.login == LoginState::NeedsUser {
                        error = Some("the router asks for a login: give --user (and the password in TUNNELSCOPE_PASSWORD)".into());
                        let _ = req_tx.send(Request::Quit).await;
                    }
                    if s.login == LoginState::NeedsPassword {
                        error = Some(format!(
                            "the router asks for the password{}: set TUNNELSCOPE_PASSWORD (or run on a terminal to be asked)",
                            user.as_deref().map(|u| format!(" of {u}")).unwrap_or_default()
                        ));
                        let _ = req_tx.send(Request::Quit).await;
                    }
                }
                Event::Item(item, _) => {
                    let block = matches!(&item, Item::Block(_));
                    let config_done =
                        matches!(&item, Item::Block(b) if b.command.display == Display::Config);
                    // A key display is hashed here and goes no further (never into the state
                    // or the report).
                    let key_reply = match &item {
                        Item::Block(b) => key_cmds.iter().position(|c| *c == b.command.canonical),
                        _ => None,
                    };
                    match (key_reply, &item) {
                        (Some(at), Item::Block(b)) => {
                            key_cmds.remove(at);
                            let lines: Vec<&str> =
                                b.lines.iter().map(|l| l.text.as_str()).collect();
                            keys.push(dialect.key_fingerprint(&lines));
                        }
                        _ => {
                            state.apply(item, classifier, opts, None);
                        }
                    }
                    if config_done && !counters_sent {
                        counters_sent = true;
                        if compare_keys {
                            let cmds =
                                crate::alliedware::keys::commands(&state.snapshot.config, dialect);
                            key_cmds = cmds.iter().map(|c| dialect.canonical(c)).collect();
                            pending.extend(cmds);
                        }
                        // The counters of every encrypting policy (action=ipsec), as the Note says.
                        let names = state.snapshot.config.encrypting_policies();
                        pending.extend(
                            names
                                .iter()
                                .map(|n| dialect.command(&Cmd::PolicyCounters(n))),
                        );
                    }
                    // One command at a time: a signal then waits for the one in flight only
                    // before the logoff, not for the whole list.
                    if block && stopped.is_none() && !quit_sent {
                        match pending.pop_front() {
                            Some(c) => {
                                let _ = req_tx.send(Request::Command(c)).await;
                            }
                            None if counters_sent => {
                                quit_sent = true;
                                let _ = req_tx.send(Request::Quit).await;
                            }
                            None => {}
                        }
                    }
                }
                Event::Bytes(b) => {
                    heard = Instant::now();
                    bytes += b.len() as u64;
                    // The report's header counts the lines the router sent.
                    lines += b.iter().filter(|&&c| c == b'\n').count();
                }
                Event::Error(e) => error = Some(e),
                Event::Ended => break,
                Event::Mark(m) => {
                    if error.is_none() && m.contains("lost") {
                        error = Some(m);
                    }
                }
                Event::Measure { .. }
                | Event::Sent { .. }
                | Event::Clock(_)
                | Event::Lines { .. } => {}
            }
        }
    };
    let timed_out = tokio::time::timeout(timeout, run).await.is_err();
    if let Some((n, _)) = stopped {
        task.abort();
        return Err(SnapshotError::Signal(n));
    }
    if timed_out {
        task.abort();
        return Err(SnapshotError::Failed(format!(
            "no complete answer within {} s (is the router at its prompt? is the baud rate right?)",
            timeout.as_secs()
        )));
    }
    let _ = task.await;
    if !counters_sent {
        return Err(SnapshotError::Failed(error.unwrap_or_else(|| {
            "the session ended before the snapshot was complete".into()
        })));
    }
    let findings = state.findings(false);
    Ok(Snap {
        analysis: Analysis {
            state,
            findings,
            files: Vec::new(),
            bytes,
            lines,
        },
        keys,
    })
}

/// One router's snapshot: the analysis, and the fingerprints of the pre-shared keys its
/// ISAKMP policies name (only with a key comparison; `None` where a reply showed no value).
pub struct Snap {
    pub analysis: Analysis,
    pub keys: Vec<Option<[u8; 32]>>,
}

/// Whether two ends' keys are the same, from their fingerprints: `None` when one could not be
/// read.
pub fn keys_same(a: &[Option<[u8; 32]>], b: &[Option<[u8; 32]>]) -> Option<bool> {
    let set = |v: &[Option<[u8; 32]>]| -> Option<Vec<[u8; 32]>> {
        let mut out: Vec<[u8; 32]> = v.iter().copied().collect::<Option<Vec<_>>>()?;
        out.sort();
        out.dedup();
        (!out.is_empty()).then_some(out)
    };
    Some(set(a)? == set(b)?)
}
