//! Drawing the screen: a pure function of the app state. The layout adapts from 80x24 (panes
//! stacked) to wide terminals (two columns); any pane can be zoomed.

use super::app::{App, Input, Overlay, Pane, RESET};
use super::debuglog::Entry;
use super::keymap::Context;
use crate::doctor::Severity as FindingSeverity;
use crate::model::{Phase, Severity};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

pub fn phase_style(p: Phase) -> Style {
    match p {
        Phase::One => Style::new().fg(Color::Cyan),
        Phase::OneAndHalf => Style::new().fg(Color::Magenta),
        Phase::Two => Style::new().fg(Color::Green),
        Phase::Info => Style::new().fg(Color::Blue),
        Phase::None => Style::new(),
    }
}

fn pane_block(app: &App, pane: Pane, title: String) -> Block<'static> {
    let focused = app.focus == pane;
    let style = if focused {
        Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
    } else {
        Style::new().fg(Color::DarkGray)
    };
    Block::new()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(format!(" {title} "), style))
}

/// Draw everything.
pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    let [main, status] = Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(area);
    if app.zoom {
        draw_pane(f, app, app.focus, main);
    } else if main.width >= 110 {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)])
                .areas(main);
        let [tables, debug] =
            Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(left);
        let [counters, doctor, console] = Layout::vertical([
            Constraint::Percentage(45),
            Constraint::Percentage(30),
            Constraint::Percentage(25),
        ])
        .areas(right);
        draw_pane(f, app, Pane::Tables, tables);
        draw_pane(f, app, Pane::Debug, debug);
        draw_pane(f, app, Pane::Counters, counters);
        draw_pane(f, app, Pane::Doctor, doctor);
        draw_pane(f, app, Pane::Console, console);
    } else {
        let bottom_h = if main.height >= 20 { 8 } else { 6 };
        let [tables, debug, bottom] = Layout::vertical([
            Constraint::Length(main.height.saturating_sub(bottom_h).clamp(5, 11) * 2 / 3),
            Constraint::Min(3),
            Constraint::Length(bottom_h),
        ])
        .areas(main);
        let [counters, doctor] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(bottom);
        draw_pane(f, app, Pane::Tables, tables);
        // The console shares the debug area when it has the focus (narrow screens).
        if app.focus == Pane::Console {
            draw_pane(f, app, Pane::Console, debug);
        } else {
            draw_pane(f, app, Pane::Debug, debug);
        }
        draw_pane(f, app, Pane::Counters, counters);
        draw_pane(f, app, Pane::Doctor, doctor);
    }
    draw_status(f, app, status);
    draw_overlay(f, app, area);
}

fn draw_pane(f: &mut Frame, app: &App, pane: Pane, area: Rect) {
    match pane {
        Pane::Tables => {
            super::panes::tables::draw(f, app, area, pane_block(app, pane, tables_title(app)))
        }
        Pane::Debug => {
            // The legend of the phase colours, on the pane's lower border.
            let legend = Line::from(vec![
                Span::styled(" 1 ", phase_style(Phase::One)),
                Span::styled(" 1.5 ", phase_style(Phase::OneAndHalf)),
                Span::styled(" 2 ", phase_style(Phase::Two)),
                Span::styled(" info ", phase_style(Phase::Info)),
                Span::styled(
                    " failure ",
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                ),
            ])
            .right_aligned();
            let block = pane_block(app, pane, debug_title(app)).title_bottom(legend);
            super::panes::debug::draw(f, app, area, block)
        }
        Pane::Counters => {
            super::panes::counters::draw(f, app, area, pane_block(app, pane, counters_title(app)))
        }
        Pane::Doctor => {
            super::panes::doctor::draw(f, app, area, pane_block(app, pane, doctor_title(app)))
        }
        Pane::Console => {
            super::panes::console::draw(f, app, area, pane_block(app, pane, console_title(app)))
        }
    }
}

fn tables_title(app: &App) -> String {
    let age = app
        .router()
        .data_age()
        .map(|d| format!(", read {}s ago", d.as_secs()))
        .unwrap_or_else(|| ", not read yet".into());
    format!("SAs and exchanges{age}")
}

fn debug_title(app: &App) -> String {
    let r = app.router();
    let mode = if app.debug.follow {
        "following"
    } else {
        "FROZEN"
    };
    let filter = app
        .debug
        .filter
        .map(|p| format!(", phase {p} only"))
        .unwrap_or_default();
    let search = if app.debug.search.is_empty() {
        String::new()
    } else {
        format!(", search /{}", app.debug.search)
    };
    format!(
        "Debug stream: {} lines, {mode}{filter}{search}",
        r.debug.total()
    )
}

fn counters_title(app: &App) -> String {
    match app.chosen_policy(app.current) {
        Some(p) => format!("Counters: {p}"),
        None => "Counters".into(),
    }
}

fn doctor_title(app: &App) -> String {
    let f = &app.router().findings;
    let e = f
        .iter()
        .filter(|x| x.severity == FindingSeverity::Error)
        .count();
    let w = f
        .iter()
        .filter(|x| x.severity == FindingSeverity::Warning)
        .count();
    format!("Doctor: {e} errors, {w} warnings")
}

fn console_title(app: &App) -> String {
    if app.input == Input::Passthrough {
        "Console: PASSTHROUGH (keys go to the router)".into()
    } else {
        "Console".into()
    }
}

pub fn verdict_style(s: Severity) -> Style {
    match s {
        Severity::Ok => Style::new().fg(Color::Green),
        Severity::Warn => Style::new().fg(Color::Yellow),
        Severity::Bad => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        Severity::Idle => Style::new().fg(Color::DarkGray),
    }
}

fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    let r = app.router();
    let mut spans: Vec<Span> = Vec::new();
    let sep = || Span::styled(" | ", Style::new().fg(Color::DarkGray));
    match &r.status {
        Some(s) => {
            // Most needed first: a narrow terminal cuts the end of the line.
            spans.push(Span::styled(
                s.system_name.clone().unwrap_or_else(|| r.label.clone()),
                Style::new().add_modifier(Modifier::BOLD),
            ));
            spans.push(sep());
            let login = match s.login {
                crate::console::session::LoginState::LoggedIn => s
                    .privilege
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "logged in".into()),
                other => format!("{other:?}").to_lowercase(),
            };
            spans.push(Span::raw(login));
            spans.push(sep());
            spans.push(if s.debug_on {
                Span::styled("debug ON", Style::new().fg(Color::Black).bg(Color::Yellow))
            } else {
                Span::raw("debug off")
            });
            spans.push(sep());
            let age = s
                .last_poll
                .map(|t| format!("poll {}s ago", t.elapsed().as_secs()))
                .unwrap_or_else(|| "no poll yet".into());
            spans.push(Span::raw(format!(
                "{age}, line {:.0}%",
                s.line_share * 100.0
            )));
            spans.push(sep());
            spans.push(Span::raw(s.link.clone()));
        }
        None => spans.push(Span::raw(format!("{}: connecting...", r.label))),
    }
    if let Some(sc) = &app.scenario {
        spans.push(sep());
        spans.push(Span::styled(
            format!("demo: {sc}"),
            Style::new().fg(Color::Magenta),
        ));
    }
    if let Some(r) = &app.replay_status {
        spans.push(sep());
        spans.push(Span::styled(r.clone(), Style::new().fg(Color::Cyan)));
    }
    if let Some(c) = &app.capture {
        spans.push(sep());
        spans.push(Span::raw(format!("capture {c}")));
    }
    if app.routers.len() > 1 {
        spans.push(sep());
        spans.push(Span::raw(format!(
            "router {}/{}",
            app.current + 1,
            app.routers.len()
        )));
    }
    let second: Line = match &app.input {
        Input::Command(t) => Line::from(vec![
            Span::styled(": ", Style::new().fg(Color::Yellow)),
            Span::raw(t.clone()),
            Span::styled("█", Style::new().fg(Color::Yellow)),
        ]),
        Input::Search(t) => Line::from(vec![
            Span::styled("/", Style::new().fg(Color::Yellow)),
            Span::raw(t.clone()),
            Span::styled("█", Style::new().fg(Color::Yellow)),
        ]),
        _ => match &app.message {
            Some((m, t)) if t.elapsed().as_secs() < 5 => {
                Line::from(Span::styled(m.clone(), Style::new().fg(Color::Yellow)))
            }
            _ => Line::from(Span::styled(
                app.keymap.hints(app.key_context(), area.width as usize),
                Style::new().fg(Color::DarkGray),
            )),
        },
    };
    f.render_widget(Paragraph::new(vec![Line::from(spans), second]), area);
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_overlay(f: &mut Frame, app: &App, area: Rect) {
    let (title, lines): (String, Vec<Line>) = match &app.overlay {
        Overlay::None => return,
        Overlay::Help => {
            let mut lines = Vec::new();
            for ctx in [Context::Global, app.key_context()] {
                lines.push(Line::from(Span::styled(
                    format!("{} keys", ctx.name()),
                    Style::new().add_modifier(Modifier::BOLD),
                )));
                for b in app.keymap.bindings(ctx) {
                    lines.push(Line::from(format!(
                        "  {:<14} {}",
                        b.key.to_string(),
                        b.desc
                    )));
                }
                lines.push(Line::from(""));
            }
            lines.push(Line::from(Span::styled(
                "Phases: ",
                Style::new().add_modifier(Modifier::BOLD),
            )));
            lines.push(Line::from(vec![
                Span::styled(" [1] main/aggressive ", phase_style(Phase::One)),
                Span::styled(" [1.5] XAUTH/mode config ", phase_style(Phase::OneAndHalf)),
                Span::styled(" [2] quick mode ", phase_style(Phase::Two)),
                Span::styled(" [info] notify/delete/heartbeat ", phase_style(Phase::Info)),
                Span::styled(
                    " failures ",
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                ),
            ]));
            ("Help (Esc closes, arrows scroll)".into(), lines)
        }
        Overlay::ConfirmReset => {
            let mut lines = vec![
                Line::from("Reset ISAKMP and IPsec on this router, in the How To Note's order?"),
                Line::from("This interrupts every VPN on the router while it renegotiates."),
                Line::from(""),
            ];
            lines.extend(RESET.iter().map(|c| {
                Line::from(Span::styled(
                    format!("    {c}"),
                    Style::new().fg(Color::Yellow),
                ))
            }));
            lines.push(Line::from(""));
            lines.push(Line::from("Enter or y: send them    Esc or n: cancel"));
            ("Reset ISAKMP and IPsec".into(), lines)
        }
        Overlay::ConfirmQuit => (
            "Quit".into(),
            vec![
                Line::from(
                    "ISAKMP debug is on. Quit? tunnelscope turns off the debug it turned on.",
                ),
                Line::from(""),
                Line::from("Enter or y: quit    Esc or n: stay"),
            ],
        ),
        Overlay::Detail { title, lines } => (
            title.clone(),
            lines.iter().map(|l| Line::from(l.clone())).collect(),
        ),
        Overlay::Scenarios { selected } => {
            let lines = app
                .scenarios
                .iter()
                .enumerate()
                .map(|(i, (name, desc))| {
                    let st = if i == *selected {
                        Style::new().add_modifier(Modifier::REVERSED)
                    } else {
                        Style::new()
                    };
                    Line::from(Span::styled(format!(" {name:<18} {desc} "), st))
                })
                .collect();
            ("Scenario (Enter switches, Esc cancels)".into(), lines)
        }
    };
    // As wide as the longest line needs (within the screen), as tall as the wrapped lines.
    let longest = lines.iter().map(|l| l.width()).max().unwrap_or(20) as u16 + 4;
    let w = longest.clamp(40.min(area.width), area.width.saturating_sub(4).max(20));
    let inner_w = w.saturating_sub(2).max(1) as usize;
    let wrapped: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let h = (wrapped as u16 + 2).min(area.height);
    let r = centered(area, w, h);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((
                app.overlay_scroll.min((wrapped as u16).saturating_sub(1)),
                0,
            ))
            .block(
                Block::bordered()
                    .title(format!(" {title} "))
                    .border_style(Style::new().fg(Color::Yellow)),
            ),
        r,
    );
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

pub fn verdict_line(app: &App) -> Option<(Severity, String)> {
    let v = app
        .counters
        .get(app.current)?
        .verdict(Some(&app.ping[app.current].tally()));
    Some((v.severity, v.headline().to_string()))
}

pub fn entry_style(e: &Entry) -> Style {
    match e {
        Entry::Mark(_) => Style::new().fg(Color::Black).bg(Color::Yellow),
        Entry::Line(l) if l.failure => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        Entry::Line(l) => phase_style(l.phase),
    }
}
