//! Running totals of one ping: sent, replied, lost, round-trip times, and the latest packets for
//! the screen. Fed with parser or runner events, in the order they came.

use super::PingEvent;
use crate::model::PingTally;
use std::collections::VecDeque;

/// Packets kept for the screen's per-packet strip.
const RECENT: usize = 120;

/// One packet's fate.
#[derive(Debug, Clone, PartialEq)]
pub struct PacketResult {
    pub seq: u32,
    /// `None`: no reply (yet).
    pub time_ms: Option<f64>,
    pub replied: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PingStats {
    /// Packets accounted for: answered or given up on. A packet still in flight is not counted.
    pub sent: u64,
    pub replied: u64,
    pub lost: u64,
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
    sum_ms: f64,
    timed: u64,
    /// The totals the ping printed, if it got that far.
    pub summary: Option<(u32, u32)>,
    pub errors: Vec<String>,
    pub started: bool,
    /// The process ended or the output reached its summary.
    pub finished: bool,
    pub stopped: bool,
    pub exit: Option<i32>,
    pub recent: VecDeque<PacketResult>,
}

/// Errors kept: the first few explain; more repeat them.
const MAX_ERRORS: usize = 8;

impl PingStats {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn avg_ms(&self) -> Option<f64> {
        (self.timed > 0).then(|| self.sum_ms / self.timed as f64)
    }

    /// Lost packets as a percentage of those sent.
    pub fn loss_percent(&self) -> Option<f64> {
        (self.sent > 0).then(|| self.lost as f64 * 100.0 / self.sent as f64)
    }

    pub fn running(&self) -> bool {
        !self.finished && (self.started || self.sent > 0)
    }

    pub fn record(&mut self, ev: &PingEvent) {
        match ev {
            PingEvent::Started { .. } => self.started = true,
            PingEvent::Reply { seq, time_ms } => {
                // The parser reports a packet's reply once; one for a packet already
                // accounted for is late, after it was given up on.
                let late = u64::from(*seq) <= self.sent;
                self.sent = self.sent.max(u64::from(*seq));
                self.replied += 1;
                if late {
                    self.lost = self.lost.saturating_sub(1);
                }
                if let Some(t) = time_ms {
                    self.min_ms = Some(self.min_ms.map_or(*t, |m| m.min(*t)));
                    self.max_ms = Some(self.max_ms.map_or(*t, |m| m.max(*t)));
                    self.sum_ms += t;
                    self.timed += 1;
                }
                if let Some(p) = self.recent.iter_mut().find(|p| late && p.seq == *seq) {
                    p.replied = true;
                    p.time_ms = *time_ms;
                    p.reason = None;
                } else {
                    self.push(PacketResult {
                        seq: *seq,
                        time_ms: *time_ms,
                        replied: true,
                        reason: None,
                    });
                }
            }
            PingEvent::Lost { seq, reason } => {
                self.sent = self.sent.max(u64::from(*seq));
                self.lost += 1;
                self.push(PacketResult {
                    seq: *seq,
                    time_ms: None,
                    replied: false,
                    reason: reason.clone(),
                });
            }
            PingEvent::Summary { sent, received } => {
                self.summary = Some((*sent, *received));
                self.finished = true;
                self.sent = self.sent.max(u64::from(*sent));
                // Packets the lines did not account for (a form that prints only totals): the
                // summary says how many of them were answered.
                let unaccounted = self.sent.saturating_sub(self.replied + self.lost);
                if unaccounted > 0 {
                    let answered = u64::from(*received)
                        .saturating_sub(self.replied)
                        .min(unaccounted);
                    self.replied += answered;
                    self.lost += unaccounted - answered;
                }
            }
            PingEvent::Error(e) => {
                if self.errors.len() < MAX_ERRORS && !self.errors.contains(e) {
                    self.errors.push(e.clone());
                }
            }
            PingEvent::Finished { exit, stopped } => {
                self.finished = true;
                self.stopped = *stopped;
                self.exit = *exit;
            }
        }
    }

    fn push(&mut self, p: PacketResult) {
        self.recent.push_back(p);
        while self.recent.len() > RECENT {
            self.recent.pop_front();
        }
    }

    /// What the counter verdict needs; the caller adds times and the source.
    pub fn tally(&self) -> PingTally {
        PingTally {
            sent: self.sent,
            replied: self.replied,
            running: self.running(),
            ..PingTally::default()
        }
    }
}
