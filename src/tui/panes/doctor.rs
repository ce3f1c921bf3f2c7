//! The doctor's findings, most severe first; Enter shows the advice and evidence.

use crate::doctor::Severity;
use crate::tui::app::{App, Pane};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(f: &mut Frame, app: &App, area: Rect, block: Block) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    let findings = &app.router().findings;
    if findings.is_empty() {
        let msg = if app.router().state.blocks == 0 {
            "nothing read yet"
        } else {
            "nothing wrong seen in what was read"
        };
        f.render_widget(
            Paragraph::new(Span::styled(msg, Style::new().fg(Color::Green))),
            inner,
        );
        return;
    }
    let mut lines = Vec::new();
    for (i, x) in findings.iter().enumerate() {
        let st = match x.severity {
            Severity::Error => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Severity::Warning => Style::new().fg(Color::Yellow),
            Severity::Info => Style::new().fg(Color::Blue),
        };
        let mut text_style = Style::new();
        if app.focus == Pane::Doctor && i == app.doctor_row {
            text_style = text_style.add_modifier(Modifier::REVERSED);
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{:<5} ", x.severity.as_str().to_uppercase()), st),
            Span::styled(format!("{}: {}", x.code, x.summary), text_style),
        ]));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
