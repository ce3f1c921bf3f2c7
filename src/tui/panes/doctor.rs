//! The doctor's findings, most severe first; Enter shows the advice and evidence. Each finding
//! is wrapped here (by display width), so the layout knows how many rows the top finding takes
//! and a small screen shows it whole.

use super::width::{for_screen, wrap};
use crate::doctor::Severity;
use crate::tui::app::{App, Pane};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// Rows the pane's text wants at `width`: the top finding alone, and every finding.
pub fn needs(app: &App, width: u16) -> (u16, u16) {
    let mut rows = app
        .router()
        .findings
        .iter()
        .map(|x| finding_rows(&text(x).0, width).len() as u16);
    let first = rows.next().unwrap_or(1);
    (first, first + rows.sum::<u16>())
}

/// The finding as one line, and the length of its severity word with the space after it.
fn text(x: &crate::doctor::Finding) -> (String, usize) {
    let sev = format!("{:<5} ", x.severity.as_str().to_uppercase());
    let head = sev.len();
    (format!("{sev}{}: {}", x.code, for_screen(&x.summary)), head)
}

fn finding_rows(t: &str, width: u16) -> Vec<(usize, usize)> {
    wrap(t, (width as usize).max(1))
}

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
    let mut selected_at = 0;
    for (i, x) in findings.iter().enumerate() {
        let st = match x.severity {
            Severity::Error => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Severity::Warning => Style::new().fg(Color::Yellow),
            Severity::Info => Style::new().fg(Color::Blue),
        };
        let mut text_style = Style::new();
        let selected = app.focus == Pane::Doctor && i == app.doctor_row;
        if selected {
            text_style = text_style.add_modifier(Modifier::REVERSED);
            selected_at = lines.len();
        }
        // The severity word has its own style on the first row.
        let (t, head) = text(x);
        for (k, (a, b)) in finding_rows(&t, inner.width).into_iter().enumerate() {
            if k == 0 && b >= head {
                lines.push(Line::from(vec![
                    Span::styled(t[a..head].to_string(), st),
                    Span::styled(t[head..b].to_string(), text_style),
                ]));
            } else {
                lines.push(Line::from(Span::styled(t[a..b].to_string(), text_style)));
            }
        }
    }
    // Keep the selected finding in view.
    let h = inner.height as usize;
    let skip = (selected_at + 1).saturating_sub(h);
    f.render_widget(
        Paragraph::new(lines.split_off(skip.min(lines.len()))),
        inner,
    );
}
