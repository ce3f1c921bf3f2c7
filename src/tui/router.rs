//! One router as the screen knows it: the session's status, the tables read by the poller with
//! what changed, the debug stream, the console output, and the doctor's findings. Fed by
//! session events; rendered by the panes. State is per router so both ends of a tunnel can be
//! shown side by side.

use super::debuglog::{now_stamp, DebugLog, Entry, Stamped};
use crate::alliedware::debug::Classifier;
use crate::analyze::{Options, State};
use crate::console::session::{Event, Status};
use crate::console::text::{TextCleaner, TextEvent};
use crate::console::transcript::Item;
use crate::doctor::Finding;
use crate::model::{Exchange, IkeSa, IpsecSa};
use std::collections::{HashMap, HashSet, VecDeque};
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

/// `HH:MM:SS.mmm` as milliseconds of the day.
fn stamp_ms(s: &str) -> Option<u64> {
    let mut it = s.split([':', '.']);
    let mut n = || it.next().and_then(|p| p.parse::<u64>().ok());
    Some(((n()? * 60 + n()?) * 60 + n()?) * 1000 + n().unwrap_or(0))
}

pub struct RouterView {
    pub label: String,
    pub status: Option<Status>,
    pub state: State,
    pub debug: DebugLog,
    pub findings: Vec<Finding>,
    /// When each table was last read.
    pub updated: HashMap<&'static str, Instant>,
    /// Row keys that changed at the last read of their table.
    pub changed: HashSet<String>,
    pub progress: HashMap<u32, Progress>,
    pub console: VecDeque<String>,
    /// Commands the user sent, awaiting their output.
    pending_user: VecDeque<String>,
    /// The raw console, for passthrough mode.
    pub raw_lines: VecDeque<String>,
    raw_cleaner: TextCleaner,
    pub raw_pending: String,
    pub ended: bool,
    pub errors: Vec<String>,
    /// A fixed arrival time for every line (screen snapshots in tests); `None` is the clock.
    pub fixed_stamp: Option<String>,
    /// Files saved for this router (show debug ipsec), for the bundle.
    pub saved: Vec<String>,
    /// Counter displays read so far (each one is a reading for the delta view).
    pub counters_reads: u64,
    /// A replay's clock: the first recorded time seen and when it was seen, so that time
    /// runs as recorded however fast the replay goes.
    virtual_clock: Option<(u64, Instant, u64)>,
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

impl RouterView {
    pub fn new(label: impl Into<String>, scrollback: usize) -> Self {
        RouterView {
            label: label.into(),
            status: None,
            state: State::default(),
            debug: DebugLog::new(scrollback),
            findings: Vec::new(),
            updated: HashMap::new(),
            changed: HashSet::new(),
            progress: HashMap::new(),
            console: VecDeque::new(),
            pending_user: VecDeque::new(),
            raw_lines: VecDeque::new(),
            raw_cleaner: TextCleaner::default(),
            raw_pending: String::new(),
            ended: false,
            errors: Vec::new(),
            fixed_stamp: None,
            saved: Vec::new(),
            counters_reads: 0,
            virtual_clock: None,
            bytes_in: 0,
            lines_in: 0,
        }
    }

    fn stamp(&self) -> String {
        self.fixed_stamp.clone().unwrap_or_else(now_stamp)
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
            Event::Bytes(b) => self.on_bytes(&b),
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
                if let Some(ms) = stamp_ms(&t) {
                    match &mut self.virtual_clock {
                        Some((_, _, last)) => *last = ms,
                        None => self.virtual_clock = Some((ms, Instant::now(), ms)),
                    }
                }
                self.fixed_stamp = Some(t);
            }
            Event::Ended => self.ended = true,
        }
    }

    fn on_bytes(&mut self, b: &[u8]) {
        self.bytes_in += b.len() as u64;
        self.lines_in += b.iter().filter(|&&c| c == b'\n').count() as u64;
        let mut ev = Vec::new();
        self.raw_cleaner.feed(b, &mut ev);
        for e in ev {
            if let TextEvent::Line(l) = e {
                if self.raw_lines.len() >= CONSOLE_KEEP {
                    self.raw_lines.pop_front();
                }
                self.raw_lines.push_back(l.text);
            }
        }
        self.raw_pending = self.raw_cleaner.pending().to_string();
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
        if display == Some(crate::alliedware::commands::Display::Counters) {
            self.counters_reads += 1;
        }
        let ev = self.state.apply(
            item,
            Classifier::builtin(),
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
        self.findings = self.state.findings(true);
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
            self.findings = self.state.findings(true);
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
            Some((first, at, last)) => at + Duration::from_millis(last.saturating_sub(first)),
            None => Instant::now(),
        }
    }

    /// Seconds since the last read of any table.
    pub fn data_age(&self) -> Option<Duration> {
        self.updated.values().max().map(|t| t.elapsed())
    }
}
