//! The live room: running routers without drawing them. It starts the sources (link targets,
//! the demo's simulated peers, a replay), keeps a headless `RouterState` per router, writes the
//! captures, collects the support dump, runs the pings, reads the configuration once logged in
//! and chooses the policy whose counters are polled, and carries out `Action`s. The screen and
//! `diagnose` are two views of the same room.

pub mod action;
pub mod bundle;
pub mod capture;
pub mod debuglog;
mod pinger;
pub mod replay;
pub mod router;
pub mod show_debug;
pub mod signals;
pub mod source;

pub use crate::console::session::{LoginState, Status};
pub use action::{Action, ReplayControl};
pub use capture::CaptureChoice;
pub use router::{PingState, Progress, RouterState};
pub use source::{Pace, Source};

use crate::alliedware::debug::Classifier;
use crate::alliedware::prompt::PromptMatcher;
use crate::capture::CaptureWriter;
use crate::console::session::{Event, Request};
use crate::console::transcript::Item;
use crate::model::{Cmd, Dialect};
use crate::ping::PingEvent;
use crate::sim::serve::SharedNet;
use crate::sim::Scenario;
use pinger::{PingFrom, Pinger};
use show_debug::{Collector, Step};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// After a quit, a router that sent nothing back for this long is not waited for any more:
/// it has stopped answering, and the logoff it could not read is not worth the wait.
pub const QUIT_SILENCE: Duration = Duration::from_secs(2);
/// The longest wait for the sessions' way out (debug off, logoff) after a quit.
pub const QUIT_WAIT: Duration = Duration::from_secs(5);

/// How the live room runs.
pub struct Options {
    pub scrollback: usize,
    /// The far end's address pinged across the tunnel.
    pub ping_target: Option<String>,
    /// Ping from the router itself instead of this machine (`connect`).
    pub ping_from_router: bool,
    pub capture: CaptureChoice,
    pub keep_secrets: bool,
    /// The debug classifier: the built-in rules and the user's `--rules`.
    pub rules: &'static Classifier,
    /// The user's `--prompt` (a replay reads prompts with it; sessions carry their own).
    pub prompt: PromptMatcher,
    pub dialect: &'static dyn Dialect,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            scrollback: debuglog::DEFAULT_SCROLLBACK,
            ping_target: None,
            ping_from_router: false,
            capture: CaptureChoice::Off,
            keep_secrets: false,
            rules: Classifier::builtin(),
            prompt: PromptMatcher::default(),
            dialect: crate::alliedware::dialect::dialect(),
        }
    }
}

/// Something the room's tasks sent: the input of one step.
pub enum Input {
    Session(usize, Event),
    Ping(usize, u64, PingEvent),
    ReplayProgress(String),
}

/// One router's I/O beside its state.
struct Io {
    capture: Option<CaptureWriter>,
    /// `show config dynamic` asked after the login.
    config_asked: bool,
    /// The policy whose counters the session polls.
    polled_policy: Option<String>,
    dump: Option<Collector>,
    /// A ping run on the router: the generation and the command line sent.
    router_ping: Option<(u64, String)>,
    /// Keys being read for a comparison: the commands not answered yet, and the fingerprints.
    keys: Option<KeyRead>,
    /// After the key displays were answered, what the router sends is still kept from the
    /// captures and the screen until then (a value arriving late, or wrapped past the prompt).
    withhold_until: Option<Instant>,
}

/// How long after the last key display nothing the router sends is shown or captured.
const KEYS_QUARANTINE: Duration = Duration::from_secs(3);

/// The pre-shared keys of one router being read.
struct KeyRead {
    /// Canonical commands whose reply has not come.
    pending: Vec<String>,
    /// The capture has its mark saying output is withheld.
    marked: bool,
    /// Fingerprints, in the order the replies came (`None`: the reply showed no value).
    prints: Vec<Option<[u8; 32]>>,
    started: Instant,
}

/// The longest wait for the key displays' replies.
const KEYS_WAIT: Duration = Duration::from_secs(30);

pub struct Live {
    pub routers: Vec<RouterState>,
    pub opts: Options,
    /// The demo's scenario, and every scenario with its description.
    pub scenario: Option<String>,
    pub scenarios: Vec<(String, String)>,
    pub replaying: bool,
    /// A replay's speed, pause and position.
    pub replay_status: Option<String>,
    /// What the room has to say (files written, fallbacks taken), with when.
    pub notice: Option<(String, Instant)>,
    /// The pre-shared keys compared: the same at both ends (`true`), or not; `None` before a
    /// comparison or when a key could not be read.
    pub keys_same: Option<bool>,
    /// Both ends compared (two routers), as of the last read.
    pub tunnel: Option<crate::tunnel::Tunnel>,
    pub started: Instant,
    source: Option<Source>,
    ping_from: PingFrom,
    requests: Vec<mpsc::Sender<Request>>,
    sim_peers: Vec<usize>,
    io: Vec<Io>,
    net: Option<SharedNet>,
    events_tx: mpsc::Sender<(usize, Event)>,
    events: mpsc::Receiver<(usize, Event)>,
    ping_tx: mpsc::Sender<(usize, u64, PingEvent)>,
    pings: mpsc::Receiver<(usize, u64, PingEvent)>,
    pinger: Option<(usize, Pinger)>,
    ping_gen: u64,
    replay_tx: Vec<mpsc::Sender<ReplayControl>>,
    replay_progress: Option<mpsc::Receiver<String>>,
    /// A detached room's requests, kept for whoever drives it by hand (`drain_requests`).
    held: Vec<mpsc::Receiver<Request>>,
    /// A reset of every router under way: the routers that have not yet answered the last
    /// command taking them down, and when it began (the bring-up waits at most `RESET_WAIT`).
    resetting: Option<(Vec<bool>, Instant)>,
}

/// The longest wait for every router to be down before all are brought up again.
const RESET_WAIT: Duration = Duration::from_secs(20);

/// How long each capture's replay waits before its first record, so two captures play
/// together as they were recorded (by the start times in their headers; 0 when unknown).
fn replay_offsets(paths: &[std::path::PathBuf]) -> Vec<u64> {
    let starts: Vec<Option<i64>> = paths
        .iter()
        .map(|p| {
            crate::capture::read::open(p)
                .ok()
                .and_then(|(h, _)| h.started)
                .and_then(|t| crate::clock::parse_capture_time(&t))
                .map(|t| t.as_millisecond())
        })
        .collect();
    let first = starts.iter().flatten().min().copied();
    starts
        .iter()
        .map(|s| match (s, first) {
            (Some(s), Some(f)) => u64::try_from(s - f).unwrap_or(0),
            _ => 0,
        })
        .collect()
}

fn io() -> Io {
    Io {
        capture: None,
        config_asked: false,
        polled_policy: None,
        dump: None,
        router_ping: None,
        keys: None,
        withhold_until: None,
    }
}

impl Live {
    /// A room holding routers fed by hand (tests, screen snapshots, the bundle of a capture):
    /// no session, no task.
    pub fn detached(routers: Vec<RouterState>, opts: Options) -> Live {
        let (events_tx, events) = mpsc::channel(16);
        let (ping_tx, pings) = mpsc::channel(16);
        let n = routers.len();
        let (requests, held): (Vec<_>, Vec<_>) = (0..n).map(|_| mpsc::channel(256)).unzip();
        Live {
            routers,
            opts,
            scenario: None,
            scenarios: Vec::new(),
            replaying: false,
            replay_status: None,
            notice: None,
            keys_same: None,
            tunnel: None,
            started: Instant::now(),
            source: None,
            ping_from: PingFrom::Local,
            requests,
            held,
            resetting: None,
            sim_peers: Vec::new(),
            io: (0..n).map(|_| io()).collect(),
            net: None,
            events_tx,
            events,
            ping_tx,
            pings,
            pinger: None,
            ping_gen: 0,
            replay_tx: Vec::new(),
            replay_progress: None,
        }
    }

    /// Open the room on a source: sessions start, captures open (a capture that cannot be
    /// written is said on its router, and the session runs without it).
    pub fn open(source: Source, opts: Options) -> anyhow::Result<Live> {
        if !matches!(source, Source::Replay(..)) {
            capture::check_capture(&opts.capture, &source.labels())?;
        }
        let mut live = Live::detached(Vec::new(), opts);
        let (events_tx, events) = mpsc::channel(4096);
        live.events_tx = events_tx;
        live.events = events;
        let demo = matches!(source, Source::Demo(_));
        live.start(source);
        if demo {
            // The demo opens on both ends with the debug on: the first screen shows the
            // negotiation's stream, not a hint to press a key (the session sends it once
            // logged in), and a heartbeat crosses soon after so the stream moves.
            for router in 0..live.routers.len() {
                live.send(router, Request::Debug(true));
            }
            if let Some(n) = &live.net {
                let now = n.now();
                let mut g = n.net.lock().unwrap_or_else(|e| e.into_inner());
                g.advance(now);
                g.heartbeat_within(Duration::from_secs(6));
            }
        }
        Ok(live)
    }

    fn start(&mut self, source: Source) {
        let started = source::start(&source, self.opts.rules, self.opts.dialect, &self.events_tx);
        let labels = source.labels();
        let n = labels.len();
        self.requests = started.requests;
        self.held = Vec::new();
        self.net = started.net;
        self.sim_peers = started.sim_peers;
        self.routers = labels
            .iter()
            .map(|l| RouterState::with_classifier(l.clone(), self.opts.scrollback, self.opts.rules))
            .collect();
        self.io = (0..n).map(|_| io()).collect();
        self.ping_from = match &source {
            _ if self.net.is_some() => PingFrom::SimLan,
            _ if self.opts.ping_from_router => PingFrom::Router,
            _ => PingFrom::Local,
        };
        if let Source::Demo(s) = &source {
            self.scenario = Some(s.name().to_string());
            self.scenarios = Scenario::ALL
                .iter()
                .map(|s| (s.name().to_string(), s.describe().to_string()))
                .collect();
        }
        if let Source::Replay(paths, pace) = &source {
            self.replaying = true;
            let (ptx, prx) = mpsc::channel(16);
            self.replay_progress = Some(prx);
            let offsets = replay_offsets(paths);
            for (i, path) in paths.iter().enumerate() {
                let (tx, rx) = mpsc::channel(16);
                self.replay_tx.push(tx);
                tokio::spawn(replay::run(
                    replay::ReplayInput {
                        path: path.clone(),
                        pace: *pace,
                        prompt: self.opts.prompt.clone(),
                        rules: self.opts.rules,
                        dialect: self.opts.dialect,
                        router: i,
                        offset_ms: offsets.get(i).copied().unwrap_or(0),
                    },
                    self.events_tx.clone(),
                    rx,
                    ptx.clone(),
                ));
            }
        } else {
            for (i, label) in labels.iter().enumerate() {
                let Some(path) = capture::capture_path(&self.opts.capture, label, i, n) else {
                    continue;
                };
                let default_name = matches!(self.opts.capture, CaptureChoice::Default);
                match capture::open(
                    &path,
                    label,
                    source.link_name(i, label),
                    self.opts.keep_secrets,
                    default_name,
                ) {
                    Ok(w) => {
                        self.routers[i].capture = Some(w.path().to_path_buf());
                        self.io[i].capture = Some(w);
                    }
                    Err(e) => self.routers[i].errors.push(e),
                }
            }
        }
        self.source = Some(source);
    }

    /// What a detached room was asked to send, router by router, in order (for a driver with
    /// no session: tests, and checks of what a key would send). A started room has none.
    pub fn drain_requests(&mut self) -> Vec<(usize, Request)> {
        let mut out = Vec::new();
        for (i, rx) in self.held.iter_mut().enumerate() {
            while let Ok(r) = rx.try_recv() {
                out.push((i, r));
            }
        }
        out
    }

    /// The room's clock: time since it opened.
    pub fn clock(&self) -> Duration {
        self.started.elapsed()
    }

    /// Whether a capture reached its size limit (the screen says so).
    pub fn capture_full(&self, i: usize) -> bool {
        self.io
            .get(i)
            .and_then(|x| x.capture.as_ref())
            .is_some_and(|w| w.limit_reached())
    }

    fn say(&mut self, msg: impl Into<String>) {
        self.notice = Some((msg.into(), Instant::now()));
    }

    /// Wait for the next input from the room's tasks. Cancel-safe (channel receives only), so
    /// it can sit in a `select!` beside the keys.
    pub async fn recv(&mut self) -> Option<Input> {
        let progress = async {
            match self.replay_progress.as_mut() {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            Some((i, e)) = self.events.recv() => Some(Input::Session(i, e)),
            Some((i, g, e)) = self.pings.recv() => Some(Input::Ping(i, g, e)),
            Some(p) = progress => Some(Input::ReplayProgress(p)),
            else => None,
        }
    }

    /// Apply one input.
    ///
    /// Returns whether what a view shows may have changed: raw bytes and the raw console lines
    /// (shown only in passthrough) and the session's measures do not, so a screen need not be
    /// drawn again for every chunk of a table arriving at 9600 baud.
    pub fn handle(&mut self, input: Input) -> bool {
        match input {
            Input::Session(i, e) => {
                let shown = !matches!(
                    e,
                    Event::Bytes(_)
                        | Event::Lines { .. }
                        | Event::Measure { .. }
                        | Event::Sent { .. }
                );
                self.on_event(i, e);
                shown
            }
            Input::Ping(i, gen, ev) => {
                if gen == self.ping_gen {
                    self.on_ping(i, ev);
                }
                true
            }
            Input::ReplayProgress(p) => {
                self.replay_status = Some(p);
                true
            }
        }
    }

    /// Queue a request for router `i`'s session. Never waits: the session drains its channel
    /// into its own queue at once, so a full channel means a session that stopped; the request
    /// is then dropped and said.
    fn send(&mut self, i: usize, r: Request) {
        if let Some(tx) = self.requests.get(i) {
            if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(r) {
                self.say("the router's session is not taking requests: try again");
            }
        }
    }

    fn on_event(&mut self, i: usize, e: Event) {
        if i >= self.routers.len() {
            return;
        }
        let login = matches!(&e, Event::Status(s) if s.login == LoginState::LoggedIn);
        if self.withholding(i) {
            // Key displays are being read: whatever the router sends now may hold a key's
            // value in a layout no redaction knows. It reaches no capture, screen or report.
            if matches!(e, Event::Bytes(_)) {
                let io = &mut self.io[i];
                let marked = io.keys.as_ref().is_none_or(|k| k.marked);
                if let (Some(w), false) = (io.capture.as_mut(), marked) {
                    w.mark("[withheld: the router's output while pre-shared keys were read]");
                }
                if let Some(k) = io.keys.as_mut() {
                    k.marked = true;
                }
            }
            // Blocks that answer a command typed at a prompt go on (a key display to be
            // hashed, a poll's table); text found by its look alone may be a stray value.
            let keep = matches!(
                &e,
                Event::Status(_) | Event::Ended | Event::Error(_) | Event::Sent { .. }
            ) || matches!(&e, Event::Item(Item::Block(b), _) if b.prompt.is_some());
            if !keep {
                return;
            }
        }
        if let Some(w) = self.io[i].capture.as_mut() {
            capture::record(w, &e);
        }
        let block = match &e {
            Event::Item(Item::Block(b), _) => Some(b.clone()),
            _ => None,
        };
        if self.io[i].keys.is_some() && self.key_event(i, &e) {
            // A key's reply (or the raw lines that carry it) goes no further than its hash.
            return;
        }
        self.routers[i].on_event(e);
        // Once logged in: read the configuration (for the policies), then poll the chosen
        // policy's counters.
        if login && !self.io[i].config_asked {
            self.io[i].config_asked = true;
            let c = self.opts.dialect.command(&Cmd::ShowConfig);
            self.send(i, Request::Command(c));
        }
        if let Some(p) = self.routers[i].chosen_policy() {
            if self.io[i].polled_policy.as_ref() != Some(&p) {
                self.io[i].polled_policy = Some(p.clone());
                self.send(i, Request::SetPolicies(vec![p]));
            }
        }
        let at = self.clock();
        self.routers[i].refresh_counters(self.opts.dialect, at);
        if let Some(b) = block {
            self.router_ping_block(i, &b);
            self.dump_block(i, &b);
            self.reset_block(i, &b);
            self.refresh_tunnel();
        }
    }

    /// Whether router `i`'s output is being kept from everything (a key read, and a moment
    /// after it).
    fn withholding(&self, i: usize) -> bool {
        let x = &self.io[i];
        x.keys.is_some() || x.withhold_until.is_some_and(|t| Instant::now() < t)
    }

    /// While router `i`'s keys are read: true when `e` is to be kept from everything else (a
    /// key display's block, hashed here, and the raw lines, which carry the value too).
    fn key_event(&mut self, i: usize, e: &Event) -> bool {
        let d = self.opts.dialect;
        let Some(k) = self.io[i].keys.as_mut() else {
            return false;
        };
        match e {
            Event::Lines { .. } => true,
            Event::Item(Item::Block(b), _) => {
                let Some(at) = k.pending.iter().position(|c| *c == b.command.canonical) else {
                    // Not a key display: a poll's table, passed on (its text is a table's).
                    return false;
                };
                k.pending.remove(at);
                let lines: Vec<&str> = b.lines.iter().map(|l| l.text.as_str()).collect();
                k.prints.push(d.key_fingerprint(&lines));
                self.keys_done();
                true
            }
            _ => false,
        }
    }

    /// Every router's keys read (or the wait is over): compare their fingerprints.
    fn keys_done(&mut self) {
        let reading = self.io.iter().filter_map(|x| x.keys.as_ref());
        let (mut busy, mut late) = (false, false);
        for k in reading {
            busy |= !k.pending.is_empty();
            late |= k.started.elapsed() > KEYS_WAIT;
        }
        if busy && !late {
            return;
        }
        let until = Instant::now() + KEYS_QUARANTINE;
        let prints: Vec<Vec<Option<[u8; 32]>>> = self
            .io
            .iter_mut()
            .map(|x| {
                x.withhold_until = Some(until);
                x.keys.take().map(|k| k.prints).unwrap_or_default()
            })
            .collect();
        let unread = busy
            || prints
                .iter()
                .any(|p| p.is_empty() || p.iter().any(Option::is_none));
        if unread {
            self.keys_same = None;
            self.say("keys not compared: a key display gave no value (or no answer)");
            return;
        }
        let mut sets: Vec<Vec<[u8; 32]>> = prints
            .into_iter()
            .map(|p| {
                let mut v: Vec<[u8; 32]> = p.into_iter().flatten().collect();
                v.sort();
                v.dedup();
                v
            })
            .collect();
        let first = sets.pop().unwrap_or_default();
        let same = sets.iter().all(|s| *s == first);
        self.keys_same = Some(same);
        self.refresh_tunnel();
        self.say(if same {
            "pre-shared keys: the same at both ends (compared by fingerprint)"
        } else {
            "pre-shared keys: they DIFFER (compared by fingerprint; the values were not shown)"
        });
    }

    /// Two routers: compare them again (after every read; a driver feeding a detached room by
    /// hand calls it) and put the tunnel's findings at the front of each
    /// end's list, so the doctor pane,
    /// the status bar and the bundle name the cause the two ends show together.
    pub fn refresh_tunnel(&mut self) {
        let [a, b] = self.routers.as_slice() else {
            return;
        };
        let (pa, pb) = (a.ping.tally(), b.ping.tally());
        let mut ea =
            crate::tunnel::End::new(&a.label, &a.state.snapshot).with_counters(&a.counters);
        if pa.sent > 0 {
            ea = ea.with_ping(&pa);
        }
        let mut eb =
            crate::tunnel::End::new(&b.label, &b.state.snapshot).with_counters(&b.counters);
        if pb.sent > 0 {
            eb = eb.with_ping(&pb);
        }
        let t = crate::tunnel::examine_with(
            &ea,
            &eb,
            crate::tunnel::Options {
                keys_same: self.keys_same,
            },
        );
        let found = crate::doctor::tunnel::findings(&t, self.opts.dialect);
        // Every tunnel finding is listed at both ends: a fault between them is each end's
        // business (Peer1 sends with an SPI Peer2 lacks), and neither may say "nothing wrong".
        let all: Vec<crate::doctor::Finding> = found.iter().map(|f| f.finding.clone()).collect();
        for r in &mut self.routers {
            r.set_tunnel_findings(all.clone());
        }
        self.tunnel = Some(t);
    }

    /// Whether a key comparison is under way.
    pub fn reading_keys(&self) -> bool {
        self.io.iter().any(|x| x.keys.is_some())
    }

    /// Whether a router is reached over telnet (keys read there cross the network in clear).
    pub fn any_telnet(&self) -> bool {
        matches!(&self.source, Some(Source::Links(c)) if c.iter().any(|c| matches!(c.target, crate::link::Target::Telnet { .. })))
    }

    /// A reset starts the counters' story again: the baseline moves to now and the last ping
    /// is forgotten, so nothing from before the reset is judged after it.
    fn after_reset(&mut self, routers: &[usize]) {
        let at = self.clock();
        for &i in routers {
            if let Some(r) = self.routers.get_mut(i) {
                r.counters.set_baseline(at);
                if !r.ping.running {
                    r.ping = PingState::default();
                }
            }
        }
    }

    /// A reset of every router: this router answered the last command taking it down.
    fn reset_block(&mut self, i: usize, b: &crate::console::transcript::Block) {
        let d = self.opts.dialect;
        let Some(last) = d.reset_down().last().map(|c| d.canonical(c)) else {
            return;
        };
        if let Some((waiting, _)) = self.resetting.as_mut() {
            if b.command.canonical == last {
                if let Some(w) = waiting.get_mut(i) {
                    *w = false;
                }
            }
        }
        self.reset_bring_up();
    }

    /// Every router is down (or the wait is over): all are brought up together.
    fn reset_bring_up(&mut self) {
        let Some((waiting, since)) = &self.resetting else {
            return;
        };
        if waiting.iter().any(|w| *w) && since.elapsed() < RESET_WAIT {
            return;
        }
        self.resetting = None;
        let up = self.opts.dialect.reset_up();
        for router in 0..self.routers.len() {
            for c in &up {
                self.send(router, Request::Command(c.clone()));
            }
        }
        self.say("both ends down: bringing ISAKMP and IPsec up on both together");
    }

    /// The router's own ping: read its block when it ends.
    fn router_ping_block(&mut self, i: usize, b: &crate::console::transcript::Block) {
        let Some((gen, sent)) = &self.io[i].router_ping else {
            return;
        };
        if b.command.typed != *sent || *gen != self.ping_gen {
            return;
        }
        let mut parser = crate::ping::PingParser::new(crate::ping::PingForm::Router);
        for l in &b.lines {
            for ev in parser.feed(&l.text) {
                self.on_ping(i, ev);
            }
        }
        self.on_ping(
            i,
            PingEvent::Finished {
                exit: Some(0),
                stopped: false,
            },
        );
        self.io[i].router_ping = None;
    }

    /// The support dump being read: its blocks, the fallback, and saving it at its end.
    fn dump_block(&mut self, i: usize, b: &crate::console::transcript::Block) {
        let Some(c) = self.io[i].dump.as_mut() else {
            return;
        };
        let s = &self.routers[i].state.snapshot;
        let ids: Vec<u32> = s.ipsec_sas.iter().map(|x| x.sa_id).collect();
        let policies = s.config.encrypting_policies();
        match c.on_block(b, self.opts.dialect, &ids, &policies) {
            Step::Continue => {}
            Step::Fallback(list) => {
                for c in list {
                    self.send(i, Request::Command(c));
                }
                self.say("this router has no show debug ipsec: running its commands one by one");
            }
            Step::Done(text) => {
                self.io[i].dump = None;
                let base = self.routers[i]
                    .capture
                    .clone()
                    .unwrap_or_else(|| crate::capture::default_path(&self.routers[i].label));
                let stem = base
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let out = base.with_file_name(format!("{stem}-show-debug-ipsec.txt"));
                let msg = match crate::fsutil::write_replace(&out, text.as_bytes()) {
                    Ok(()) => format!("show debug ipsec saved to {}", out.display()),
                    Err(e) => format!("cannot save show debug ipsec: {e}"),
                };
                self.routers[i].saved.push(out.display().to_string());
                self.say(msg);
            }
        }
    }

    fn on_ping(&mut self, i: usize, ev: PingEvent) {
        let at = self.clock();
        if let Some(r) = self.routers.get_mut(i) {
            pinger::apply(&mut r.ping, at, ev);
        }
    }

    /// Feed router `i`'s counter view from what it read (a driver that feeds routers by hand).
    pub fn refresh_counters(&mut self, i: usize) {
        let at = self.clock();
        let d = self.opts.dialect;
        if let Some(r) = self.routers.get_mut(i) {
            r.refresh_counters(d, at);
        }
    }

    /// Time-based state (a stall grows longer without a new read).
    pub fn tick(&mut self) {
        for r in &mut self.routers {
            r.tick();
        }

        self.reset_bring_up();
        if self.io.iter().any(|x| x.keys.is_some()) {
            self.keys_done();
        }
    }

    /// Carry out an action. Returns `false` for `Quit` (the caller then runs `shutdown`).
    pub fn apply(&mut self, a: Action) -> bool {
        let d = self.opts.dialect;
        if self.replaying
            && !matches!(
                a,
                Action::Replay(_) | Action::Baseline { .. } | Action::Bundle { .. } | Action::Quit
            )
        {
            self.say("this is a replay: nothing is sent to a router");
            return true;
        }
        match a {
            Action::Command { router, text } => {
                if let Some(r) = self.routers.get_mut(router) {
                    r.user_command(&text);
                }
                self.send(router, Request::Command(text));
            }
            Action::Raw { router, bytes } => self.send(router, Request::Raw(bytes)),
            Action::Debug { router, on } => self.send(router, Request::Debug(on)),
            Action::PollNow { router } => self.send(router, Request::PollNow),
            Action::Reset { router } => {
                self.after_reset(&[router]);
                let seq = d.reset_sequence();
                if let Some(r) = self.routers.get_mut(router) {
                    r.user_command(&format!("reset: {}", seq.join(", ")));
                }
                for c in seq {
                    self.send(router, Request::Command(c));
                }
            }
            Action::ResetAll => {
                let all: Vec<usize> = (0..self.routers.len()).collect();
                self.after_reset(&all);
                let down = d.reset_down();
                let up = d.reset_up();
                let n = self.routers.len();
                for router in 0..n {
                    self.routers[router].user_command(&format!(
                        "reset of both ends: {} here, then {} on every end together",
                        down.join(", "),
                        up.join(", ")
                    ));
                    for c in &down {
                        self.send(router, Request::Command(c.clone()));
                    }
                }
                self.resetting = Some((vec![true; n], Instant::now()));
            }
            Action::CompareKeys => {
                let n = self.routers.len();
                let cmds: Vec<Vec<String>> = self
                    .routers
                    .iter()
                    .map(|r| crate::alliedware::keys::commands(&r.state.snapshot.config, d))
                    .collect();
                if n < 2 || cmds.iter().any(Vec::is_empty) {
                    self.say("keys are compared between two ends whose ISAKMP policies name a key (read their configuration first)");
                    return true;
                }
                self.keys_same = None;
                for (router, list) in cmds.into_iter().enumerate() {
                    self.io[router].keys = Some(KeyRead {
                        marked: false,
                        pending: list.iter().map(|c| d.canonical(c)).collect(),
                        prints: Vec::new(),
                        started: Instant::now(),
                    });
                    for c in list {
                        self.send(router, Request::Command(c));
                    }
                }
                self.say(
                    "reading the pre-shared keys at both ends (only their fingerprints are kept)",
                );
            }
            Action::Baseline { router } => {
                let at = self.clock();
                if let Some(r) = self.routers.get_mut(router) {
                    r.counters.set_baseline(at);
                }
            }
            Action::Ping { router, start } => self.ping(router, start),
            Action::CyclePolicy { router, forward } => {
                let Some(r) = self.routers.get_mut(router) else {
                    return true;
                };
                let names = r.state.snapshot.config.encrypting_policies();
                if names.is_empty() {
                    return true;
                }
                let i = r
                    .chosen_policy()
                    .and_then(|c| names.iter().position(|n| *n == c))
                    .unwrap_or(0);
                let n = names.len();
                let j = if forward {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                r.choose_policy(names[j].clone());
                self.io[router].polled_policy = Some(names[j].clone());
                let at = self.clock();
                self.routers[router].refresh_counters(d, at);
                self.send(router, Request::SetPolicies(vec![names[j].clone()]));
            }
            Action::ShowIkeSa { router, id } => {
                let c = d.command(&Cmd::ShowIkeSa(id));
                self.apply(Action::Command { router, text: c });
            }
            Action::ShowIpsecSa { router, id } => {
                let c = d.command(&Cmd::ShowIpsecSa(id));
                self.apply(Action::Command { router, text: c });
            }
            Action::SupportDump { router } => {
                if router >= self.routers.len() {
                    return true;
                }
                match Collector::start(d) {
                    Some((c, cmd)) => {
                        self.io[router].dump = Some(c);
                        self.send(router, Request::Command(cmd));
                    }
                    None => self.say("this router has no support dump"),
                }
            }
            Action::Bundle { router } => {
                let msg = match bundle::bundle(self, router) {
                    Ok(p) => format!("evidence bundle written: {}", p.display()),
                    Err(e) => format!("cannot write the bundle: {e}"),
                };
                self.say(msg);
            }
            Action::Scenario(name) => self.switch_scenario(&name),
            Action::Replay(c) => {
                for tx in &self.replay_tx {
                    let _ = tx.try_send(c);
                }
            }
            Action::Quit => return false,
        }
        true
    }

    fn ping(&mut self, idx: usize, start: bool) {
        if idx >= self.routers.len() {
            return;
        }
        if let Some((was, mut p)) = self.pinger.take() {
            p.stop();
            let at = self.clock();
            if let Some(r) = self.routers.get_mut(was) {
                r.ping.running = false;
                r.ping.ended = Some(at);
            }
        }
        if !start {
            return;
        }
        self.ping_gen += 1;
        let gen = self.ping_gen;
        let target = self
            .opts
            .ping_target
            .clone()
            .unwrap_or_else(|| crate::sim::lan_ping::far_pc(0).to_string());
        let at = self.clock();
        self.routers[idx].ping = PingState {
            target: target.clone(),
            running: true,
            started: Some(at),
            ..Default::default()
        };
        if self.source.is_none() {
            // A detached room runs no task: the ping is asked for, and left to its driver.
            return;
        }
        let started = match (&self.net, self.ping_from) {
            (_, PingFrom::Router) => {
                let req = crate::ping::PingRequest::new(target.clone(), Some(pinger::COUNT));
                match (crate::ping::PingTarget::Router { source: None }).command(&req) {
                    Ok(c) => {
                        let line = format!("{} {}", c.program, c.args.join(" "));
                        self.send(idx, Request::Command(line.clone()));
                        self.io[idx].router_ping = Some((gen, line));
                    }
                    Err(e) => self.routers[idx].ping.error = Some(e.to_string()),
                }
                None
            }
            (Some(n), PingFrom::SimLan) => {
                let peer = self.sim_peers.get(idx).copied().unwrap_or(0);
                let scenario = n.net.lock().unwrap_or_else(|e| e.into_inner()).scenario;
                let t = crate::sim::lan_ping::far_pc_in(scenario, peer).to_string();
                self.routers[idx].ping.target = t.clone();
                Some(pinger::sim(n.clone(), peer, t))
            }
            _ => Some(pinger::system(&target)),
        };
        if let Some((mut rx, p)) = started {
            let tx = self.ping_tx.clone();
            tokio::spawn(async move {
                while let Some(ev) = rx.recv().await {
                    if tx.send((idx, gen, ev)).await.is_err() {
                        return;
                    }
                }
            });
            self.pinger = Some((idx, p));
        }
    }

    /// Demo: both peers start again in another scenario; debug stays as the user had it.
    fn switch_scenario(&mut self, name: &str) {
        let Ok(s) = name.parse::<Scenario>() else {
            self.say(format!("no scenario named {name}"));
            return;
        };
        match self.source {
            Some(Source::Demo(_)) => {}
            // A detached room has no network to start: it only notes the choice.
            None if !self.scenarios.is_empty() => {
                self.scenario = Some(s.name().to_string());
                return;
            }
            _ => {
                self.say("scenarios are for the demo");
                return;
            }
        }
        let debug_was_on: Vec<bool> = self
            .routers
            .iter()
            .map(|r| r.status.as_ref().is_some_and(|s| s.debug_on))
            .collect();
        for tx in &self.requests {
            let _ = tx.try_send(Request::Quit);
        }
        if let Some((_, mut p)) = self.pinger.take() {
            p.stop();
        }
        self.ping_gen += 1;
        self.retire();
        self.start(Source::Demo(s));
        for (i, on) in debug_was_on.into_iter().enumerate() {
            if on {
                self.send(i, Request::Debug(true));
            }
        }
    }

    /// The sessions of the last source were told to quit: their way out (debug off, logoff)
    /// still goes to their own captures, from a task of its own, while a new source starts on
    /// a fresh channel (their events never reach the new routers).
    fn retire(&mut self) {
        let (tx, rx) = mpsc::channel(4096);
        self.events_tx = tx;
        let mut old = std::mem::replace(&mut self.events, rx);
        let mut captures: Vec<Option<CaptureWriter>> =
            self.io.iter_mut().map(|x| x.capture.take()).collect();
        let n = captures.len();
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + QUIT_WAIT;
            let mut ended = vec![false; n];
            while !ended.iter().all(|e| *e) {
                match tokio::time::timeout_at(deadline, old.recv()).await {
                    Ok(Some((i, Event::Ended))) => {
                        if let Some(e) = ended.get_mut(i) {
                            *e = true;
                        }
                    }
                    Ok(Some((i, e))) => {
                        if let Some(Some(w)) = captures.get_mut(i) {
                            capture::record(w, &e);
                        }
                    }
                    Ok(None) | Err(_) => break,
                }
            }
        });
    }

    /// The way out: pings stopped, each session turns off the debug it turned on and logs off
    /// where it logged in. Waits at most `QUIT_WAIT`, and not for a router silent for
    /// `QUIT_SILENCE`; what crosses the line meanwhile is captured.
    pub async fn shutdown(&mut self) {
        if let Some((_, mut p)) = self.pinger.take() {
            p.stop();
        }
        for tx in &self.requests {
            let _ = tx.send(Request::Quit).await;
        }
        let deadline = Instant::now() + QUIT_WAIT;
        // A replay has no session to wait for.
        let mut ended = vec![self.replaying; self.requests.len()];
        let mut heard = vec![Instant::now(); self.requests.len()];
        let waiting = |ended: &[bool], heard: &[Instant]| {
            ended
                .iter()
                .zip(heard)
                .any(|(e, h)| !e && h.elapsed() < QUIT_SILENCE)
        };
        while waiting(&ended, &heard) && Instant::now() < deadline {
            match tokio::time::timeout(Duration::from_millis(100), self.events.recv()).await {
                Ok(Some((i, Event::Ended))) => {
                    if let Some(e) = ended.get_mut(i) {
                        *e = true;
                    }
                }
                Ok(Some((i, e))) => {
                    if let (Event::Bytes(_), Some(h)) = (&e, heard.get_mut(i)) {
                        *h = Instant::now();
                    }
                    if let Some(Some(w)) = self.io.get_mut(i).map(|x| x.capture.as_mut()) {
                        capture::record(w, &e);
                    }
                    if let Some(r) = self.routers.get_mut(i) {
                        r.on_event(e);
                    }
                }
                Ok(None) => break,
                Err(_) => {}
            }
        }
    }

    /// Whether any router's debug is on (the screen asks before quitting).
    pub fn debug_on(&self) -> bool {
        self.routers
            .iter()
            .any(|r| r.status.as_ref().is_some_and(|s| s.debug_on))
    }
}
