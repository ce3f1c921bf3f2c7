//! The ping across the tunnel: this machine's `ping`, the demo's simulated LAN PC, or (read
//! from its command block) the router's own; and what each ping event does to the tally.

use super::router::PingState;
use crate::ping::{spawn_system_ping, PingEvent, PingHandle};
use crate::sim::serve::SharedNet;
use std::time::Duration;
use tokio::sync::mpsc;

/// Pings across the tunnel each time.
pub const COUNT: u32 = 10;

/// Where a ping runs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingFrom {
    /// This machine's `ping`.
    Local,
    /// The simulated PC on the router's LAN (demo).
    SimLan,
    /// The router's own `ping` (its output is read when the command ends).
    Router,
}

/// A running ping, to stop.
pub enum Pinger {
    System(PingHandle),
    Sim(tokio::task::JoinHandle<()>),
}

impl Pinger {
    pub fn stop(&mut self) {
        match self {
            Pinger::System(h) => h.stop(),
            Pinger::Sim(t) => t.abort(),
        }
    }
}

/// This machine's ping, once a second.
pub fn system(target: &str) -> (mpsc::Receiver<PingEvent>, Pinger) {
    let (rx, h) = spawn_system_ping(target, Some(COUNT), Duration::from_secs(1));
    (rx, Pinger::System(h))
}

/// The demo's LAN PC behind `peer`, once a second, as this machine's ping reports.
pub fn sim(net: SharedNet, peer: usize, target: String) -> (mpsc::Receiver<PingEvent>, Pinger) {
    let (tx, rx) = mpsc::channel(64);
    let task = tokio::spawn(async move {
        let _ = tx
            .send(PingEvent::Started {
                command: format!("ping {target} (from the simulated LAN PC)"),
                pid: None,
            })
            .await;
        let mut received = 0;
        for seq in 1..=COUNT {
            let ok = crate::sim::lan_ping::ping_once(&net, peer, &target);
            let ev = if ok {
                received += 1;
                PingEvent::Reply {
                    seq,
                    time_ms: Some(12.0 + f64::from(seq % 5)),
                }
            } else {
                // An unanswered ping waits for its timeout, as a real one does.
                tokio::time::sleep(Duration::from_millis(900)).await;
                PingEvent::Lost { seq, reason: None }
            };
            if tx.send(ev).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(if ok { 1000 } else { 100 })).await;
        }
        let _ = tx
            .send(PingEvent::Summary {
                sent: COUNT,
                received,
            })
            .await;
        let _ = tx
            .send(PingEvent::Finished {
                exit: Some(0),
                stopped: false,
            })
            .await;
    });
    (rx, Pinger::Sim(task))
}

/// Apply a ping event to a tally; `at` is the live room's clock.
pub fn apply(p: &mut PingState, at: Duration, ev: PingEvent) {
    match ev {
        PingEvent::Started { .. } | PingEvent::Summary { .. } => {}
        PingEvent::Reply { time_ms, .. } => {
            p.sent += 1;
            p.replied += 1;
            if let Some(t) = time_ms {
                p.times_ms.push(t);
            }
        }
        PingEvent::Lost { .. } => p.sent += 1,
        PingEvent::Error(e) => p.error = Some(e),
        PingEvent::Finished { .. } => {
            p.running = false;
            p.ended = Some(at);
        }
    }
}
