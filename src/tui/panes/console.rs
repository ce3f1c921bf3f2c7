//! The console: output of the commands typed at `:`, or the plain router console in
//! passthrough mode. The router's text is laid out by display width (see `width`).

use super::app::{App, Input};
use super::theme::{accent, dim};
use super::width::for_screen;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

pub fn draw(f: &mut Frame, app: &App, area: Rect, block: Block) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    let r = app.router();
    let rows = inner.height as usize;
    let lines: Vec<Line> = if app.input == Input::Passthrough {
        let skip = r.raw_lines.len().saturating_sub(rows);
        let mut v: Vec<Line> = r
            .raw_lines
            .iter()
            .skip(skip)
            .map(|l| Line::from(for_screen(l).into_owned()))
            .collect();
        v.push(Line::from(vec![
            Span::raw(for_screen(&r.raw_pending).into_owned()),
            Span::styled("█", accent()),
        ]));
        let n = v.len();
        v.split_off(n.saturating_sub(rows))
    } else if r.console.is_empty() {
        vec![Line::from(Span::styled(
            "press : to send a command to the router (Tab completes show commands)",
            dim(),
        ))]
    } else {
        let n = r.console.len();
        let end = if app.console_scroll == 0 || app.console_scroll >= n {
            n
        } else {
            app.console_scroll + 1
        };
        r.console
            .iter()
            .skip(end.saturating_sub(rows))
            .take(rows)
            .map(|l| {
                let l = for_screen(l).into_owned();
                if l.starts_with("> ") {
                    Line::from(Span::styled(l, accent()))
                } else {
                    Line::from(l)
                }
            })
            .collect()
    };
    f.render_widget(Paragraph::new(lines), inner);
}
