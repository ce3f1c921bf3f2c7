//! Events of the unsolicited stream: debug and log lines, each placed in an IKE phase.

use serde::Serialize;
use std::fmt;

/// Where in an IKE negotiation a line belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Phase {
    #[serde(rename = "1")]
    One,
    #[serde(rename = "1.5")]
    OneAndHalf,
    #[serde(rename = "2")]
    Two,
    #[serde(rename = "info")]
    Info,
    #[serde(rename = "none")]
    None,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::One,
        Phase::OneAndHalf,
        Phase::Two,
        Phase::Info,
        Phase::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::One => "1",
            Phase::OneAndHalf => "1.5",
            Phase::Two => "2",
            Phase::Info => "info",
            Phase::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        match s.trim().to_ascii_lowercase().as_str() {
            "1" => Some(Phase::One),
            "1.5" => Some(Phase::OneAndHalf),
            "2" => Some(Phase::Two),
            "info" => Some(Phase::Info),
            "none" | "" => Some(Phase::None),
            _ => None,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a debug line says about which exchange it belongs to; any part may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct ExchangeRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookie: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

impl ExchangeRef {
    pub fn is_empty(&self) -> bool {
        self.exchange_id.is_none()
            && self.peer.is_none()
            && self.cookie.is_none()
            && self.message_id.is_none()
    }

    /// Two references name the same exchange when they share an id, cookie or message id.
    /// A shared peer alone is too weak: one peer has many exchanges.
    pub fn same_exchange(&self, other: &ExchangeRef) -> bool {
        fn both<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
            matches!((a, b), (Some(x), Some(y)) if x == y)
        }
        both(&self.exchange_id, &other.exchange_id)
            || both(&self.cookie, &other.cookie)
            || both(&self.message_id, &other.message_id)
    }
}

/// The classifier's verdict on one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub phase: Phase,
    pub failure: bool,
    /// Names of the rules that matched, most decisive first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    #[serde(skip_serializing_if = "ExchangeRef::is_empty")]
    pub exchange: ExchangeRef,
}

/// One unsolicited line with its place in the source and its classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DebugEvent {
    /// 1-based line number in the source (file line, or stream line in a live session).
    pub line: usize,
    /// The file the line came from, when several were read together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The time a terminal program's stamp gave the line (`[YYYY-MM-DDT]HH:MM:SS[.fff]`),
    /// in logs saved with a stamp on every line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    pub phase: Phase,
    pub failure: bool,
    pub text: String,
    #[serde(skip_serializing_if = "ExchangeRef::is_empty")]
    pub exchange: ExchangeRef,
}

/// Counts of the unsolicited stream by phase, with the events kept for reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DebugSummary {
    pub lines: usize,
    pub failures: usize,
    /// Indexed like `Phase::ALL`.
    pub by_phase: [usize; 5],
    /// Every non-blank unsolicited line, when the reader was asked to keep them.
    pub events: Vec<DebugEvent>,
    /// The first failures (bounded), kept even when `events` is not.
    pub failure_events: Vec<DebugEvent>,
    /// Failures beyond the bound of `failure_events`.
    pub failures_dropped: usize,
    /// What the exchange tracker knows of the stream so far (see `alliedware::debug::tracker`).
    #[serde(skip)]
    pub context: DebugContext,
}

/// The exchange tracker's state over one stream: the phase each thread and the negotiation in
/// progress are in, how far the exchange has got, and facts for the findings. Bookkeeping, not
/// part of a summary's value: two summaries with the same counts and events are equal whatever
/// their contexts (hence the `PartialEq` that always holds).
#[derive(Debug, Clone, Default)]
pub struct DebugContext {
    /// The phase of each thread's last line, by thread number.
    pub(crate) threads: Vec<Option<Phase>>,
    /// The phase of the negotiation in progress (the last line placed in 1, 1.5 or 2).
    pub(crate) negotiation: Option<Phase>,
    /// The phase of each exchange by the message ID its messages carry, newest last (bounded).
    pub(crate) exchanges: std::collections::VecDeque<(String, Phase)>,
    /// The ISAKMP SA is up (phase 1 done) / an IPsec SA is up (phase 2 done).
    pub(crate) p1_up: bool,
    pub(crate) p2_up: bool,
    /// A phase 1 message carrying the key's proof was seen since phase 1 began.
    pub(crate) proof_seen: bool,
    /// Retransmissions seen.
    pub retransmits: usize,
    /// Retransmissions since an SA last came up: those no success followed.
    pub retransmits_unanswered_by_success: usize,
    /// Packets that came in after the first retransmission: the peer answered.
    pub answers_after_retransmit: usize,
    /// Retransmission limits reached ("giving up").
    pub give_ups: usize,
    /// Authentication failures reported in phase 1 before any message carried the key's
    /// proof: the peer refused what the first messages carry (the identity), not the key.
    pub auth_failed_before_proof: usize,
    /// Authentication failures reported after the key's proof was sent or received.
    pub auth_failed_after_proof: usize,
}

impl PartialEq for DebugContext {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for DebugContext {}

impl DebugSummary {
    pub const MAX_FAILURE_EVENTS: usize = 1000;

    pub fn count(&self, phase: Phase) -> usize {
        let i = Phase::ALL.iter().position(|p| *p == phase).unwrap_or(4);
        self.by_phase[i]
    }

    /// Count one event, keeping it in `events` when `keep_all`.
    pub fn record(&mut self, event: DebugEvent, keep_all: bool) {
        self.lines += 1;
        let i = Phase::ALL
            .iter()
            .position(|p| *p == event.phase)
            .unwrap_or(4);
        self.by_phase[i] += 1;
        if event.failure {
            self.failures += 1;
            if self.failure_events.len() < Self::MAX_FAILURE_EVENTS {
                self.failure_events.push(event.clone());
            } else {
                self.failures_dropped += 1;
            }
        }
        if keep_all {
            self.events.push(event);
        }
    }
}
