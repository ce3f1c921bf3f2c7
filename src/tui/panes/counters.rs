//! The counter delta view: the chosen policy's counters with their delta since the baseline,
//! rate and sparkline, error counters red when they move, the ping, and the verdict.

use crate::tui::app::App;
use crate::tui::ui::{sparkline, verdict_style};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(f: &mut Frame, app: &App, area: Rect, block: Block) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    let view = &app.counters[app.current];
    let ping = &app.ping[app.current];
    let mut lines: Vec<Line> = Vec::new();
    let verdict = view.verdict(Some(&ping.tally()));
    for (i, l) in verdict.lines.iter().enumerate() {
        let mut st = verdict_style(l.severity);
        if i == 0 {
            st = st.add_modifier(Modifier::BOLD);
        }
        lines.push(Line::from(Span::styled(l.text.clone(), st)));
    }
    // The ping line.
    if ping.running || ping.sent > 0 || ping.error.is_some() {
        let times = if ping.times_ms.is_empty() {
            String::new()
        } else {
            let min = ping.times_ms.iter().copied().fold(f64::MAX, f64::min);
            let max = ping.times_ms.iter().copied().fold(0.0, f64::max);
            let avg = ping.times_ms.iter().sum::<f64>() / ping.times_ms.len() as f64;
            format!(", {min:.0}/{avg:.0}/{max:.0} ms")
        };
        let state = if ping.running { "pinging" } else { "ping done" };
        let mut text = format!(
            "{state} {}: {} sent, {} replied, {} lost{times}",
            ping.target,
            ping.sent,
            ping.replied,
            ping.sent.saturating_sub(ping.replied)
        );
        if let Some(e) = &ping.error {
            text = format!("ping {}: {e}", ping.target);
        }
        lines.push(Line::from(Span::styled(text, Style::new().fg(Color::Cyan))));
    }
    let since = view
        .since_baseline()
        .map(|d| format!("baseline {}s ago (b sets it)", d.as_secs()))
        .unwrap_or_else(|| "no reading yet".into());
    lines.push(Line::from(Span::styled(
        since,
        Style::new().fg(Color::DarkGray),
    )));
    // The verdict and ping lines wrap; the counter rows below them each take one line.
    let w = (inner.width as usize).max(1);
    let head_h: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(w).max(1))
        .sum::<usize>()
        // In a small pane the verdict keeps room for the two traffic counters below it.
        .min((inner.height as usize).saturating_sub(2).max(1));
    let head_area = Rect {
        height: head_h as u16,
        ..inner
    };
    f.render_widget(
        Paragraph::new(std::mem::take(&mut lines)).wrap(Wrap { trim: false }),
        head_area,
    );
    let rows_area = Rect {
        y: inner.y + head_h as u16,
        height: inner.height.saturating_sub(head_h as u16),
        ..inner
    };
    let name_w = 20.min(w.saturating_sub(24)).max(8);
    let spark_w = w.saturating_sub(name_w + 26).min(30);
    for r in view.rows() {
        let st = if r.is_moved_error() {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else if r.delta() > 0 {
            Style::new().fg(Color::Green)
        } else {
            Style::new()
        };
        let rate = r.rate.map(|x| format!("{x:.1}/s")).unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("{:<name_w$.name_w$}", r.name), st),
            Span::raw(format!("{:>9} ", r.value)),
            Span::styled(format!("{:>+7} ", r.delta() as i64), st),
            Span::raw(format!("{rate:>7} ")),
            Span::styled(sparkline(r.history.iter().copied(), spark_w), st),
        ]));
    }
    f.render_widget(Paragraph::new(lines), rows_area);
}
