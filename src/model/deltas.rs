//! Counter deltas of one IPsec policy: a baseline, then per counter its value, the delta since the
//! baseline, the rate over the last interval and a short history for a sparkline; and a verdict in
//! plain words that weighs the traffic counters against each other and against a ping.
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

/// What a ping did, as the verdict needs it. Plain data, so the model needs no ping runner;
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

/// How the screen colours a verdict line. Ordered from least to most alarming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Nothing to judge yet.
    Idle,
    Ok,
    Warn,
    Bad,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictLine {
    pub severity: Severity,
    pub text: String,
}

/// The verdict: the first line is the headline; `severity` is the worst of the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub severity: Severity,
    pub lines: Vec<VerdictLine>,
}

impl Verdict {
    pub fn headline(&self) -> &str {
        self.lines.first().map(|l| l.text.as_str()).unwrap_or("")
    }

    fn push(&mut self, severity: Severity, text: impl Into<String>) {
        self.severity = self.severity.max(severity);
        self.lines.push(VerdictLine {
            severity,
            text: text.into(),
        });
    }
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

    /// The verdict on the deltas since the baseline, weighed against a ping when one ran.
    pub fn verdict(&self, ping: Option<&PingTally>) -> Verdict {
        let mut v = Verdict {
            severity: Severity::Idle,
            lines: Vec::new(),
        };
        let (out_name, in_name) = (&self.traffic.outbound, &self.traffic.inbound);
        if self.last_at.is_none() {
            v.push(Severity::Idle, "no counters read yet");
            return v;
        }
        let pinging = ping.is_some_and(|p| p.running || p.sent > 0);
        let (out, inb) = match (self.get(out_name), self.get(in_name)) {
            (Some(o), Some(i)) => (o.delta(), i.delta()),
            _ => {
                v.push(
                    Severity::Warn,
                    format!(
                        "no {out_name} and {in_name} in this display: \
                         choose a policy with action=ipsec"
                    ),
                );
                self.error_lines(&mut v, 0);
                return v;
            }
        };
        match (out > 0, inb > 0) {
            (true, true) => v.push(
                Severity::Ok,
                "encrypting and decrypting: the tunnel carries traffic both ways",
            ),
            (true, false) => v.push(
                Severity::Bad,
                "encrypting, nothing decrypted: replies are not coming back through the tunnel; \
                 check the peer",
            ),
            (false, true) => v.push(
                Severity::Bad,
                "decrypting but not encrypting: packets arrive through the tunnel but nothing \
                 leaves through it; check this router's policy order and addresses",
            ),
            (false, false) if pinging => v.push(
                Severity::Bad,
                "nothing through the tunnel: the pings are not matching the IPsec policy, \
                 or there is no IPsec SA",
            ),
            (false, false) => v.push(
                Severity::Idle,
                "no traffic since the baseline; start a ping (p)",
            ),
        }
        if let Some(r) = &self.last_reset {
            v.push(
                Severity::Warn,
                format!(
                    "{} went back from {} to {}: the router restarted or its counters were \
                     reset; counting from a new baseline",
                    r.name, r.was, r.now
                ),
            );
        }
        self.error_lines(&mut v, out);
        if let Some(p) = ping.filter(|_| pinging) {
            self.ping_lines(&mut v, p, out, inb);
        }
        v
    }

    /// One line per kind of error, naming the counters that moved.
    fn error_lines(&self, v: &mut Verdict, out: u64) {
        let mut groups: Vec<(ErrorKind, Vec<String>)> = Vec::new();
        for r in self.moved_error() {
            let kind = ErrorKind::of(&r.name);
            let item = format!("{} +{}", r.name, r.delta());
            match groups.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, items)) => items.push(item),
                None => groups.push((kind, vec![item])),
            }
        }
        for (kind, items) in groups {
            // The first packet of a flow is dropped while phase 2 comes up: expected, if
            // traffic then flows.
            let severity = if kind == ErrorKind::NoSa && out > 0 {
                Severity::Warn
            } else {
                Severity::Bad
            };
            let meaning = if kind == ErrorKind::NoSa && out > 0 {
                "packets matched the policy before an IPsec SA existed; normal for the first \
                 packets while the tunnel comes up"
            } else {
                kind.meaning()
            };
            v.push(severity, format!("{}: {meaning}", items.join(", ")));
        }
    }

    /// Compare the ping with the traffic counters. The ping is assumed to cross this router's
    /// tunnel: one encrypted packet per ping, one decrypted packet per reply.
    fn ping_lines(&self, v: &mut Verdict, p: &PingTally, out: u64, inb: u64) {
        let (out_name, in_name) = (&self.traffic.outbound, &self.traffic.inbound);
        let (sent, replied) = (p.sent, p.replied);
        v.push(
            Severity::Idle,
            format!("{sent} sent, {out_name} +{out}, {replied} replies, {in_name} +{inb}"),
        );
        if let (Some(started), Some(base)) = (p.started_at, self.baseline_at) {
            if started < base {
                v.push(
                    Severity::Warn,
                    "the baseline was set after the ping started, so the counters miss its \
                     first packets: set the baseline (b), then ping",
                );
            }
        }
        // Counters are polled every few seconds while ping results stream in, so a running
        // ping is always ahead of them; judge the numbers only on a reading after it ended.
        if p.running {
            v.push(
                Severity::Idle,
                "ping running: the counters are read every few seconds and lag it; \
                 the comparison is final when it ends",
            );
            return;
        }
        if let (Some(end), Some(last)) = (p.ended_at, self.last_at) {
            if last < end {
                v.push(
                    Severity::Idle,
                    "waiting for a counter reading after the ping ended",
                );
                return;
            }
        }
        if sent == 0 {
            return;
        }
        if out == 0 && p.from_router {
            v.push(
                Severity::Warn,
                "a ping from the router itself leaves from its WAN address and may not match a \
                 LAN-to-LAN policy: give it a LAN source address (sipaddress=), or ping from a \
                 PC on the LAN",
            );
        }
        if replied > 0 && out == 0 && inb == 0 {
            v.push(
                Severity::Bad,
                "the pings are answered but neither counter moved: they go around the tunnel, \
                 not through it (the addresses do not match the IPsec policy, or the target is \
                 reachable another way)",
            );
            return;
        }
        if replied > 0 && inb == 0 {
            v.push(
                Severity::Bad,
                format!(
                    "{replied} replies arrived but {in_name} did not move: the replies bypass \
                     the tunnel; check the peer's policy for traffic back to this LAN"
                ),
            );
        } else if replied == 0 && inb > 0 {
            v.push(
                Severity::Bad,
                format!(
                    "{in_name} moved but no ping was answered: packets are decrypted here but \
                     the replies do not reach the pinging machine (check this router's firewall \
                     and the machine's route), or what was decrypted is other traffic"
                ),
            );
        } else if inb < replied {
            v.push(
                Severity::Warn,
                format!(
                    "{} of the replies came back outside the tunnel",
                    replied - inb
                ),
            );
        }
        if out > 0 && out < sent {
            v.push(
                Severity::Warn,
                format!(
                    "{} of the {sent} pings did not go through the tunnel: the first ones may \
                     have been dropped while the SA came up, or some took another route",
                    sent - out
                ),
            );
        }
        if out > sent {
            v.push(
                Severity::Ok,
                format!(
                    "{out_name} moved more than the pings sent: other traffic uses the tunnel too"
                ),
            );
        }
        if inb > replied && replied > 0 {
            v.push(
                Severity::Ok,
                format!("{in_name} moved more than the replies: other traffic comes through the tunnel too"),
            );
        }
        if out == sent && inb == replied {
            if replied == sent {
                v.push(
                    Severity::Ok,
                    "the counters match the ping: every ping and every reply went through the tunnel",
                );
            } else if replied > 0 {
                v.push(
                    Severity::Warn,
                    format!(
                        "{} pings went into the tunnel and got no reply: the peer, the network \
                         behind it or the target dropped them",
                        sent - replied
                    ),
                );
            }
        }
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

/// What an error counter moving is likely to mean, from words in its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Spi,
    NoSa,
    Replay,
    Auth,
    Policy,
    Size,
    Failed,
    Other,
}

impl ErrorKind {
    fn of(name: &str) -> ErrorKind {
        let n = name.to_ascii_lowercase();
        let has = |s: &[&str]| s.iter().any(|w| n.contains(w));
        if has(&["spi"]) {
            ErrorKind::Spi
        } else if has(&["nosa", "no_sa"]) {
            ErrorKind::NoSa
        } else if has(&["replay"]) {
            ErrorKind::Replay
        } else if has(&["auth", "icv", "integrity", "hmac", "digest"]) {
            ErrorKind::Auth
        } else if has(&["polic", "selector"]) {
            ErrorKind::Policy
        } else if has(&["mtu", "frag", "size", "length", "toobig"]) {
            ErrorKind::Size
        } else if has(&["fail"]) {
            ErrorKind::Failed
        } else {
            ErrorKind::Other
        }
    }

    fn meaning(self) -> &'static str {
        match self {
            ErrorKind::Spi => {
                "packets for an SA this router does not have (unknown or bad SPI): the SAs are \
                 out of step, one peer kept an SA the other removed (after a restart or a link \
                 drop); reset ISAKMP and IPsec on both peers (R), and use ISAKMP heartbeats to \
                 prevent it"
            }
            ErrorKind::NoSa => {
                "packets matched the policy but there was no IPsec SA to encrypt them: phase 2 \
                 is not up; check the ISAKMP and IPsec SAs and the debug stream"
            }
            ErrorKind::Replay => {
                "packets rejected as replays: duplicated or badly reordered on the way, or the \
                 SAs are out of step"
            }
            ErrorKind::Auth => {
                "packets failed authentication: the peers' keys differ (SAs out of step); reset \
                 ISAKMP and IPsec on both peers (R)"
            }
            ErrorKind::Policy => {
                "packets did not match the policy's addresses: the two peers' policies do not \
                 mirror each other"
            }
            ErrorKind::Size => {
                "packets too large or badly fragmented: check the MTU along the path"
            }
            ErrorKind::Failed => {
                "IPsec processing failed: the algorithms or keys may not match, or the router \
                 ran short of resources; check the debug stream"
            }
            ErrorKind::Other => "an error counter moved: look at the debug stream and the log",
        }
    }
}
