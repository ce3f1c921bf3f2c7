//! The screen's look, shared by the frame (`ui`) and the panes: the colours of the phases,
//! failures, marks, verdicts and findings, the table look, the sparkline and plurals. The
//! panes import this, never `ui` (which imports the panes), so the two stay one-way.

use super::debuglog::Entry;
use crate::doctor::counters::Severity;
use crate::doctor::Severity as FindingSeverity;
use crate::model::Phase;
use ratatui::layout::Constraint;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Row, Table};

/// A debug line's phase colour.
pub fn phase_style(p: Phase) -> Style {
    match p {
        Phase::One => Style::new().fg(Color::Cyan),
        Phase::OneAndHalf => Style::new().fg(Color::Magenta),
        Phase::Two => Style::new().fg(Color::Green),
        Phase::Info => Style::new().fg(Color::Blue),
        Phase::None => Style::new(),
    }
}

/// A failure: red and bold, so it reads without colour too.
pub fn failure_style() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}

/// A mark tunnelscope put in the debug stream (link lost, back, router restarted).
pub fn mark_style() -> Style {
    Style::new().fg(Color::Black).bg(Color::Yellow)
}

/// Text that explains rather than informs: hints, timestamps, a frame not focused.
pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// What asks for attention: the focused frame, the command line, messages, dialogs.
pub fn accent() -> Style {
    Style::new().fg(Color::Yellow)
}

/// The selected row or line.
pub fn selected_style() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

/// A row that changed since the last read.
pub fn changed() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

/// A debug stream entry's style: marks, failures, then the phase colour.
pub fn entry_style(e: &Entry) -> Style {
    match e {
        Entry::Mark(_) => mark_style(),
        Entry::Line(l) if l.failure => failure_style(),
        Entry::Line(l) => phase_style(l.phase),
    }
}

/// The column naming a router in the merged debug stream, and each end's heading: one look
/// per end, apart from the phase colours.
pub fn end_style(router: usize) -> Style {
    let c = if router == 0 {
        Color::White
    } else {
        Color::LightYellow
    };
    Style::new().fg(c).add_modifier(Modifier::BOLD)
}

/// A counters verdict's colour.
pub fn verdict_style(s: Severity) -> Style {
    match s {
        Severity::Ok => Style::new().fg(Color::Green),
        Severity::Warn => Style::new().fg(Color::Yellow),
        Severity::Bad => failure_style(),
        Severity::Idle => dim(),
    }
}

/// A doctor finding's severity word.
pub fn finding_style(s: FindingSeverity) -> Style {
    match s {
        FindingSeverity::Error => failure_style(),
        FindingSeverity::Warning => Style::new().fg(Color::Yellow),
        FindingSeverity::Info => Style::new().fg(Color::Blue),
    }
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A one-line sparkline from values (eight levels of block characters).
pub fn sparkline(values: impl Iterator<Item = u64>, width: usize) -> String {
    let v: Vec<u64> = values.collect();
    let v = &v[v.len().saturating_sub(width)..];
    let max = v.iter().copied().max().unwrap_or(0);
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    v.iter()
        .map(|&x| {
            if max == 0 || x == 0 {
                ' '
            } else {
                BARS[((x * 7) / max) as usize]
            }
        })
        .collect()
}

/// A table widget with the common look.
pub fn table<'a>(header: Vec<&'a str>, rows: Vec<Row<'a>>, widths: Vec<Constraint>) -> Table<'a> {
    Table::new(rows, widths)
        .header(
            Row::new(header)
                .style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)),
        )
        .column_spacing(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_largest_and_keeps_the_last() {
        assert_eq!(sparkline([0u64, 1, 7, 14].into_iter(), 10), " ▁▄█");
        assert_eq!(sparkline([5u64, 0, 7].into_iter(), 2), " █");
        assert_eq!(sparkline([0u64, 0].into_iter(), 5), "  ");
    }

    #[test]
    fn plural_by_count() {
        assert_eq!(plural(1, "line", "lines"), "1 line");
        assert_eq!(plural(0, "line", "lines"), "0 lines");
    }
}
