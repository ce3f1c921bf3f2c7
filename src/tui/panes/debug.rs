//! The debug stream: timestamped lines coloured by phase, failures red and bold, the selected
//! line's exchange highlighted, follow or frozen, filtered and searched. Long lines wrap under
//! their text column (or take one line each, scrolled sideways). Only the lines on screen are
//! looked at: a frame costs a screenful, whatever the scrollback holds. Each line is laid out
//! and styled once (see `debug_cache`), and a phase filter keeps an index of the lines it lets
//! through, so a rare phase does not send a frame through the whole scrollback.

use super::app::App;
use super::debug_cache::{IndexCache, LineCache, PhaseIndex, Rows};
use super::debuglog::{DebugLog, Entry, Stamped};
use super::theme::{accent, dim, entry_style, phase_style};
use super::width::{for_screen, skip_cols, wrap};
use crate::model::Phase;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph, Widget};
use ratatui::Frame;
use std::borrow::Cow;
use std::cell::RefCell;

/// What the pane keeps between frames (see `debug_cache`). Drawing takes `&App`, so it lives
/// here, one per drawing thread.
#[derive(Default)]
pub(super) struct Cache {
    lines: LineCache<Shape>,
    index: IndexCache,
    /// The merged stream of two ends (see `merged`): its lines, keyed by sequence number and
    /// router, and one phase index per end.
    pub(super) merged: LineCache<(Shape, usize)>,
    pub(super) ends: [IndexCache; 2],
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

/// Run `f` with this thread's cache.
pub(super) fn with_cache<R>(f: impl FnOnce(&mut Cache) -> R) -> R {
    CACHE.with(|c| match c.try_borrow_mut() {
        Ok(mut c) => f(&mut c),
        // Drawing is not reentrant; should it ever be, an empty cache is still right.
        Err(_) => f(&mut Cache::default()),
    })
}

/// Columns before the text: `HH:MM:SS.mmm ` and the phase tag.
const STAMP_W: usize = 13;
const TAG_W: usize = 5;

/// How a line is laid out in this pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Shape {
    /// Timestamp shown (wide enough panes).
    stamp: bool,
    /// Columns before the text (continuation rows are indented by as much).
    indent: usize,
    /// Columns for the text.
    text_w: usize,
    wrap: bool,
    /// Columns scrolled sideways (0 when wrapping: it has no effect then).
    hscroll: usize,
}

impl Shape {
    pub(super) fn new(width: usize, wrap: bool, hscroll: usize) -> Shape {
        let stamp = width >= 40;
        let indent = if stamp { STAMP_W + TAG_W } else { TAG_W };
        // In a very narrow pane the text takes the whole width under the tag.
        let indent = if width >= indent + 10 { indent } else { 0 };
        Shape {
            stamp,
            indent,
            text_w: width.saturating_sub(indent).max(1),
            wrap,
            hscroll: if wrap { 0 } else { hscroll },
        }
    }

    /// The line's rows as drawn, before the marks of the moment (selection, the selected
    /// line's exchange, a search hit): each row's spans, the text last, in the entry's style.
    pub(super) fn lay(&self, s: &Stamped) -> Rows {
        let text = for_screen(s.text());
        let pieces = if self.wrap {
            wrap(&text, self.text_w)
        } else {
            vec![(0, text.len())]
        };
        let style = entry_style(&s.entry);
        let mut rows = Vec::with_capacity(pieces.len());
        for (k, &(a, b)) in pieces.iter().enumerate() {
            let mut spans = Vec::with_capacity(3);
            if k == 0 && self.indent > 0 {
                if self.stamp {
                    spans.push(Span::styled(
                        format!("{:<12} ", crate::live::debuglog::show_stamp(s.at)),
                        dim(),
                    ));
                }
                spans.push(match &s.entry {
                    Entry::Mark(_) => Span::styled(" **  ", accent()),
                    Entry::Line(e) => Span::styled(
                        format!("{:>4} ", e.phase.as_str().replace("none", "")),
                        phase_style(e.phase),
                    ),
                });
            } else if self.indent > 0 {
                spans.push(Span::raw(" ".repeat(self.indent)));
            }
            let piece = &text[a..b];
            let piece = if self.wrap {
                Cow::Borrowed(piece)
            } else {
                skip_cols(piece, self.hscroll)
            };
            spans.push(Span::styled(piece.into_owned(), style));
            rows.push(spans);
        }
        rows
    }
}

/// The lines that pass the filter, by index into the log: straight from the log without a
/// filter, from the filter's index with one.
#[derive(Clone, Copy)]
pub(super) enum Shown<'a> {
    All(&'a DebugLog),
    Only(&'a PhaseIndex, usize),
}

impl<'a> Shown<'a> {
    /// Indexes before `end`, newest first.
    pub(super) fn before(self, end: usize) -> Box<dyn Iterator<Item = usize> + 'a> {
        match self {
            Shown::All(log) => Box::new(log.visible_rev(end, None)),
            Shown::Only(ix, dropped) => {
                Box::new(ix.before(dropped + end).map(move |q| q - dropped))
            }
        }
    }

    /// Indexes from `start` on, oldest first.
    pub(super) fn from(self, start: usize) -> Box<dyn Iterator<Item = usize> + 'a> {
        match self {
            Shown::All(log) => Box::new(log.visible_from(start, None)),
            Shown::Only(ix, dropped) => {
                Box::new(ix.from(dropped + start).map(move |q| q - dropped))
            }
        }
    }
}

/// What the pane shows of a stream: the view's settings, and whose stream it is (the
/// filter's index is kept per router).
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub router: usize,
    pub follow: bool,
    pub selected: Option<usize>,
    pub search: &'a str,
    pub filter: Option<Phase>,
    pub wrap: bool,
    pub hscroll: usize,
}

pub fn draw(f: &mut Frame, app: &App, area: Rect, block: Block) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    let r = app.router();
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let view = View {
        router: app.current,
        follow: app.debug.follow,
        selected: app.debug.selected,
        search: &app.debug.search,
        filter: app.debug.filter,
        wrap: app.debug.wrap,
        hscroll: app.debug.hscroll,
    };
    if !draw_stream(f.buffer_mut(), inner, &r.debug, &view) {
        let hint = match r.status.as_ref().map(|s| s.debug_on) {
            Some(true) => "debug is on: waiting for ISAKMP activity...".to_string(),
            _ => format!(
                "no debug lines yet: press d to turn ISAKMP debug on ({})",
                app.live
                    .opts
                    .dialect
                    .command(&crate::model::Cmd::Debug(true))
            ),
        };
        f.render_widget(Paragraph::new(Span::styled(hint, dim())), inner);
    }
}

/// Draw the lines of `log` that `view` shows into `inner`; false when it shows none.
pub fn draw_stream(buf: &mut Buffer, inner: Rect, log: &DebugLog, view: &View) -> bool {
    let rows = inner.height as usize;
    if rows == 0 || inner.width == 0 {
        return true;
    }
    let shape = Shape::new(inner.width as usize, view.wrap, view.hscroll);
    with_cache(|cache| {
        let index = view.filter.map(|p| cache.index.update(view.router, p, log));
        let shown = match index {
            Some(ix) => Shown::Only(ix, log.dropped()),
            None => Shown::All(log),
        };
        let laid = &mut cache.lines;
        laid.next_frame();
        // How many rows line `i` takes (laid out now unless it was on screen before).
        let mut height = |i: usize| {
            log.get(i).map_or(0, |s| {
                laid.lay(log.dropped() + i, s, shape, || shape.lay(s))
                    .max(1)
            })
        };
        // Which lines, oldest first.
        let mut chosen: Vec<usize> = Vec::with_capacity(rows);
        let mut used = 0;
        let anchor = if view.follow { None } else { view.selected };
        match anchor {
            None => {
                // Whole lines only: a line cut at the top reads as a different line.
                for i in shown.before(log.len()) {
                    let n = height(i);
                    if used + n > rows && !chosen.is_empty() {
                        break;
                    }
                    used += n;
                    chosen.push(i);
                }
                chosen.reverse();
            }
            Some(sel) => {
                // Frozen: the selected line about the middle, lines after it below, then fill.
                let mut after = Vec::new();
                for i in shown.from(sel) {
                    if used >= rows.div_ceil(2) && !after.is_empty() {
                        break;
                    }
                    used += height(i);
                    after.push(i);
                }
                let first = after.first().map_or(log.len(), |&i| i);
                for i in shown.before(first) {
                    let n = height(i);
                    if used + n > rows {
                        break;
                    }
                    used += n;
                    chosen.push(i);
                }
                chosen.reverse();
                let last = after.last().map_or(first, |&i| i + 1);
                chosen.extend(after);
                for i in shown.from(last) {
                    let n = height(i);
                    if used + n > rows {
                        break;
                    }
                    used += n;
                    chosen.push(i);
                }
            }
        }
        if chosen.is_empty() {
            laid.forget_unused();
            return false;
        }
        let selected_exchange = view
            .selected
            .and_then(|i| log.get(i))
            .and_then(|s| s.exchange());
        let needle = view.search.to_lowercase();
        // The marks of the moment on each line's text.
        let marks: Vec<(usize, Style)> = chosen
            .iter()
            .filter_map(|&i| {
                let s = log.get(i)?;
                let seq = log.dropped() + i;
                let mut style = entry_style(&s.entry);
                if let (Some(x), Some(mine)) = (selected_exchange, s.exchange()) {
                    if x.same_exchange(mine) {
                        style = style.bg(Color::Rgb(40, 40, 70));
                    }
                }
                if !needle.is_empty() && laid.lower(seq, s).contains(needle.as_str()) {
                    style = style.add_modifier(Modifier::UNDERLINED);
                }
                if view.selected == Some(i) && !view.follow {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                Some((seq, style))
            })
            .collect();
        let lines = laid.styled(marks, rows);
        // Lines after the selected one may overflow: the pane cuts them at its bottom. Only a
        // line taller than the pane overflows when following: its start shows.
        Paragraph::new(lines).render(inner, buf);
        laid.forget_unused();
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DebugEvent, ExchangeRef};

    /// Line `n` of a varied stream: every phase, failures, marks, lines long enough to wrap,
    /// a few exchanges.
    fn entry(n: usize) -> Stamped {
        if n.is_multiple_of(37) {
            return Stamped {
                at: Default::default(),
                entry: Entry::Mark(format!("link lost ({n})")),
            };
        }
        let phase = match n % 11 {
            0 => Phase::OneAndHalf,
            1..=4 => Phase::One,
            5..=8 => Phase::Two,
            _ => Phase::Info,
        };
        let text = format!(
            "ISAKMP: Exchange {}: line {n} NOTIFY{}",
            n % 9,
            " with more words".repeat(n % 13)
        );
        Stamped {
            at: Default::default(),
            entry: Entry::Line(DebugEvent {
                line: n,
                file: None,
                time: None,
                phase,
                failure: n.is_multiple_of(17),
                text,
                exchange: ExchangeRef {
                    exchange_id: Some((n % 9) as u32),
                    ..Default::default()
                },
            }),
        }
    }

    fn drawn(log: &DebugLog, view: &View, area: Rect) -> (bool, Buffer) {
        let mut buf = Buffer::empty(area);
        let any = draw_stream(&mut buf, area, log, view);
        (any, buf)
    }

    /// What a frame shows never depends on what the cache kept from earlier frames: frame
    /// after frame, as lines arrive and old ones drop off, with the view changing (filters,
    /// a search, frozen on a line, wrapping or not, another width, another router), the warm
    /// cache draws what an empty one (a fresh thread) draws.
    #[test]
    fn a_cached_frame_is_the_frame_drawn_afresh() {
        let mut log = DebugLog::new(80);
        let mut other = DebugLog::new(80);
        let mut n = 0;
        let mut seed = 7u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let filters = [
            None,
            Some(Phase::OneAndHalf),
            Some(Phase::Two),
            Some(Phase::Info),
        ];
        let searches = ["", "notify", "line 1", "absent"];
        for step in 0..300 {
            for _ in 0..next(12) {
                log.push(entry(n));
                other.push(entry(n + 5));
                n += 1;
            }
            let router = usize::from(next(5) == 0);
            let shown = if router == 0 { &log } else { &other };
            let search = searches[next(4) as usize];
            let view = View {
                router,
                follow: next(3) != 0,
                selected: Some(next(shown.len().max(1) as u64) as usize),
                search,
                filter: filters[next(4) as usize],
                wrap: next(4) != 0,
                hscroll: next(30) as usize,
            };
            let area = Rect::new(0, 0, [30, 80, 120][next(3) as usize], 12);
            let warm = drawn(shown, &view, area);
            let cold = std::thread::scope(|s| {
                s.spawn(|| drawn(shown, &view, area))
                    .join()
                    .expect("drawing thread")
            });
            assert_eq!(warm, cold, "step {step}, {view:?}, {area:?}");
        }
    }

    /// With a filter no line passes, nothing is drawn (marks pass every filter).
    #[test]
    fn a_filter_nothing_passes_draws_nothing() {
        let mut log = DebugLog::new(100);
        for n in 1..30 {
            if n % 11 != 0 {
                log.push(entry(n));
            }
        }
        let view = View {
            router: 0,
            follow: true,
            selected: None,
            search: "",
            filter: Some(Phase::OneAndHalf),
            wrap: true,
            hscroll: 0,
        };
        let area = Rect::new(0, 0, 60, 5);
        assert!(!drawn(&log, &view, area).0);
        log.push(entry(11));
        let (any, buf) = drawn(&log, &view, area);
        assert!(any);
        let top: String = (0..60).map(|x| buf[(x, 0)].symbol()).collect();
        assert!(top.contains("line 11 NOTIFY"), "{top}");
    }
}
