//! The doctor's findings, most severe first; Enter shows the advice and evidence. Each finding
//! is wrapped here (by display width), so the layout knows how many rows the top finding takes
//! and a small screen shows it whole.

use super::app::{App, Pane};
use super::theme::{finding_style, selected_style};
use super::width::{for_screen, wrap};
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
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
        let st = finding_style(x.severity);
        let mut text_style = Style::new();
        let selected = app.focus == Pane::Doctor && i == app.doctor_row;
        if selected {
            text_style = text_style.patch(selected_style());
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

/// Both ends' findings, each line led by its router's name (two routers side by side); the
/// selection is on the router the keys act on.
pub fn draw_ends(f: &mut Frame, app: &App, area: Rect, block: Block) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    let name_w = app
        .routers()
        .iter()
        .map(|r| super::width::for_screen(&r.label).chars().count())
        .max()
        .unwrap_or(0)
        .min(16);
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_at = 0;
    for (idx, r) in app.routers().iter().enumerate() {
        let label = format!("{:<name_w$.name_w$} ", for_screen(&r.label));
        let head = label.len();
        if r.findings.is_empty() {
            let msg = if r.state.blocks == 0 {
                "nothing read yet"
            } else {
                "nothing wrong seen in what was read"
            };
            lines.push(Line::from(vec![
                Span::styled(
                    label,
                    Style::new().add_modifier(ratatui::style::Modifier::BOLD),
                ),
                Span::styled(msg, Style::new().fg(Color::Green)),
            ]));
            continue;
        }
        for (i, x) in r.findings.iter().enumerate() {
            let st = finding_style(x.severity);
            let mut text_style = Style::new();
            if app.focus == Pane::Doctor && idx == app.current && i == app.doctor_row {
                text_style = text_style.patch(selected_style());
                selected_at = lines.len();
            }
            let (t, sev) = text(x);
            let t = format!("{label}{t}");
            let sev = head + sev;
            for (k, (a, b)) in finding_rows(&t, inner.width).into_iter().enumerate() {
                if k == 0 && b >= sev {
                    lines.push(Line::from(vec![
                        Span::styled(
                            t[a..head].to_string(),
                            Style::new().add_modifier(ratatui::style::Modifier::BOLD),
                        ),
                        Span::styled(t[head..sev].to_string(), st),
                        Span::styled(t[sev..b].to_string(), text_style),
                    ]));
                } else {
                    lines.push(Line::from(Span::styled(t[a..b].to_string(), text_style)));
                }
            }
        }
    }
    let h = inner.height as usize;
    let skip = (selected_at + 1).saturating_sub(h);
    f.render_widget(
        Paragraph::new(lines.split_off(skip.min(lines.len()))),
        inner,
    );
}
