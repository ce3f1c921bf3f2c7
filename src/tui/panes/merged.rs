//! The debug stream of two ends as one: both routers' lines in arrival order (by their arrival
//! stamps), each led by a column naming its router, or one end's lines only. As with one
//! router, a frame looks at the lines on screen only: the two logs are merged from their ends
//! (or from the selected line) for as many lines as the pane shows, each line laid out once
//! and kept between frames, a phase filter answered from one index per end.

use super::debug::{with_cache, Shape, Shown};
use super::debug_cache::Rows;
use super::debuglog::{DebugLog, Stamp};
use super::theme::{end_style, entry_style};
use super::width::for_screen;
use crate::model::Phase;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Widget};
use std::iter::Peekable;

/// What the merged pane shows.
#[derive(Debug, Clone, Copy)]
pub struct MergedView<'a> {
    pub follow: bool,
    /// The selected line: its router and its index in that router's log.
    pub selected: Option<(usize, usize)>,
    pub search: &'a str,
    pub filter: Option<Phase>,
    pub wrap: bool,
    pub hscroll: usize,
    /// One end's lines only (`None`: both).
    pub end: Option<usize>,
}

/// A line of the merged stream: its router and its index in that router's log.
pub type At = (usize, usize);

const HALF_DAY_MS: i128 = 12 * 3600 * 1000;

/// Whether line `a` (arrival stamp, router) came after line `b`. Stamps are times of day: two
/// more than 12 hours apart straddle midnight. At the same millisecond the first router's
/// line is taken as the earlier.
fn after(a: (Stamp, usize), b: (Stamp, usize)) -> bool {
    let ms = |t: Stamp| t.duration_since(Stamp::midnight()).as_millis();
    let (x, y) = (ms(a.0), ms(b.0));
    if x == y {
        a.1 > b.1
    } else if (x - y).abs() > HALF_DAY_MS {
        x < y
    } else {
        x > y
    }
}

fn key(log: &DebugLog, i: usize, router: usize) -> (Stamp, usize) {
    (log.get(i).map_or(Stamp::midnight(), |s| s.at), router)
}

/// Two ends' shown lines merged, newest first or oldest first.
struct Merge<'a> {
    logs: [&'a DebugLog; 2],
    its: [Option<Peekable<Box<dyn Iterator<Item = usize> + 'a>>>; 2],
    newest_first: bool,
}

impl Iterator for Merge<'_> {
    type Item = At;
    fn next(&mut self) -> Option<At> {
        let a = self.its[0].as_mut().and_then(|i| i.peek().copied());
        let b = self.its[1].as_mut().and_then(|i| i.peek().copied());
        let pick = match (a, b) {
            (None, None) => return None,
            (Some(_), None) => 0,
            (None, Some(_)) => 1,
            (Some(x), Some(y)) => {
                let a_later = after(key(self.logs[0], x, 0), key(self.logs[1], y, 1));
                if a_later == self.newest_first {
                    0
                } else {
                    1
                }
            }
        };
        let i = self.its[pick].as_mut()?.next()?;
        Some((pick, i))
    }
}

/// The first index of `log` (router `router`) whose line came after `anchor`.
fn first_after(log: &DebugLog, router: usize, anchor: (Stamp, usize)) -> usize {
    let (mut lo, mut hi) = (0, log.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if after(key(log, mid, router), anchor) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// The router's column: its name, cut to `w - 1` columns, and a space.
fn label_cell(label: &str, w: usize) -> String {
    let t = for_screen(label);
    let name: String = t.chars().take(w.saturating_sub(1)).collect();
    format!("{name:<0$} ", w.saturating_sub(1))
}

/// Draw the lines of `logs` that `view` shows into `inner`; false when it shows none.
pub fn draw_merged(
    buf: &mut Buffer,
    inner: Rect,
    logs: [&DebugLog; 2],
    labels: [&str; 2],
    view: &MergedView,
) -> bool {
    let rows = inner.height as usize;
    if rows == 0 || inner.width == 0 {
        return true;
    }
    let width = inner.width as usize;
    let name_w = labels
        .iter()
        .map(|l| for_screen(l).chars().count())
        .max()
        .unwrap_or(0)
        .min(12)
        + 1;
    // A narrow pane gives the router's column up before the text.
    let label_w = if width >= name_w + 30 { name_w } else { 0 };
    let shape = Shape::new(width - label_w, view.wrap, view.hscroll);
    let shows = |i: usize| view.end.is_none_or(|e| e == i);
    with_cache(|cache| {
        let laid = &mut cache.merged;
        let [e0, e1] = &mut cache.ends;
        let ix = match view.filter {
            Some(p) => [
                Some(e0.update(0, p, logs[0])),
                Some(e1.update(1, p, logs[1])),
            ],
            None => [None, None],
        };
        let shown = |i: usize| -> Option<Shown> {
            shows(i).then(|| match ix[i] {
                Some(x) => Shown::Only(x, logs[i].dropped()),
                None => Shown::All(logs[i]),
            })
        };
        let before = |cut: [usize; 2]| Merge {
            logs,
            its: [0, 1].map(|i| shown(i).map(|s| s.before(cut[i]).peekable())),
            newest_first: true,
        };
        let from = |cut: [usize; 2]| Merge {
            logs,
            its: [0, 1].map(|i| shown(i).map(|s| s.from(cut[i]).peekable())),
            newest_first: false,
        };
        laid.next_frame();
        let slot = |(r, i): At| (logs[r].dropped() + i) * 2 + r;
        let mut height = |at: At| {
            let (r, i) = at;
            logs[r].get(i).map_or(0, |s| {
                laid.lay(slot(at), s, (shape, r), || {
                    labelled(shape.lay(s), label_w, labels[r], r)
                })
                .max(1)
            })
        };
        let anchor = match view.selected {
            Some((r, i)) if !view.follow && r < 2 && shows(r) && i < logs[r].len() => Some((r, i)),
            _ => None,
        };
        let mut chosen: Vec<At> = Vec::with_capacity(rows);
        let mut used = 0;
        match anchor {
            None => {
                for at in before([logs[0].len(), logs[1].len()]) {
                    let n = height(at);
                    if used + n > rows && !chosen.is_empty() {
                        break;
                    }
                    used += n;
                    chosen.push(at);
                }
                chosen.reverse();
            }
            Some((r, i)) => {
                // The selected line about the middle: lines after it below, then fill.
                let k = key(logs[r], i, r);
                let mut cut = [0; 2];
                cut[r] = i;
                cut[1 - r] = first_after(logs[1 - r], 1 - r, k);
                let mut after_sel = Vec::new();
                for at in from(cut) {
                    if used >= rows.div_ceil(2) && !after_sel.is_empty() {
                        break;
                    }
                    used += height(at);
                    after_sel.push(at);
                }
                for at in before(cut) {
                    let n = height(at);
                    if used + n > rows {
                        break;
                    }
                    used += n;
                    chosen.push(at);
                }
                chosen.reverse();
                let mut next = cut;
                for &(r, i) in &after_sel {
                    next[r] = next[r].max(i + 1);
                }
                chosen.extend(after_sel);
                for at in from(next) {
                    let n = height(at);
                    if used + n > rows {
                        break;
                    }
                    used += n;
                    chosen.push(at);
                }
            }
        }
        if chosen.is_empty() {
            laid.forget_unused();
            return false;
        }
        let selected_exchange = view
            .selected
            .and_then(|(r, i)| Some((r, logs.get(r)?.get(i)?.exchange()?)));
        let needle = view.search.to_lowercase();
        let marks: Vec<(usize, Style)> = chosen
            .iter()
            .filter_map(|&(r, i)| {
                let s = logs[r].get(i)?;
                let seq = slot((r, i));
                let mut style = entry_style(&s.entry);
                if let (Some((xr, x)), Some(mine)) = (selected_exchange, s.exchange()) {
                    if xr == r && x.same_exchange(mine) {
                        style = style.bg(Color::Rgb(40, 40, 70));
                    }
                }
                if !needle.is_empty() && laid.lower(seq, s).contains(needle.as_str()) {
                    style = style.add_modifier(Modifier::UNDERLINED);
                }
                if view.selected == Some((r, i)) && !view.follow {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                Some((seq, style))
            })
            .collect();
        let lines = laid.styled(marks, rows);
        Paragraph::new(lines).render(inner, buf);
        laid.forget_unused();
        true
    })
}

/// A line's rows with the router's column before them (blank under the first row).
fn labelled(mut rows: Rows, w: usize, label: &str, router: usize) -> Rows {
    if w == 0 {
        return rows;
    }
    for (k, row) in rows.iter_mut().enumerate() {
        let cell = if k == 0 {
            Span::styled(label_cell(label, w), end_style(router))
        } else {
            Span::raw(" ".repeat(w))
        };
        row.insert(0, cell);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::debuglog::{Entry, Stamped};
    use crate::model::{DebugEvent, ExchangeRef};

    fn line(at: &str, text: &str) -> Stamped {
        Stamped {
            at: at.parse().expect("a time of day"),
            entry: Entry::Line(DebugEvent {
                line: 1,
                file: None,
                time: None,
                phase: Phase::One,
                failure: false,
                text: text.into(),
                exchange: ExchangeRef::default(),
            }),
        }
    }

    fn rows_of(buf: &Buffer) -> Vec<String> {
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    fn view(end: Option<usize>) -> MergedView<'static> {
        MergedView {
            follow: true,
            selected: None,
            search: "",
            filter: None,
            wrap: true,
            hscroll: 0,
            end,
        }
    }

    #[test]
    fn lines_of_both_ends_in_arrival_order_with_the_router_named() {
        let mut a = DebugLog::new(100);
        let mut b = DebugLog::new(100);
        a.push(line("10:00:00.100", "a1"));
        b.push(line("10:00:00.200", "b1"));
        a.push(line("10:00:00.300", "a2"));
        b.push(line("10:00:00.300", "b2"));
        b.push(line("10:00:01.000", "b3"));
        let area = Rect::new(0, 0, 80, 5);
        let mut buf = Buffer::empty(area);
        assert!(draw_merged(
            &mut buf,
            area,
            [&a, &b],
            ["Peer1", "Peer2"],
            &view(None)
        ));
        let rows = rows_of(&buf);
        let order: Vec<String> = rows
            .iter()
            .map(|r| r.split_whitespace().last().unwrap_or("").to_string())
            .collect();
        assert_eq!(order, ["a1", "b1", "a2", "b2", "b3"], "{rows:#?}");
        assert!(rows[0].starts_with("Peer1 10:00:00.100"), "{rows:#?}");
        assert!(rows[1].starts_with("Peer2 10:00:00.200"), "{rows:#?}");
        // One end only.
        let mut buf = Buffer::empty(area);
        draw_merged(&mut buf, area, [&a, &b], ["Peer1", "Peer2"], &view(Some(1)));
        let rows = rows_of(&buf);
        assert!(
            rows[0].ends_with("b1") && rows[2].ends_with("b3"),
            "{rows:#?}"
        );
        assert!(rows.iter().all(|r| !r.contains("Peer1")), "{rows:#?}");
        // Frozen on a line of the second end: it and its neighbours in order.
        let mut v = view(None);
        v.follow = false;
        v.selected = Some((1, 1));
        let area = Rect::new(0, 0, 80, 3);
        let mut buf = Buffer::empty(area);
        draw_merged(&mut buf, area, [&a, &b], ["Peer1", "Peer2"], &v);
        let rows = rows_of(&buf);
        assert!(rows.iter().any(|r| r.ends_with("b2")), "{rows:#?}");
        let at = rows.iter().position(|r| r.ends_with("b2")).unwrap_or(0);
        let x = rows[at].find("b2").unwrap_or(0) as u16;
        assert!(buf[(x, at as u16)].modifier.contains(Modifier::REVERSED));
    }

    /// What a frame shows never depends on what the cache kept: frame after frame, lines
    /// arriving at both ends and old ones dropping off, the view changing (filters, one end,
    /// a search, frozen on a line of either end, wrapping or not, another width), the warm
    /// cache draws what an empty one (a fresh thread) draws.
    #[test]
    fn a_cached_merged_frame_is_the_frame_drawn_afresh() {
        let mut logs = [DebugLog::new(60), DebugLog::new(60)];
        let mut seed = 11u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let phases = [Phase::One, Phase::Two, Phase::Info, Phase::OneAndHalf];
        let mut ms = 0u64;
        for step in 0..300 {
            for _ in 0..next(10) {
                ms += next(3);
                let r = next(2) as usize;
                let mut l = line(
                    "00:00:00.000",
                    &format!("line {ms} {}", "word ".repeat(ms as usize % 17)),
                );
                l.at = Stamp::midnight().wrapping_add(std::time::Duration::from_millis(ms));
                if let Entry::Line(e) = &mut l.entry {
                    e.phase = phases[(ms % 4) as usize];
                }
                logs[r].push(l);
            }
            let r = next(2) as usize;
            let v = MergedView {
                follow: next(3) == 0,
                selected: Some((r, next(logs[r].len().max(1) as u64) as usize)),
                search: ["", "line 1", "word"][next(3) as usize],
                filter: [None, Some(Phase::Two), Some(Phase::OneAndHalf)][next(3) as usize],
                wrap: next(4) != 0,
                hscroll: next(20) as usize,
                end: [None, Some(0), Some(1)][next(3) as usize],
            };
            let area = Rect::new(0, 0, [25, 60, 120][next(3) as usize], 10);
            let draw = || {
                let mut buf = Buffer::empty(area);
                let any = draw_merged(&mut buf, area, [&logs[0], &logs[1]], ["Peer1", "Peer2"], &v);
                (any, buf)
            };
            let warm = draw();
            let cold = std::thread::scope(|s| s.spawn(draw).join().expect("drawing thread"));
            assert_eq!(warm, cold, "step {step}, {v:?}, {area:?}");
        }
    }

    #[test]
    fn midnight_does_not_put_new_lines_first() {
        let day = |t: &str| -> Stamp { t.parse().expect("a time of day") };
        assert!(after((day("00:00:00.100"), 0), (day("23:59:59.900"), 1)));
        assert!(!after((day("23:59:59.900"), 0), (day("00:00:00.100"), 1)));
        assert!(after((day("10:00:00"), 1), (day("10:00:00"), 0)));
    }
}
