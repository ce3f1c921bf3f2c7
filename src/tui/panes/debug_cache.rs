//! What the debug pane keeps from one frame to the next, so a frame costs the lines it shows:
//! the lines on screen laid out and styled (by their sequence number in the stream, checked
//! against the entry itself on reuse, so a stale one is never drawn), and, while a phase
//! filter is on, the sequence numbers of the lines it lets through, extended by the lines that
//! arrived since the last frame. A laid-out line is checked against its entry before reuse;
//! the index knows its log again by the router and the last line it looked at, and looks at
//! any other log afresh.

use super::debuglog::{DebugLog, Entry, Stamped};
use crate::model::Phase;
use ratatui::text::Span;
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

/// One laid-out line's rows: each row's spans, the text last.
pub(super) type Rows = Vec<Vec<Span<'static>>>;

struct Laid<K> {
    /// The entry it was laid out from, and how (the pane's shape).
    src: Stamped,
    key: K,
    rows: Rows,
    /// The text in lower case, for the search (made when first searched).
    lower: Option<String>,
    /// The frame that last used it.
    used: u64,
}

/// The lines of the last frame, laid out, by sequence number (see [`DebugLog::dropped`]).
pub(super) struct LineCache<K> {
    map: HashMap<usize, Laid<K>>,
    frame: u64,
}

impl<K> Default for LineCache<K> {
    fn default() -> Self {
        LineCache {
            map: HashMap::new(),
            frame: 0,
        }
    }
}

impl<K: Copy + PartialEq> LineCache<K> {
    pub fn next_frame(&mut self) {
        self.frame += 1;
    }

    /// Line `seq` (entry `s`) laid out with `key` by `lay`, or kept from an earlier frame when
    /// the same entry was laid out the same way; its rows.
    pub fn lay(&mut self, seq: usize, s: &Stamped, key: K, lay: impl FnOnce() -> Rows) -> usize {
        let frame = self.frame;
        match self.map.get_mut(&seq) {
            Some(l) if l.key == key && l.src == *s => {
                l.used = frame;
                l.rows.len()
            }
            _ => {
                let rows = lay();
                let n = rows.len();
                let laid = Laid {
                    src: s.clone(),
                    key,
                    rows,
                    lower: None,
                    used: frame,
                };
                self.map.insert(seq, laid);
                n
            }
        }
    }

    /// Line `seq`'s text in lower case (made once per line laid out).
    pub fn lower(&mut self, seq: usize, s: &Stamped) -> Cow<'_, str> {
        match self.map.get_mut(&seq) {
            Some(l) if l.src == *s => {
                Cow::Borrowed(l.lower.get_or_insert_with(|| s.text().to_lowercase()))
            }
            _ => Cow::Owned(s.text().to_lowercase()),
        }
    }

    /// The rows of line `seq`, as laid out by [`LineCache::lay`] this frame.
    /// The cached rows of the lines `marks` names, each with the style of its mark on its text
    /// (the last span), borrowed, not copied: what a pane draws this frame.
    pub fn styled(
        &self,
        marks: Vec<(usize, ratatui::style::Style)>,
        rows: usize,
    ) -> Vec<ratatui::text::Line<'_>> {
        let mut lines = Vec::with_capacity(rows + 8);
        for (seq, style) in marks {
            for row in self.rows(seq) {
                let n = row.len();
                let spans: Vec<Span> = row
                    .iter()
                    .enumerate()
                    .map(|(k, sp)| Span {
                        content: std::borrow::Cow::Borrowed(&sp.content),
                        style: if k + 1 == n { style } else { sp.style },
                    })
                    .collect();
                lines.push(ratatui::text::Line::from(spans));
            }
        }
        lines
    }

    pub fn rows(&self, seq: usize) -> &[Vec<Span<'static>>] {
        self.map.get(&seq).map_or(&[], |l| &l.rows)
    }

    /// Drop the lines this frame did not use (the cache holds a screenful).
    pub fn forget_unused(&mut self) {
        let frame = self.frame;
        self.map.retain(|_, l| l.used == frame);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

/// Whether a phase filter lets an entry through (marks always pass).
pub(super) fn passes(s: &Stamped, phase: Phase) -> bool {
    s.phase() == phase || matches!(s.entry, Entry::Mark(_))
}

/// The lines one phase filter lets through, as sequence numbers.
pub(super) struct PhaseIndex {
    router: usize,
    phase: Phase,
    /// Sequence numbers of the passing lines still in the log, oldest first.
    seqs: VecDeque<usize>,
    /// Lines looked at so far (every sequence number below this one).
    scanned: usize,
    /// The last line looked at, to know the log again (another log with as many lines is
    /// looked at from its start).
    last: Option<Stamped>,
}

impl PhaseIndex {
    fn new(router: usize, phase: Phase) -> PhaseIndex {
        PhaseIndex {
            router,
            phase,
            seqs: VecDeque::new(),
            scanned: 0,
            last: None,
        }
    }

    /// Whether this index was made from `log` (as far as it was looked at).
    fn knows(&self, router: usize, phase: Phase, log: &DebugLog) -> bool {
        if self.router != router || self.phase != phase || self.scanned > log.total() {
            return false;
        }
        let Some(last) = &self.last else {
            return self.scanned == 0;
        };
        // The last line looked at must still be there, and be the same line.
        let at = self.scanned - 1;
        at >= log.dropped() && log.get(at - log.dropped()) == Some(last)
    }

    /// Passing sequence numbers below `end`, newest first.
    pub fn before(&self, end: usize) -> impl Iterator<Item = usize> + '_ {
        let k = self.seqs.partition_point(|&q| q < end);
        self.seqs.range(..k).rev().copied()
    }

    /// Passing sequence numbers from `start` on, oldest first.
    pub fn from(&self, start: usize) -> impl Iterator<Item = usize> + '_ {
        let k = self.seqs.partition_point(|&q| q < start);
        self.seqs.range(k..).copied()
    }
}

/// The index of the phase filter last drawn.
#[derive(Default)]
pub(super) struct IndexCache {
    ix: Option<PhaseIndex>,
}

impl IndexCache {
    /// The index of `phase` over `log` (router `router`), brought up to date: the lines that
    /// arrived since the last frame are looked at, those dropped are forgotten. A new filter,
    /// router or log is looked at whole, once.
    pub fn update(&mut self, router: usize, phase: Phase, log: &DebugLog) -> &PhaseIndex {
        let ix = match self.ix.take() {
            Some(ix) if ix.knows(router, phase, log) => ix,
            _ => PhaseIndex::new(router, phase),
        };
        let ix = self.ix.insert(ix);
        let dropped = log.dropped();
        while ix.seqs.front().is_some_and(|&q| q < dropped) {
            ix.seqs.pop_front();
        }
        let from = ix.scanned.max(dropped);
        for k in from - dropped..log.len() {
            if log.get(k).is_some_and(|s| passes(s, phase)) {
                ix.seqs.push_back(dropped + k);
            }
        }
        if log.total() > from {
            ix.last = log.iter().next_back().cloned();
        }
        ix.scanned = log.total();
        ix
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DebugEvent, ExchangeRef};

    fn line(n: usize, phase: Phase) -> Stamped {
        Stamped {
            at: jiff::civil::Time::midnight(),
            entry: Entry::Line(DebugEvent {
                line: n,
                file: None,
                time: None,
                phase,
                failure: false,
                text: format!("line {n}"),
                exchange: ExchangeRef::default(),
            }),
        }
    }

    fn phase_of(n: usize) -> Phase {
        if n.is_multiple_of(7) {
            Phase::OneAndHalf
        } else {
            Phase::Two
        }
    }

    /// What the index must say: the passing lines of the log, by sequence number.
    fn expected(log: &DebugLog, phase: Phase) -> Vec<usize> {
        log.iter()
            .enumerate()
            .filter(|(_, s)| passes(s, phase))
            .map(|(i, _)| log.dropped() + i)
            .collect()
    }

    #[test]
    fn index_follows_arrivals_and_drops() {
        let mut log = DebugLog::new(50);
        let mut cache = IndexCache::default();
        let mut n = 0;
        for burst in [3, 40, 1, 0, 75, 200, 5] {
            for _ in 0..burst {
                log.push(line(n, phase_of(n)));
                n += 1;
            }
            let ix = cache.update(0, Phase::OneAndHalf, &log);
            let got: Vec<usize> = ix.from(0).collect();
            assert_eq!(got, expected(&log, Phase::OneAndHalf), "after {n} lines");
            let mut rev: Vec<usize> = ix.before(usize::MAX).collect();
            rev.reverse();
            assert_eq!(rev, got);
        }
    }

    #[test]
    fn another_log_or_phase_is_looked_at_afresh() {
        let mut a = DebugLog::new(100);
        let mut b = DebugLog::new(100);
        for n in 0..30 {
            a.push(line(n, phase_of(n)));
            // Another log as long, other lines: not taken for the first.
            b.push(line(n + 1, phase_of(n + 1)));
        }
        let mut cache = IndexCache::default();
        cache.update(0, Phase::OneAndHalf, &a);
        let ix = cache.update(0, Phase::OneAndHalf, &b);
        assert_eq!(
            ix.from(0).collect::<Vec<_>>(),
            expected(&b, Phase::OneAndHalf)
        );
        let ix = cache.update(0, Phase::Two, &b);
        assert_eq!(ix.from(0).collect::<Vec<_>>(), expected(&b, Phase::Two));
        let ix = cache.update(1, Phase::Two, &a);
        assert_eq!(ix.from(0).collect::<Vec<_>>(), expected(&a, Phase::Two));
    }

    #[test]
    fn line_cache_keeps_a_screenful_and_never_a_stale_line() {
        let mut c: LineCache<u8> = LineCache::default();
        let mut laid = 0;
        let mut lay = |c: &mut LineCache<u8>, seq: usize, s: &Stamped, key: u8| {
            c.lay(seq, s, key, || {
                laid += 1;
                vec![vec![Span::raw(s.text().to_string())]]
            })
        };
        c.next_frame();
        for q in 0..10 {
            lay(&mut c, q, &line(q, Phase::One), 1);
        }
        c.forget_unused();
        c.next_frame();
        // The same lines again: nothing laid out; another entry under a known number is.
        for q in 5..10 {
            lay(&mut c, q, &line(q, Phase::One), 1);
        }
        lay(&mut c, 4, &line(99, Phase::One), 1);
        // Another shape: laid out again.
        lay(&mut c, 3, &line(3, Phase::One), 2);
        c.forget_unused();
        assert_eq!(c.len(), 7);
        assert_eq!(laid, 12);
        assert_eq!(c.rows(4)[0][0].content, "line 99");
        assert_eq!(c.lower(4, &line(99, Phase::One)), "line 99");
    }
}
