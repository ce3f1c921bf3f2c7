//! The debug stream: timestamped lines coloured by phase, failures red and bold, the selected
//! line's exchange highlighted, follow or frozen, filtered and searched.

use crate::tui::app::App;
use crate::tui::debuglog::Entry;
use crate::tui::ui::{entry_style, phase_style};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

pub fn draw(f: &mut Frame, app: &App, area: Rect, block: Block) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    let r = app.router();
    let rows = inner.height as usize;
    if rows == 0 {
        return;
    }
    let visible = r.debug.visible(app.debug.filter);
    // Follow shows the newest lines; frozen keeps the selected line in view.
    let end = if app.debug.follow {
        visible.len()
    } else {
        let sel = app.debug.selected.unwrap_or(0);
        let pos = visible
            .iter()
            .position(|i| *i >= sel)
            .unwrap_or(visible.len().saturating_sub(1));
        (pos + rows / 2).clamp(rows.min(visible.len()), visible.len())
    };
    let start = end.saturating_sub(rows);
    let selected_exchange = app
        .debug
        .selected
        .and_then(|i| r.debug.get(i))
        .and_then(|s| s.exchange().cloned());
    let needle = app.debug.search.to_lowercase();
    let lines: Vec<Line> = visible[start..end]
        .iter()
        .filter_map(|&i| r.debug.get(i).map(|s| (i, s)))
        .map(|(i, s)| {
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
            let tag = match &s.entry {
                Entry::Mark(_) => Span::styled(" ** ", Style::new().fg(Color::Yellow)),
                Entry::Line(e) => Span::styled(
                    format!("{:>4} ", e.phase.as_str().replace("none", "")),
                    phase_style(e.phase),
                ),
            };
            Line::from(vec![
                Span::styled(
                    format!("{} ", &s.at[..s.at.len().min(12)]),
                    Style::new().fg(Color::DarkGray),
                ),
                tag,
                Span::styled(s.text().to_string(), style),
            ])
        })
        .collect();
    if lines.is_empty() {
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
    f.render_widget(Paragraph::new(lines), inner);
}
