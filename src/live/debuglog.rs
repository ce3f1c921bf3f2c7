//! The debug stream of one router as the live room keeps it: a bounded scrollback of unsolicited lines with
//! their arrival time and classification, plus marks (drops, returns), with search and a
//! phase filter. Bounded twice: in lines, and in bytes (a flood of long lines must not grow
//! memory without limit); a line longer than [`MAX_LINE_BYTES`] is cut, keeping a marker with
//! its full length.

use crate::model::{DebugEvent, ExchangeRef, Phase};
use std::collections::VecDeque;

/// Default scrollback, in lines.
pub const DEFAULT_SCROLLBACK: usize = 100_000;

/// Default scrollback, in bytes (text plus each entry's own size, see [`DebugLog::bytes`]).
/// 100 000 ordinary lines (about 250 bytes each) take about 25 MB, well under it; a flood of
/// cut lines stops here, which is most of what the screen keeps (the program's whole budget
/// is about 200 MB of RSS).
pub const DEFAULT_SCROLLBACK_BYTES: usize = 48 << 20;

/// A line longer than this (bytes of text) is cut; the marker says how long it was.
pub const MAX_LINE_BYTES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Line(DebugEvent),
    /// A mark put in the stream by tunnelscope (link lost, back, router restarted).
    Mark(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped {
    /// Arrival time.
    pub at: Stamp,
    pub entry: Entry,
}

impl Stamped {
    pub fn text(&self) -> &str {
        match &self.entry {
            Entry::Line(e) => &e.text,
            Entry::Mark(m) => m,
        }
    }
    pub fn phase(&self) -> Phase {
        match &self.entry {
            Entry::Line(e) => e.phase,
            Entry::Mark(_) => Phase::None,
        }
    }
    pub fn failure(&self) -> bool {
        matches!(&self.entry, Entry::Line(e) if e.failure)
    }
    pub fn exchange(&self) -> Option<&ExchangeRef> {
        match &self.entry {
            Entry::Line(e) if !e.exchange.is_empty() => Some(&e.exchange),
            _ => None,
        }
    }
}

/// When a line arrived: a time of day, typed (shown as `HH:MM:SS.mmm`), never text parsed back.
pub type Stamp = jiff::civil::Time;

/// Now, as a time of day in the machine's time zone (the router's own clock is not known).
pub fn now_stamp() -> Stamp {
    jiff::Zoned::now().time()
}

/// `HH:MM:SS.mmm`, as the screen and the files show a stamp.
pub fn show_stamp(t: Stamp) -> String {
    format!("{t:.3}")
}

/// Cut `text` to at most [`MAX_LINE_BYTES`] (on a character boundary) plus a marker naming
/// its length; the cut string gives its spare capacity back.
pub fn cut_long(text: &mut String) {
    if text.len() <= MAX_LINE_BYTES {
        return;
    }
    let full = text.len();
    let mut end = MAX_LINE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(&format!(" …[line cut: {full} bytes in all]"));
    text.shrink_to_fit();
}

/// Whether a line passes the phase filter (marks always do).
fn shows(s: &Stamped, phase: Option<Phase>) -> bool {
    phase.is_none_or(|p| s.phase() == p || matches!(s.entry, Entry::Mark(_)))
}

/// What one entry costs, as counted against the byte cap.
fn cost(s: &Stamped) -> usize {
    let strings = match &s.entry {
        Entry::Line(e) => {
            e.text.capacity()
                + e.file.as_ref().map_or(0, String::capacity)
                + e.exchange.peer.as_ref().map_or(0, String::capacity)
                + e.exchange.cookie.as_ref().map_or(0, String::capacity)
        }
        Entry::Mark(m) => m.capacity(),
    };
    std::mem::size_of::<Stamped>() + strings
}

#[derive(Debug, Clone)]
pub struct DebugLog {
    lines: VecDeque<Stamped>,
    cap: usize,
    byte_cap: usize,
    /// What the kept entries cost (see [`cost`]).
    bytes: usize,
    /// Lines dropped off the front, so indexes stay meaningful to the viewer.
    dropped: usize,
}

impl Default for DebugLog {
    fn default() -> Self {
        DebugLog::new(DEFAULT_SCROLLBACK)
    }
}

impl DebugLog {
    pub fn new(cap: usize) -> Self {
        DebugLog::with_byte_cap(cap, DEFAULT_SCROLLBACK_BYTES)
    }

    /// At most `cap` lines and `byte_cap` bytes (the newest line is always kept).
    pub fn with_byte_cap(cap: usize, byte_cap: usize) -> Self {
        DebugLog {
            lines: VecDeque::new(),
            cap: cap.max(10),
            byte_cap: byte_cap.max(MAX_LINE_BYTES * 4),
            bytes: 0,
            dropped: 0,
        }
    }

    pub fn push(&mut self, mut s: Stamped) {
        match &mut s.entry {
            Entry::Line(e) => cut_long(&mut e.text),
            Entry::Mark(m) => cut_long(m),
        }
        let c = cost(&s);
        while !self.lines.is_empty()
            && (self.lines.len() >= self.cap || self.bytes + c > self.byte_cap)
        {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= cost(&old);
                self.dropped += 1;
            }
        }
        self.bytes += c;
        self.lines.push_back(s);
    }

    /// What the kept lines cost: their text and each entry's own size. At most the byte cap
    /// given at creation (plus one line, the newest, when it alone is larger).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Lines pushed in all (including those dropped from the front).
    pub fn total(&self) -> usize {
        self.dropped + self.lines.len()
    }

    pub fn dropped(&self) -> usize {
        self.dropped
    }

    pub fn get(&self, i: usize) -> Option<&Stamped> {
        self.lines.get(i)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Stamped> {
        self.lines.iter()
    }

    /// Visible indexes (see [`DebugLog::visible`]) before `end`, newest first. Lazy: it costs
    /// the lines taken, not the whole scrollback (a frame draws a screenful).
    pub fn visible_rev(
        &self,
        end: usize,
        phase: Option<Phase>,
    ) -> impl Iterator<Item = usize> + '_ {
        self.lines
            .range(..end.min(self.lines.len()))
            .enumerate()
            .rev()
            .filter(move |(_, s)| shows(s, phase))
            .map(|(i, _)| i)
    }

    /// Visible indexes from `start` on, oldest first; lazy like [`DebugLog::visible_rev`].
    pub fn visible_from(
        &self,
        start: usize,
        phase: Option<Phase>,
    ) -> impl Iterator<Item = usize> + '_ {
        let start = start.min(self.lines.len());
        self.lines
            .range(start..)
            .enumerate()
            .filter(move |(_, s)| shows(s, phase))
            .map(move |(k, _)| start + k)
    }

    /// Indexes of lines that pass the phase filter (all when `None`).
    pub fn visible(&self, phase: Option<Phase>) -> Vec<usize> {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, s)| shows(s, phase))
            .map(|(i, _)| i)
            .collect()
    }

    /// The next visible line after (or before) `from` whose text contains `needle`
    /// (case-insensitive), wrapping around.
    pub fn find(
        &self,
        visible: &[usize],
        from: usize,
        needle: &str,
        forward: bool,
    ) -> Option<usize> {
        if visible.is_empty() || needle.is_empty() {
            return None;
        }
        let needle = needle.to_lowercase();
        let pos = visible
            .iter()
            .position(|&i| i >= from)
            .unwrap_or(visible.len() - 1);
        let n = visible.len();
        for step in 1..=n {
            let k = if forward {
                (pos + step) % n
            } else {
                (pos + n - step % n) % n
            };
            let i = visible[k];
            if self.lines[i].text().to_lowercase().contains(&needle) {
                return Some(i);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, phase: Phase) -> Stamped {
        Stamped {
            at: Stamp::midnight(),
            entry: Entry::Line(DebugEvent {
                line: 1,
                file: None,
                time: None,
                phase,
                failure: false,
                text: text.into(),
                exchange: ExchangeRef::default(),
            }),
        }
    }

    #[test]
    fn bounded_filter_and_search() {
        let mut log = DebugLog::new(10);
        for i in 0..25 {
            let p = if i % 2 == 0 { Phase::One } else { Phase::Two };
            log.push(line(&format!("line {i}"), p));
        }
        assert_eq!(log.len(), 10);
        assert_eq!(log.total(), 25);
        let ones = log.visible(Some(Phase::One));
        assert_eq!(ones.len(), 5);
        let all = log.visible(None);
        let hit = log.find(&all, 0, "LINE 2", true).unwrap();
        assert_eq!(log.get(hit).unwrap().text(), "line 20");
        let back = log.find(&all, hit, "line 2", false).unwrap();
        assert!(log.get(back).unwrap().text().starts_with("line 2"));
        assert_eq!(log.find(&all, 0, "absent", true), None);
    }
}
