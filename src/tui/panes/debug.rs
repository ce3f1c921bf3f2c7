//! The debug stream: timestamped lines coloured by phase, failures red and bold, the selected
//! line's exchange highlighted, follow or frozen, filtered and searched. Long lines wrap under
//! their text column (or take one line each, scrolled sideways). Only the lines on screen are
//! looked at, laid out and wrapped: a frame costs a screenful, whatever the scrollback holds.

use super::width::{for_screen, skip_cols, wrap};
use crate::tui::app::App;
use crate::tui::debuglog::{Entry, Stamped};
use crate::tui::ui::{entry_style, phase_style};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use std::borrow::Cow;

/// Columns before the text: `HH:MM:SS.mmm ` and the phase tag.
const STAMP_W: usize = 13;
const TAG_W: usize = 5;

/// How a line is laid out in this pane.
struct Shape {
    /// Timestamp shown (wide enough panes).
    stamp: bool,
    /// Columns before the text (continuation rows are indented by as much).
    indent: usize,
    /// Columns for the text.
    text_w: usize,
    wrap: bool,
    hscroll: usize,
}

impl Shape {
    fn new(width: usize, wrap: bool, hscroll: usize) -> Shape {
        let stamp = width >= 40;
        let indent = if stamp { STAMP_W + TAG_W } else { TAG_W };
        // In a very narrow pane the text takes the whole width under the tag.
        let indent = if width >= indent + 10 { indent } else { 0 };
        Shape {
            stamp,
            indent,
            text_w: width.saturating_sub(indent).max(1),
            wrap,
            hscroll,
        }
    }

    /// The text as drawn, and the byte ranges of its rows.
    fn rows<'a>(&self, s: &'a Stamped) -> (Cow<'a, str>, Vec<(usize, usize)>) {
        let text = for_screen(s.text());
        let pieces = if self.wrap {
            wrap(&text, self.text_w)
        } else {
            vec![(0, text.len())]
        };
        (text, pieces)
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect, block: Block) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    let r = app.router();
    let rows = inner.height as usize;
    if rows == 0 || inner.width == 0 {
        return;
    }
    let shape = Shape::new(inner.width as usize, app.debug.wrap, app.debug.hscroll);
    let filter = app.debug.filter;
    // Each line on screen is cleaned and wrapped once: (index, text, row ranges).
    let laid = |i: usize| {
        r.debug.get(i).map(|s| {
            let (text, pieces) = shape.rows(s);
            (i, text, pieces)
        })
    };
    let height = |x: &(usize, Cow<str>, Vec<(usize, usize)>)| x.2.len().max(1);
    // Which lines, oldest first.
    let mut chosen = Vec::new();
    let mut used = 0;
    let anchor = if app.debug.follow {
        None
    } else {
        app.debug.selected
    };
    match anchor {
        None => {
            // Whole lines only: a line cut at the top reads as a different line.
            for x in r.debug.visible_rev(r.debug.len(), filter).filter_map(laid) {
                let n = height(&x);
                if used + n > rows && !chosen.is_empty() {
                    break;
                }
                used += n;
                chosen.push(x);
            }
            chosen.reverse();
        }
        Some(sel) => {
            // Frozen: the selected line about the middle, lines after it below, then fill.
            let mut after = Vec::new();
            for x in r.debug.visible_from(sel, filter).filter_map(laid) {
                if used >= rows.div_ceil(2) && !after.is_empty() {
                    break;
                }
                used += height(&x);
                after.push(x);
            }
            let first = after.first().map_or(r.debug.len(), |x| x.0);
            for x in r.debug.visible_rev(first, filter).filter_map(laid) {
                let n = height(&x);
                if used + n > rows {
                    break;
                }
                used += n;
                chosen.push(x);
            }
            chosen.reverse();
            let last = after.last().map_or(first, |x| x.0 + 1);
            chosen.extend(after);
            for x in r.debug.visible_from(last, filter).filter_map(laid) {
                let n = height(&x);
                if used + n > rows {
                    break;
                }
                used += n;
                chosen.push(x);
            }
        }
    }
    if chosen.is_empty() {
        let hint = match r.status.as_ref().map(|s| s.debug_on) {
            Some(true) => "debug is on: waiting for ISAKMP activity...",
            _ => "no debug lines yet: press d to turn ISAKMP debug on (enable isakmp debug=all)",
        };
        f.render_widget(
            Paragraph::new(Span::styled(hint, Style::new().fg(Color::DarkGray))),
            inner,
        );
        return;
    }
    let selected_exchange = app
        .debug
        .selected
        .and_then(|i| r.debug.get(i))
        .and_then(|s| s.exchange().cloned());
    let needle = app.debug.search.to_lowercase();
    let mut lines: Vec<Line> = Vec::with_capacity(rows + 8);
    for (i, text, pieces) in chosen {
        let Some(s) = r.debug.get(i) else { continue };
        let mut style = entry_style(&s.entry);
        if let (Some(x), Some(mine)) = (&selected_exchange, s.exchange()) {
            if x.same_exchange(mine) {
                style = style.bg(Color::Rgb(40, 40, 70));
            }
        }
        if !needle.is_empty() && s.text().to_lowercase().contains(&needle) {
            style = style.add_modifier(Modifier::UNDERLINED);
        }
        if app.debug.selected == Some(i) && !app.debug.follow {
            style = style.add_modifier(Modifier::REVERSED);
        }
        for (k, &(a, b)) in pieces.iter().enumerate() {
            let mut spans = Vec::with_capacity(3);
            if k == 0 && shape.indent > 0 {
                if shape.stamp {
                    spans.push(Span::styled(
                        format!("{:<12} ", s.at.get(..12).unwrap_or(&s.at)),
                        Style::new().fg(Color::DarkGray),
                    ));
                }
                spans.push(match &s.entry {
                    Entry::Mark(_) => Span::styled(" **  ", Style::new().fg(Color::Yellow)),
                    Entry::Line(e) => Span::styled(
                        format!("{:>4} ", e.phase.as_str().replace("none", "")),
                        phase_style(e.phase),
                    ),
                });
            } else if shape.indent > 0 {
                spans.push(Span::raw(" ".repeat(shape.indent)));
            }
            let piece = &text[a..b];
            let piece = if shape.wrap {
                Cow::Borrowed(piece)
            } else {
                skip_cols(piece, shape.hscroll)
            };
            spans.push(Span::styled(piece.into_owned(), style));
            lines.push(Line::from(spans));
        }
    }
    // Lines after the selected one may overflow: the pane cuts them at its bottom. Only a line
    // taller than the pane overflows when following: its start shows.
    f.render_widget(Paragraph::new(lines), inner);
}
