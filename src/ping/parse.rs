//! The incremental ping parser: lines in, per-packet events out, in packet order. It numbers
//! packets from 1 in every form, reports a packet as lost when a later one is answered first
//! (iputils prints nothing for a lost packet without `-O`), turns a late reply into a reply,
//! drops duplicates, and accounts for unanswered packets at the summary.

use super::form::PingForm;
use super::patterns::{classify, Line, Seq};
use super::PingEvent;
use std::collections::BTreeMap;

/// How many recent packets to remember, to recognise late replies and duplicates.
const WINDOW: u32 = 4096;
/// A summary claiming far more packets than seen is garbage, not a reason to invent losses.
const MAX_TAIL: u32 = 100_000;
/// `icmp_seq` is 16 bits wide and wraps in long runs.
const SEQ_SPAN: u32 = 1 << 16;

#[derive(Debug, Clone)]
pub struct PingParser {
    form: PingForm,
    /// Highest packet number reported so far (0: none).
    highest: u32,
    /// Recent packets: `true` answered, `false` reported lost.
    status: BTreeMap<u32, bool>,
    /// Wraps of `icmp_seq` seen.
    epoch: u32,
    /// Replies and ICMP errors reported (Windows counts the latter as received).
    replies: u32,
    icmp_errors: u32,
    /// Added to printed numbers: 1 once a router-form ping is seen to count from 0.
    offset: u32,
}

impl PingParser {
    pub fn new(form: PingForm) -> Self {
        PingParser {
            form,
            highest: 0,
            status: BTreeMap::new(),
            epoch: 0,
            offset: 0,
            replies: 0,
            icmp_errors: 0,
        }
    }

    pub fn form(&self) -> PingForm {
        self.form
    }

    /// Read one line (with or without its line end); returns what it says, in packet order.
    pub fn feed(&mut self, line: &str) -> Vec<PingEvent> {
        let mut out = Vec::new();
        match classify(self.form, line) {
            Line::Reply { seq, time_ms } => {
                let seq = self.number(seq);
                match self.status.get(&seq) {
                    Some(true) => {} // a duplicate
                    Some(false) => {
                        self.status.insert(seq, true); // late, after we gave up on it
                        self.replies = self.replies.saturating_add(1);
                        out.push(PingEvent::Reply { seq, time_ms });
                    }
                    None if seq <= self.highest => {} // older than the window
                    None => {
                        self.fill_gap(seq, &mut out);
                        self.mark(seq, true);
                        self.replies = self.replies.saturating_add(1);
                        out.push(PingEvent::Reply { seq, time_ms });
                    }
                }
            }
            Line::Lost { seq, reason } => {
                let seq = self.number(seq);
                if seq > self.highest {
                    self.fill_gap(seq, &mut out);
                    self.mark(seq, false);
                    if reason.is_some() {
                        self.icmp_errors = self.icmp_errors.saturating_add(1);
                    }
                    out.push(PingEvent::Lost { seq, reason });
                }
                // Otherwise already reported (gap, timeout line after an ICMP error line).
            }
            Line::Summary { sent, received } => {
                // Packets after the last one printed got no reply, if the lines account for
                // every reply the summary counts; otherwise the lines are incomplete and the
                // totals are left to speak for themselves.
                let accounted = received <= self.replies.saturating_add(self.icmp_errors);
                if accounted && sent > self.highest && sent - self.highest <= MAX_TAIL {
                    for seq in self.highest + 1..=sent {
                        self.mark(seq, false);
                        out.push(PingEvent::Lost { seq, reason: None });
                    }
                }
                out.push(PingEvent::Summary { sent, received });
            }
            Line::Error(e) => out.push(PingEvent::Error(e)),
            Line::Noise | Line::Other => {}
        }
        out
    }

    /// Read a line of the error stream: what `feed` does not understand there is still a
    /// problem worth showing, as an error.
    pub fn feed_stderr(&mut self, line: &str) -> Vec<PingEvent> {
        let trimmed = line.trim();
        if !trimmed.is_empty() && classify(self.form, trimmed) == Line::Other {
            return vec![PingEvent::Error(trimmed.to_string())];
        }
        self.feed(line)
    }

    /// The packet number of a line: the next one when none was printed; a printed one
    /// unwrapped past 65535.
    fn number(&mut self, seq: Seq) -> u32 {
        match seq {
            Seq::Next => self.highest.saturating_add(1),
            // The router form reads unknown pings; one that starts at 0 counts from 0.
            Seq::Num(0) if self.form == PingForm::Router && self.highest == 0 => {
                self.offset = 1;
                1
            }
            Seq::Num(n) if self.offset > 0 => self.unwrap(n.saturating_add(self.offset)),
            Seq::Num(n) => self.unwrap(n),
        }
    }

    fn unwrap(&mut self, n: u32) -> u32 {
        match n {
            n if n < SEQ_SPAN && self.form != PingForm::Windows => {
                let mut full = self.epoch.saturating_mul(SEQ_SPAN).saturating_add(n);
                if full.saturating_add(SEQ_SPAN / 2) < self.highest {
                    self.epoch = self.epoch.saturating_add(1);
                    full = full.saturating_add(SEQ_SPAN);
                } else if self.epoch > 0 && full > self.highest.saturating_add(SEQ_SPAN / 2) {
                    full -= SEQ_SPAN; // a late reply from before the wrap
                }
                full
            }
            n => n,
        }
    }

    /// Packets skipped between the last one and `seq` got no answer (yet).
    fn fill_gap(&mut self, seq: u32, out: &mut Vec<PingEvent>) {
        if seq.saturating_sub(self.highest) > MAX_TAIL {
            return;
        }
        for missing in self.highest.saturating_add(1)..seq {
            self.status.insert(missing, false);
            out.push(PingEvent::Lost {
                seq: missing,
                reason: None,
            });
        }
    }

    fn mark(&mut self, seq: u32, replied: bool) {
        self.status.insert(seq, replied);
        self.highest = self.highest.max(seq);
        let floor = self.highest.saturating_sub(WINDOW);
        while let Some((&first, _)) = self.status.first_key_value() {
            if first >= floor {
                break;
            }
            self.status.remove(&first);
        }
    }
}
