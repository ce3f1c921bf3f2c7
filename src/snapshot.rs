//! `tunnelscope snapshot`: connect, log in, read the poll set once plus the configuration,
//! and return the same analysis `analyze` makes of the same text. The session's quit turns
//! off debug it turned on and logs off where it logged in, so the console is left as found.

use crate::alliedware::commands::Display;
use crate::alliedware::debug::Classifier;
use crate::analyze::{Analysis, Options, State};
use crate::console::session::{self, counters_command, Event, LoginState, Request, SessionConfig};
use crate::console::transcript::Item;
use std::time::Duration;
use tokio::sync::mpsc;

/// The commands of one snapshot, before the counters (which need the configuration).
pub const COMMANDS: [&str; 5] = [
    "show isakmp sa",
    "show isakmp exchange",
    "show ipsec sa",
    "show ip interface",
    "show config dynamic",
];

/// Run a snapshot. `timeout` bounds the whole run.
pub async fn snapshot(mut cfg: SessionConfig, timeout: Duration) -> Result<Analysis, String> {
    cfg.poll.enabled = false;
    cfg.reconnect = false;
    let user = cfg.user.clone();
    let (req_tx, req_rx) = mpsc::channel(64);
    let (ev_tx, mut ev_rx) = mpsc::channel(1024);
    let task = tokio::spawn(session::run(cfg, req_rx, ev_tx));
    let mut state = State::default();
    let classifier = Classifier::builtin();
    let opts = Options {
        keep_events: true,
        exchanges: true,
    };
    let mut sent = false;
    let mut counters_sent = false;
    let mut error: Option<String> = None;
    let mut bytes = 0u64;
    let mut lines = 0usize;
    let run = async {
        while let Some(ev) = ev_rx.recv().await {
            match ev {
                Event::Status(s) => {
                    if s.login == LoginState::LoggedIn && !sent {
                        sent = true;
                        for c in COMMANDS {
                            let _ = req_tx.send(Request::Command(c.to_string())).await;
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
                    let config_done =
                        matches!(&item, Item::Block(b) if b.command.display == Display::Config);
                    state.apply(item, classifier, opts, None);
                    if config_done && !counters_sent {
                        counters_sent = true;
                        // The counters of every encrypting policy (action=ipsec), as the Note says.
                        let names = state.snapshot.config.encrypting_policies();
                        for n in names {
                            let _ = req_tx.send(Request::Command(counters_command(&n))).await;
                        }
                        let _ = req_tx.send(Request::Quit).await;
                    }
                }
                Event::Bytes(b) => {
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
                Event::Measure { .. } | Event::Sent { .. } | Event::Clock(_) => {}
            }
        }
    };
    if tokio::time::timeout(timeout, run).await.is_err() {
        task.abort();
        return Err(format!(
            "no complete answer within {} s (is the router at its prompt? is the baud rate right?)",
            timeout.as_secs()
        ));
    }
    let _ = task.await;
    if !counters_sent {
        return Err(
            error.unwrap_or_else(|| "the session ended before the snapshot was complete".into())
        );
    }
    let findings = state.findings(false);
    Ok(Analysis {
        state,
        findings,
        files: Vec::new(),
        bytes,
        lines,
    })
}
