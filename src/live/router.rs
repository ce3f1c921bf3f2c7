//! One router, headless: the session's status, the tables read by the poller with what
//! changed, exchange progress, the debug stream, the console output, the doctor's findings,
//! the counter view with its baseline, and the ping across the tunnel. Fed by session events
//! (live, demo or replay); the screen, `diagnose` and the bundle read it. State is per router
//! so both ends of a tunnel can be held side by side.

use super::debuglog::{now_stamp, DebugLog, Entry, Stamp, Stamped};
use crate::alliedware::debug::Classifier;
use crate::analyze::{Options, State};
use crate::console::session::{Event, Status};
use crate::console::transcript::Item;
use crate::doctor::Finding;
use crate::model::{Cmd, CounterView, Dialect, Exchange, IkeSa, IpsecSa, PingTally};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Lines kept of the console pane and of the passthrough screen.
const CONSOLE_KEEP: usize = 2000;

/// How an exchange has moved through its states.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub first_seen: Option<Instant>,
    /// States seen, in order, with when each was first seen.
    pub states: Vec<(String, Instant)>,
    pub retransmits: usize,
}

impl Progress {
    pub fn in_state(&self) -> Duration {
        self.in_state_at(Instant::now())
    }

    /// Time in the current state as of `now` (a replay's own clock, or the wall clock).
    pub fn in_state_at(&self, now: Instant) -> Duration {
        self.states
            .last()
            .map(|(_, t)| now.saturating_duration_since(*t))
            .unwrap_or_default()
    }
}

/// Milliseconds since midnight of a stamp (a replay's clock runs on the recorded times).
fn ms_of_day(t: Stamp) -> u64 {
    u64::try_from(t.duration_since(Stamp::midnight()).as_millis()).unwrap_or(0)
}

/// A ping across the tunnel, as the counters pane and the reports show it.
#[derive(Debug, Clone, Default)]
pub struct PingState {
    pub target: String,
    pub running: bool,
    pub sent: u64,
    pub replied: u64,
    pub times_ms: Vec<f64>,
    /// Since the live room started.
    pub started: Option<Duration>,
    pub ended: Option<Duration>,
    pub error: Option<String>,
}

impl PingState {
    pub fn tally(&self) -> PingTally {
        PingTally {
            sent: self.sent,
            replied: self.replied,
            running: self.running,
            started_at: self.started,
            ended_at: self.ended,
            from_router: false,
        }
    }
}

pub struct RouterState {
    pub label: String,
    pub status: Option<Status>,
    pub state: State,
    pub debug: DebugLog,
    pub findings: Vec<Finding>,
    /// How many of `findings`, at the front, are the tunnel's (both ends compared): put there
    /// by the live room, so every view of this router lists them first.
    pub tunnel_findings: usize,
    /// When each table was last read.
    pub updated: HashMap<&'static str, Instant>,
    /// Row keys that changed at the last read of their table.
    pub changed: HashSet<String>,
    pub progress: HashMap<u32, Progress>,
    pub console: VecDeque<String>,
    /// Commands the user sent, awaiting their output.
    pending_user: VecDeque<String>,
    /// The raw console, for passthrough mode: the session's clean lines, and the line being
    /// typed (its prompt).
    pub raw_lines: VecDeque<String>,
    pub raw_pending: String,
    pub ended: bool,
    pub errors: Vec<String>,
    /// A fixed arrival time for every line (replays, screen snapshots in tests); `None` is
    /// the clock.
    pub fixed_stamp: Option<Stamp>,
    /// Files saved for this router (show debug ipsec), for the bundle.
    pub saved: Vec<String>,
    /// This router's capture file, when one is written.
    pub capture: Option<PathBuf>,
    /// The policy whose counters the user chose (`None`: the first encrypting one).
    pub policy: Option<String>,
    /// The counter view of the chosen policy, with its baseline.
    pub counters: CounterView,
    /// Counter displays already given to `counters`.
    counters_seen: u64,
    /// The ping across the tunnel that concerns this router.
    pub ping: PingState,
    /// Counter displays read so far (each one is a reading for the delta view).
    pub counters_reads: u64,
    /// Table displays (ISAKMP SAs, exchanges, IPsec SAs) read so far.
    pub reads: u64,
    /// The configuration was read (its policies are known).
    pub config_read: bool,
    /// A replay's clock: the first recorded time seen and when it was seen, so that time
    /// runs as recorded however fast the replay goes.
    virtual_clock: Option<(Stamp, Instant, Stamp)>,
    /// Which classifier reads the debug lines (the built-in rules, plus the user's `--rules`).
    classifier: &'static Classifier,
    /// What the router sent: bytes, and lines (newlines), for reports and the bundle.
    pub bytes_in: u64,
    pub lines_in: u64,
}

fn ike_key(s: &IkeSa) -> String {
    format!(
        "ike:{}:{}:{:?}:{:?}:{}",
        s.sa_id, s.peer, s.encryption, s.hash, s.established
    )
}
fn ipsec_key(s: &IpsecSa) -> String {
    format!(
        "ipsec:{}:{}:{}:{:?}:{:?}",
        s.sa_id, s.policy, s.state, s.out_spi, s.in_spi
    )
}
fn exch_key(e: &Exchange) -> String {
    format!("ex:{}:{}:{}", e.id, e.phase, e.state)
}

impl RouterState {
    pub fn new(label: impl Into<String>, scrollback: usize) -> Self {
        Self::with_classifier(label, scrollback, Classifier::builtin())
    }

    /// A router whose debug lines are read by `classifier` (the user's `--rules` added).
    pub fn with_classifier(
        label: impl Into<String>,
        scrollback: usize,
        classifier: &'static Classifier,
    ) -> Self {
        RouterState {
            label: label.into(),
            status: None,
            state: State::default(),
            debug: DebugLog::new(scrollback),
            findings: Vec::new(),
            tunnel_findings: 0,
            updated: HashMap::new(),
            changed: HashSet::new(),
            progress: HashMap::new(),
            console: VecDeque::new(),
            pending_user: VecDeque::new(),
            raw_lines: VecDeque::new(),
            raw_pending: String::new(),
            ended: false,
            errors: Vec::new(),
            fixed_stamp: None,
            saved: Vec::new(),
            capture: None,
            policy: None,
            counters: CounterView::new(),
            counters_seen: u64::MAX,
            ping: PingState::default(),
            counters_reads: 0,
            reads: 0,
            config_read: false,
            virtual_clock: None,
            classifier,
            bytes_in: 0,
            lines_in: 0,
        }
    }

    fn stamp(&self) -> Stamp {
        self.fixed_stamp.unwrap_or_else(now_stamp)
    }

    /// A command the user typed (its output goes to the console pane).
    pub fn user_command(&mut self, cmd: &str) {
        self.pending_user.push_back(cmd.trim().to_string());
        self.console_line(format!("> {cmd}"));
    }

    fn console_line(&mut self, l: String) {
        if self.console.len() >= CONSOLE_KEEP {
            self.console.pop_front();
        }
        self.console.push_back(l);
    }

    pub fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Status(s) => self.status = Some(s),
            Event::Item(item, _) => self.on_item(item),
            Event::Bytes(b) => {
                self.bytes_in += b.len() as u64;
                self.lines_in += b.iter().filter(|&&c| c == b'\n').count() as u64;
            }
            Event::Lines { lines, pending } => self.on_lines(lines, pending),
            Event::Mark(m) => self.debug.push(Stamped {
                at: self.stamp(),
                entry: Entry::Mark(m),
            }),
            Event::Error(e) => {
                self.debug.push(Stamped {
                    at: self.stamp(),
                    entry: Entry::Mark(format!("error: {e}")),
                });
                self.errors.push(e);
            }
            Event::Measure { .. } | Event::Sent { .. } => {}
            Event::Clock(t) => {
                match &mut self.virtual_clock {
                    Some((_, _, last)) => *last = t,
                    None => self.virtual_clock = Some((t, Instant::now(), t)),
                }
                self.fixed_stamp = Some(t);
            }
            Event::Ended => self.ended = true,
        }
    }

    /// The session's clean lines (one cleaner for everything: the passthrough screen shows
    /// what the session read).
    fn on_lines(&mut self, lines: Vec<String>, pending: String) {
        for l in lines {
            if self.raw_lines.len() >= CONSOLE_KEEP {
                self.raw_lines.pop_front();
            }
            self.raw_lines.push_back(l);
        }
        self.raw_pending = pending;
    }

    fn on_item(&mut self, item: Item) {
        // The user's own commands: their output goes to the console pane.
        if let Item::Block(b) = &item {
            let typed = b.command.typed.trim();
            if !typed.is_empty() && self.pending_user.front().is_some_and(|c| c == typed) {
                self.pending_user.pop_front();
                let lines: Vec<String> = b.lines.iter().map(|l| l.text.clone()).collect();
                for l in lines {
                    self.console_line(l);
                }
            }
        }
        let before = self.state.snapshot.clone();
        let block = matches!(item, Item::Block(_));
        let display = match &item {
            Item::Block(b) => Some(b.command.display),
            _ => None,
        };
        {
            use crate::alliedware::commands::Display;
            match display {
                Some(Display::Counters) => self.counters_reads += 1,
                Some(Display::Config) => self.config_read = true,
                Some(Display::IsakmpSa | Display::IsakmpExchange | Display::IpsecSa) => {
                    self.reads += 1
                }
                _ => {}
            }
        }
        let ev = self.state.apply(
            item,
            self.classifier,
            Options {
                keep_events: false,
                exchanges: true,
            },
            None,
        );
        if let Some(e) = ev {
            // Retransmissions of an exchange count toward its progress.
            if let Some(id) = e.exchange.exchange_id {
                let low = e.text.to_ascii_lowercase();
                if low.contains("retransmi") {
                    self.progress.entry(id).or_default().retransmits += 1;
                }
            }
            self.debug.push(Stamped {
                at: self.stamp(),
                entry: Entry::Line(e),
            });
        }
        if block {
            self.after_read(
                &before,
                display == Some(crate::alliedware::commands::Display::IsakmpExchange),
            );
        }
    }

    /// A display was read: work out what changed, how exchanges progress, and the findings.
    fn after_read(&mut self, before: &crate::model::Snapshot, exchanges_read: bool) {
        let now = self.now();
        let s = &self.state.snapshot;
        let mut changed = HashSet::new();
        if s.ike_sas != before.ike_sas || !self.updated.contains_key("ike") {
            let old: HashSet<String> = before.ike_sas.iter().map(ike_key).collect();
            changed.extend(s.ike_sas.iter().map(ike_key).filter(|k| !old.contains(k)));
            self.updated.insert("ike", now);
        }
        if s.ipsec_sas != before.ipsec_sas || !self.updated.contains_key("ipsec") {
            let old: HashSet<String> = before.ipsec_sas.iter().map(ipsec_key).collect();
            changed.extend(
                s.ipsec_sas
                    .iter()
                    .map(ipsec_key)
                    .filter(|k| !old.contains(k)),
            );
            self.updated.insert("ipsec", now);
        }
        if s.exchanges != before.exchanges || !self.updated.contains_key("exchanges") {
            let old: HashSet<String> = before.exchanges.iter().map(exch_key).collect();
            changed.extend(
                s.exchanges
                    .iter()
                    .map(exch_key)
                    .filter(|k| !old.contains(k)),
            );
            self.updated.insert("exchanges", now);
        }
        if s.counters != before.counters {
            self.updated.insert("counters", now);
        }
        if !changed.is_empty() {
            self.changed = changed;
        }
        // Exchanges: follow each through its states, so a stall shows its length.
        // Forgotten only when the exchange table says so: retransmissions seen in the debug
        // stream before the exchange was first read must not be lost.
        if exchanges_read {
            let live: HashSet<u32> = s.exchanges.iter().map(|e| e.id).collect();
            self.progress.retain(|id, _| live.contains(id));
        }
        for e in &s.exchanges {
            let p = self.progress.entry(e.id).or_default();
            p.first_seen.get_or_insert(now);
            if p.states.last().is_none_or(|(st, _)| st != &e.state) {
                p.states.push((e.state.clone(), now));
            }
        }
        let secs: HashMap<u32, u64> = self
            .progress
            .iter()
            .map(|(id, p)| (*id, p.in_state_at(now).as_secs()))
            .collect();
        for e in &mut self.state.snapshot.exchanges {
            e.in_state_secs = secs.get(&e.id).copied();
        }
        self.set_findings(self.state.findings(true));
    }

    /// This end's own findings, after the tunnel's (kept at the front).
    fn set_findings(&mut self, own: Vec<Finding>) {
        let tunnel: Vec<Finding> = self
            .findings
            .drain(..self.tunnel_findings.min(self.findings.len()))
            .collect();
        self.findings = tunnel;
        self.findings.extend(own);
    }

    /// The tunnel's findings that concern this end, ahead of its own.
    pub fn set_tunnel_findings(&mut self, tunnel: Vec<Finding>) {
        let own = self
            .findings
            .split_off(self.tunnel_findings.min(self.findings.len()));
        self.tunnel_findings = tunnel.len();
        self.findings = tunnel;
        self.findings.extend(own);
    }

    /// Recompute time-based findings (a stall grows longer without a new read).
    pub fn tick(&mut self) {
        let now = self.now();
        let mut any = false;
        for e in &mut self.state.snapshot.exchanges {
            if let Some(p) = self.progress.get(&e.id) {
                let s = Some(p.in_state_at(now).as_secs());
                if e.in_state_secs != s {
                    e.in_state_secs = s;
                    any = true;
                }
            }
        }
        if any {
            self.set_findings(self.state.findings(true));
        }
    }

    pub fn is_changed_ike(&self, s: &IkeSa) -> bool {
        self.changed.contains(&ike_key(s))
    }
    pub fn is_changed_ipsec(&self, s: &IpsecSa) -> bool {
        self.changed.contains(&ipsec_key(s))
    }
    pub fn is_changed_exchange(&self, e: &Exchange) -> bool {
        self.changed.contains(&exch_key(e))
    }

    /// Now, for durations on screen: the replay's recorded time, or the wall clock.
    pub fn now(&self) -> Instant {
        match self.virtual_clock {
            Some((first, at, last)) => {
                at + Duration::from_millis(ms_of_day(last).saturating_sub(ms_of_day(first)))
            }
            None => Instant::now(),
        }
    }

    /// Seconds since the last read of any table.
    pub fn data_age(&self) -> Option<Duration> {
        self.updated.values().max().map(|t| t.elapsed())
    }

    /// The policy whose counters are polled and shown: the user's choice, else the first
    /// with `action=ipsec`, else the policy of the first IPsec SA.
    pub fn chosen_policy(&self) -> Option<String> {
        if let Some(p) = &self.policy {
            return Some(p.clone());
        }
        let s = &self.state.snapshot;
        s.config
            .ipsec_policies
            .iter()
            .find(|p| p.is_ipsec())
            .map(|p| p.name.clone())
            .or_else(|| s.ipsec_sas.first().map(|sa| sa.policy.clone()))
    }

    /// Choose another policy's counters: the view starts again.
    pub fn choose_policy(&mut self, name: String) {
        self.policy = Some(name);
        self.counters = CounterView::new();
        self.counters_seen = u64::MAX;
    }

    /// After the state changed: feed the counter view with the chosen policy's counters, one
    /// update per counters display read (an unchanged reading is an idle interval and counts
    /// too), never per event. `at` is the live room's clock.
    pub fn refresh_counters(&mut self, dialect: &dyn Dialect, at: Duration) {
        let Some(policy) = self.chosen_policy() else {
            return;
        };
        let canonical = dialect.canonical(&dialect.command(&Cmd::PolicyCounters(&policy)));
        let readings: Vec<_> = self
            .state
            .snapshot
            .counters
            .iter()
            .filter(|c| c.command == canonical)
            .cloned()
            .collect();
        if readings.is_empty() || self.counters_seen == self.counters_reads {
            return;
        }
        self.counters_seen = self.counters_reads;
        let _ = self.counters.update(at, &readings);
    }
}
