//! Counter deltas of one IPsec policy: a baseline, then per counter its value, the delta since the
//! baseline, the rate over the last interval and a short history for a sparkline. State only: the
//! verdict that judges them is the doctor's (`doctor::counters::counter_verdict`).
//!
//! Time is a `Duration` since a start the caller chooses, so the logic needs no clock and tests
//! are deterministic.

use super::Counter;
use std::collections::VecDeque;
use std::time::Duration;

/// Readings a sparkline keeps by default: a minute at one poll a second.
pub const HISTORY_LEN: usize = 60;

/// The two counters that prove packets went through the tunnel. The defaults are AlliedWare's
/// names (the only vendor so far); another vendor's parser passes its own, so the logic below
/// holds no vendor words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficCounters {
    /// Incremented once per packet encrypted and sent into the tunnel.
    pub outbound: String,
    /// Incremented once per packet received from the tunnel and decrypted.
    pub inbound: String,
}

impl Default for TrafficCounters {
    fn default() -> Self {
        TrafficCounters {
            outbound: "outProcessDone".into(),
            inbound: "inProcessDone".into(),
        }
    }
}

/// One counter as the view shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterRow {
    pub section: String,
    pub name: String,
    pub value: u64,
    /// The value when the baseline was set (or when the counter first appeared after it).
    pub baseline: u64,
    /// Change between the last two readings.
    pub step: u64,
    /// Per second over the last interval; `None` before a second reading or when it had no length.
    pub rate: Option<f64>,
    /// Steps of the last readings, oldest first, for a sparkline.
    pub history: VecDeque<u64>,
    /// The name looks like an error (fail, bad, drop, err, discard, invalid, unknown).
    pub is_error: bool,
    /// Missing from the latest reading; kept so one garbled line does not wipe its history.
    pub stale: bool,
}

impl CounterRow {
    pub fn delta(&self) -> u64 {
        self.value.saturating_sub(self.baseline)
    }

    /// An error counter that moved since the baseline: the screen shows it red.
    pub fn is_moved_error(&self) -> bool {
        self.is_error && self.delta() > 0
    }
}

/// A counter went backwards: the router restarted, or its counters were reset. The view started
/// a new baseline at that reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reset {
    pub at: Duration,
    pub section: String,
    pub name: String,
    pub was: u64,
    pub now: u64,
}

/// What a ping did, as the counter verdict needs it. Plain data, so the model needs no ping runner;
/// `ping::PingStats::tally` fills it. Times are on the same clock as the counter readings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PingTally {
    /// Packets accounted for (answered or given up on).
    pub sent: u64,
    pub replied: u64,
    pub running: bool,
    pub started_at: Option<Duration>,
    pub ended_at: Option<Duration>,
    /// Pinged from the router itself rather than from a machine on its LAN.
    pub from_router: bool,
}

/// The counters of one policy over time.
#[derive(Debug, Clone)]
pub struct CounterView {
    traffic: TrafficCounters,
    history_len: usize,
    /// In display order, the traffic counters first.
    rows: Vec<CounterRow>,
    baseline_at: Option<Duration>,
    last_at: Option<Duration>,
    last_reset: Option<Reset>,
}

impl Default for CounterView {
    fn default() -> Self {
        Self::new()
    }
}

impl CounterView {
    pub fn new() -> Self {
        Self::with_traffic(TrafficCounters::default())
    }

    pub fn with_traffic(traffic: TrafficCounters) -> Self {
        CounterView {
            traffic,
            history_len: HISTORY_LEN,
            rows: Vec::new(),
            baseline_at: None,
            last_at: None,
            last_reset: None,
        }
    }

    /// Keep `n` points of history per counter (at least 1).
    pub fn with_history_len(mut self, n: usize) -> Self {
        self.history_len = n.max(1);
        self
    }

    pub fn traffic(&self) -> &TrafficCounters {
        &self.traffic
    }

    pub fn rows(&self) -> &[CounterRow] {
        &self.rows
    }

    /// The first counter of that name in any section (names are unique within one policy's display).
    pub fn get(&self, name: &str) -> Option<&CounterRow> {
        self.rows.iter().find(|r| r.name == name)
    }

    pub fn get_in(&self, section: &str, name: &str) -> Option<&CounterRow> {
        self.rows
            .iter()
            .find(|r| r.section == section && r.name == name)
    }

    /// Error counters that moved since the baseline, in display order.
    pub fn moved_error(&self) -> Vec<&CounterRow> {
        self.rows.iter().filter(|r| r.is_moved_error()).collect()
    }

    pub fn baseline_at(&self) -> Option<Duration> {
        self.baseline_at
    }

    pub fn last_at(&self) -> Option<Duration> {
        self.last_at
    }

    /// The last time counters went backwards, until the user sets a baseline.
    pub fn last_reset(&self) -> Option<&Reset> {
        self.last_reset.as_ref()
    }

    /// Time covered by the deltas.
    pub fn since_baseline(&self) -> Option<Duration> {
        Some(self.last_at?.saturating_sub(self.baseline_at?))
    }

    /// The user's key: count from the latest values.
    pub fn set_baseline(&mut self, at: Duration) {
        for r in &mut self.rows {
            r.baseline = r.value;
        }
        self.baseline_at = Some(at);
        self.last_reset = None;
    }

    /// Take one reading of the policy's counters. The first reading sets the baseline; a
    /// counter that went backwards sets a new one and is returned.
    pub fn update(&mut self, at: Duration, counters: &[Counter]) -> Option<Reset> {
        // A failed or empty read says nothing about the counters; it must not look like a reset.
        if counters.is_empty() {
            return None;
        }
        let interval = self.last_at.map(|prev| at.saturating_sub(prev));
        let reset = counters.iter().find_map(|c| {
            let row = self.find(&c.section, &c.name)?;
            (c.value < row.value).then(|| Reset {
                at,
                section: c.section.clone(),
                name: c.name.clone(),
                was: row.value,
                now: c.value,
            })
        });
        for r in &mut self.rows {
            r.stale = true;
        }
        for c in counters {
            match self
                .rows
                .iter()
                .position(|r| r.section == c.section && r.name == c.name)
            {
                Some(i) => {
                    let row = &mut self.rows[i];
                    // Across a reset the step is unknown; 0 keeps the sparkline honest.
                    let step = if reset.is_some() {
                        0
                    } else {
                        c.value.saturating_sub(row.value)
                    };
                    row.value = c.value;
                    row.step = step;
                    row.rate = rate(step, interval);
                    row.stale = false;
                    push_bounded(&mut row.history, step, self.history_len);
                }
                None => {
                    // First seen now: count from here, as nothing is known of its past.
                    let mut history = VecDeque::new();
                    history.push_back(0);
                    self.rows.push(CounterRow {
                        section: c.section.clone(),
                        name: c.name.clone(),
                        value: c.value,
                        baseline: c.value,
                        step: 0,
                        rate: None,
                        history,
                        is_error: is_error_name(&c.name),
                        stale: false,
                    });
                }
            }
        }
        for r in self.rows.iter_mut().filter(|r| r.stale) {
            r.step = 0;
            r.rate = None;
        }
        // Stable, so the rest keep the router's display order.
        let traffic = self.traffic.clone();
        self.rows.sort_by_key(|r| rank(&traffic, &r.name));
        self.last_at = Some(at);
        if self.baseline_at.is_none() {
            self.baseline_at = Some(at);
        }
        if let Some(reset) = &reset {
            for r in &mut self.rows {
                r.baseline = r.value;
            }
            self.baseline_at = Some(at);
            self.last_reset = Some(reset.clone());
        }
        reset
    }

    fn find(&self, section: &str, name: &str) -> Option<&CounterRow> {
        self.get_in(section, name)
    }
}

fn rate(step: u64, interval: Option<Duration>) -> Option<f64> {
    let secs = interval?.as_secs_f64();
    (secs > 0.0).then(|| step as f64 / secs)
}

fn push_bounded(history: &mut VecDeque<u64>, value: u64, len: usize) {
    history.push_back(value);
    while history.len() > len {
        history.pop_front();
    }
}

fn rank(traffic: &TrafficCounters, name: &str) -> u8 {
    if name == traffic.outbound {
        0
    } else if name == traffic.inbound {
        1
    } else {
        2
    }
}

/// Word stems that mark an error counter.
const ERROR_STEMS: [&str; 7] = [
    "fail", "bad", "drop", "err", "discard", "invalid", "unknown",
];

/// Whether a counter's name looks like an error. Names are split into words (camelCase,
/// `_`, `-`, spaces, digits) and a word must start with a stem, so `inErrors` and
/// `outDropNoSa` match while `pktsTransferred` does not. A name with no word breaks at all
/// (`inerrors`) falls back to a plain substring search.
pub fn is_error_name(name: &str) -> bool {
    let words = split_words(name);
    if words.len() <= 1 {
        let lower = name.to_ascii_lowercase();
        return ERROR_STEMS.iter().any(|s| lower.contains(s));
    }
    words
        .iter()
        .any(|w| ERROR_STEMS.iter().any(|s| w.starts_with(s)))
}

/// Lowercase words of a counter name.
fn split_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_alphabetic() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_lowercase();
        cur.extend(ch.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}
