//! The counter delta view: the chosen policy's counters with their delta since the baseline,
//! rate and sparkline, error counters red when they move, the ping, and the verdict.
//! Error counters that moved come first. When the pane is short, what is kept is chosen by
//! weight: the verdict's headline, then every moved error counter, then the rest of the
//! verdict, the other counters, the ping, the baseline; it is drawn in the usual order.

use super::app::App;
use super::theme::{dim, failure_style, sparkline, verdict_style};
use super::width::{for_screen, wrap};
use crate::model::CounterRow;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// How much a block of rows is worth keeping in a short pane (lower is kept first).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Weight {
    Headline,
    MovedError,
    Verdict,
    Ping,
    Counter,
    Baseline,
}

/// One text line of the pane, wrapped to the width: it is kept whole or not at all (the
/// headline is the exception: it is cut to fit rather than left out).
struct Piece {
    weight: Weight,
    rows: Vec<Line<'static>>,
}

fn wrapped(text: &str, style: Style, width: usize) -> Vec<Line<'static>> {
    wrap(text, width)
        .into_iter()
        .map(|(a, b)| Line::from(Span::styled(text[a..b].to_string(), style)))
        .collect()
}

/// The counters in the order shown: moved error counters first, then the others as the router
/// lists them.
fn ordered(rows: &[CounterRow]) -> Vec<&CounterRow> {
    let mut v: Vec<&CounterRow> = rows.iter().collect();
    v.sort_by_key(|r| !r.is_moved_error());
    v
}

fn pieces(app: &App, idx: usize, width: u16) -> Vec<Piece> {
    let w = (width as usize).max(1);
    let r = app.routers().get(idx).unwrap_or_else(|| app.router());
    let view = &r.counters;
    let ping = &r.ping;
    let mut out = Vec::new();
    let verdict = crate::doctor::counter_verdict(view, Some(&ping.tally()), app.live.opts.dialect);
    for (i, l) in verdict.lines.iter().enumerate() {
        let mut st = verdict_style(l.severity);
        if i == 0 {
            st = st.add_modifier(Modifier::BOLD);
        }
        out.push(Piece {
            weight: if i == 0 {
                Weight::Headline
            } else {
                Weight::Verdict
            },
            rows: wrapped(&for_screen(&l.text), st, w),
        });
    }
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
        out.push(Piece {
            weight: Weight::Ping,
            rows: wrapped(&text, Style::new().fg(Color::Cyan), w),
        });
    }
    let since = view
        .since_baseline()
        .map(|d| format!("baseline {}s ago (b sets it)", d.as_secs()))
        .unwrap_or_else(|| "no reading yet".into());
    out.push(Piece {
        weight: Weight::Baseline,
        rows: wrapped(&since, dim(), w),
    });
    let name_w = 20.min(w.saturating_sub(24)).max(8);
    let spark_w = w.saturating_sub(name_w + 26).min(30);
    for r in ordered(view.rows()) {
        let st = if r.is_moved_error() {
            failure_style()
        } else if r.delta() > 0 {
            Style::new().fg(Color::Green)
        } else {
            Style::new()
        };
        let rate = r.rate.map(|x| format!("{x:.1}/s")).unwrap_or_default();
        out.push(Piece {
            weight: if r.is_moved_error() {
                Weight::MovedError
            } else {
                Weight::Counter
            },
            rows: vec![Line::from(vec![
                Span::styled(format!("{:<name_w$.name_w$}", for_screen(&r.name)), st),
                Span::raw(format!("{:>9} ", r.value)),
                Span::styled(format!("{:>+7} ", r.delta() as i64), st),
                Span::raw(format!("{rate:>7} ")),
                Span::styled(sparkline(r.history.iter().copied(), spark_w), st),
            ])],
        });
    }
    out
}

/// Rows the pane's text wants at `width`: the least that shows the verdict's headline and
/// every moved error counter; that plus the rest of the verdict; everything.
pub fn needs(app: &App, width: u16) -> (u16, u16, u16) {
    needs_end(app, app.current, width)
}

/// As [`needs`], for router `idx`.
pub fn needs_end(app: &App, idx: usize, width: u16) -> (u16, u16, u16) {
    let p = pieces(app, idx, width);
    let sum = |max: Weight| {
        p.iter()
            .filter(|x| x.weight <= max)
            .map(|x| x.rows.len() as u16)
            .sum::<u16>()
    };
    (
        sum(Weight::MovedError),
        sum(Weight::Verdict),
        sum(Weight::Baseline),
    )
}

pub fn draw(f: &mut Frame, app: &App, area: Rect, block: Block) {
    draw_end(f, app, app.current, area, block)
}

/// The counters of router `idx` (one end of two side by side).
pub fn draw_end(f: &mut Frame, app: &App, idx: usize, area: Rect, block: Block) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    let h = inner.height as usize;
    if h == 0 {
        return;
    }
    let mut p = pieces(app, idx, inner.width);
    // Choose by weight, keeping the order of the pane.
    let mut by_weight: Vec<usize> = (0..p.len()).collect();
    by_weight.sort_by_key(|&i| p[i].weight);
    let mut keep = vec![false; p.len()];
    let mut used = 0;
    for i in by_weight {
        let n = p[i].rows.len();
        if used + n <= h {
            keep[i] = true;
            used += n;
        } else if p[i].weight == Weight::Headline {
            p[i].rows.truncate(h - used);
            keep[i] = true;
            used = h;
        }
    }
    let lines: Vec<Line> = p
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .flat_map(|(x, _)| x.rows)
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
