//! What the live room is opened on, and starting it: a session per router over its link target
//! (one router, or the two ends of a tunnel), the demo's two simulated peers (opened through
//! `link::sim`), or captures played back (one per router, aligned on their start times).

use crate::alliedware::debug::Classifier;
use crate::console::session::{self, Event, Request, SessionConfig};
use crate::link::{Link, LinkError, Target};
use crate::sim::serve::SharedNet;
use crate::sim::{ConsoleConfig, Scenario, Start};
use std::collections::HashMap;
use std::path::PathBuf;
use tokio::sync::mpsc;

pub use super::replay::Pace;

/// What the live room is opened on.
pub enum Source {
    /// Live routers: one, or the two ends of a tunnel.
    Links(Vec<SessionConfig>),
    /// The two simulated peers, in process.
    Demo(Scenario),
    /// Captures played back, one per router.
    Replay(Vec<PathBuf>, Pace),
}

impl Source {
    /// One live router.
    pub fn link(cfg: SessionConfig) -> Source {
        Source::Links(vec![cfg])
    }

    /// The routers' labels: the simulated peers by their names (`Peer1`), a live router by its
    /// target, a replay by its file.
    pub fn labels(&self) -> Vec<String> {
        match self {
            // A capture's router name (its header), else the file's name: never a long path.
            Source::Replay(paths, _) => paths
                .iter()
                .map(|p| {
                    crate::capture::read::open(p)
                        .ok()
                        .and_then(|(h, _)| h.router)
                        .unwrap_or_else(|| {
                            p.file_stem()
                                .map(|s| s.to_string_lossy().into_owned())
                                .unwrap_or_else(|| p.display().to_string())
                        })
                })
                .collect(),
            Source::Links(cfgs) => cfgs
                .iter()
                .map(|c| match &c.target {
                    // Two ends of one simulated network are its peers.
                    Target::Sim { peer, .. } if cfgs.len() > 1 => format!("Peer{peer}"),
                    t => t.to_string(),
                })
                .collect(),
            Source::Demo(_) => vec!["Peer1".into(), "Peer2".into()],
        }
    }

    /// What a capture's header says router `i`'s link was.
    pub fn link_name(&self, i: usize, label: &str) -> String {
        match self {
            Source::Links(cfgs) => cfgs
                .get(i)
                .map(|c| c.target.to_string())
                .unwrap_or_default(),
            _ => format!("demo {label}"),
        }
    }
}

/// The sessions a source started: one request channel per router, and the simulated network
/// of a demo (or of `sim:` targets).
pub struct Started {
    pub requests: Vec<mpsc::Sender<Request>>,
    pub net: Option<SharedNet>,
    /// Per router, the simulated peer it is (0: Peer1, 1: Peer2), for the LAN PC's ping.
    pub sim_peers: Vec<usize>,
}

/// The demo's session of one simulated peer.
fn demo_config(
    s: Scenario,
    peer: u8,
    rules: &'static Classifier,
    dialect: &'static dyn crate::model::Dialect,
) -> SessionConfig {
    SessionConfig {
        target: Target::Sim {
            scenario: s.name().into(),
            peer,
        },
        link: Default::default(),
        user: Some("secoff".into()),
        password: Some(crate::link::Secret::new("secoff")),
        prompt: Default::default(),
        poll: Default::default(),
        reconnect: true,
        dialect,
        rules,
    }
}

/// Start the sessions for a source; their events come tagged with the router's index. A
/// replay has no session (its tasks send the events): its request channels go nowhere.
pub fn start(
    source: &Source,
    rules: &'static Classifier,
    dialect: &'static dyn crate::model::Dialect,
    events: &mpsc::Sender<(usize, Event)>,
) -> Started {
    let mut requests = Vec::new();
    let mut net = None;
    let cfgs: Vec<(SessionConfig, Option<(SharedNet, u8)>)> = match source {
        Source::Replay(paths, _) => {
            return Started {
                requests: paths.iter().map(|_| mpsc::channel(64).0).collect(),
                net: None,
                sim_peers: vec![0; paths.len()],
            };
        }
        // Simulated routers of one scenario are the peers of one network (`sim:S sim:S/2`),
        // so the two ends negotiate with each other; its LAN PCs ping across.
        Source::Links(list) => {
            let mut nets: HashMap<String, SharedNet> = HashMap::new();
            list.iter()
                .map(|cfg| match &cfg.target {
                    Target::Sim { scenario, peer } => match scenario.parse::<Scenario>() {
                        Ok(s) => {
                            let n = nets
                                .entry(s.name().to_string())
                                .or_insert_with(|| SharedNet::new(s))
                                .clone();
                            net.get_or_insert_with(|| n.clone());
                            (cfg.clone(), Some((n, *peer)))
                        }
                        Err(_) => (cfg.clone(), None),
                    },
                    _ => (cfg.clone(), None),
                })
                .collect()
        }
        Source::Demo(s) => {
            let n = SharedNet::new(*s);
            net = Some(n.clone());
            (1..=2u8)
                .map(|peer| {
                    (
                        demo_config(*s, peer, rules, dialect),
                        Some((n.clone(), peer)),
                    )
                })
                .collect()
        }
    };
    let mut sim_peers = Vec::new();
    for (i, (cfg, sim)) in cfgs.into_iter().enumerate() {
        sim_peers.push(
            sim.as_ref()
                .map_or(0, |(_, p)| usize::from(p.saturating_sub(1))),
        );
        let (req_tx, req_rx) = mpsc::channel(256);
        let (ev_tx, mut ev_rx) = mpsc::channel(1024);
        requests.push(req_tx);
        let out = events.clone();
        tokio::spawn(async move {
            while let Some(e) = ev_rx.recv().await {
                if out.send((i, e)).await.is_err() {
                    return;
                }
            }
        });
        match sim {
            Some((n, peer)) => {
                tokio::spawn(session::run_with(cfg, req_rx, ev_tx, move || {
                    let l: Result<Link, LinkError> = Ok(crate::link::sim::open_sim_on(
                        &n,
                        peer,
                        Start::Login,
                        ConsoleConfig::default(),
                    ));
                    std::future::ready(l)
                }));
            }
            None => {
                tokio::spawn(session::run(cfg, req_rx, ev_tx));
            }
        }
    }
    Started {
        requests,
        net,
        sim_peers,
    }
}
