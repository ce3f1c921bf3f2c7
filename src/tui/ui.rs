//! Drawing the screen: a pure function of the app state. The layout adapts from 80x24 (panes
//! stacked) to wide terminals (two columns); any pane can be zoomed. With two routers, at 160
//! columns and wider both ends are side by side (see `ends`); narrower, one end at a time
//! under a one-line tunnel summary.

use super::app::{App, Input, Overlay, Pane};
use super::keymap::Context;
use super::theme::{accent, dim, failure_style, phase_style, plural, selected_style};
use crate::doctor::Severity as FindingSeverity;
use crate::model::Phase;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

mod ends;

/// A pane's frame. The focused one is obvious without colour too: a thick border and a
/// marker before its title.
pub(super) fn pane_block(app: &App, pane: Pane, title: String) -> Block<'static> {
    framed(app.focus == pane, title)
}

/// A frame, focused or not.
pub(super) fn framed(focused: bool, title: String) -> Block<'static> {
    let (style, border, title) = if focused {
        (
            accent().add_modifier(Modifier::BOLD),
            BorderType::Thick,
            format!(" ▶ {title} "),
        )
    } else {
        (dim(), BorderType::Plain, format!(" {title} "))
    };
    Block::new()
        .borders(Borders::ALL)
        .border_type(border)
        .border_style(style)
        .title(Span::styled(title, style))
}

/// Draw everything.
pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    let [main, status] = Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(area);
    let two = app.routers().len() > 1;
    if two && !app.zoom && main.width >= ends::WIDE {
        ends::draw(f, app, main);
        draw_status(f, app, status);
        draw_overlay(f, app, area);
        return;
    }
    // One end at a time: with two routers, the tunnel's summary stays on the first line.
    let main = if two && main.height > 1 {
        let [summary, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(main);
        if let Some(t) = super::panes::tunnel::of_app(app) {
            f.render_widget(
                Paragraph::new(super::panes::tunnel::summary_line(&t)),
                summary,
            );
        }
        rest
    } else {
        main
    };
    if app.zoom {
        draw_pane(f, app, app.focus, main);
    } else if main.width >= 110 {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)])
                .areas(main);
        // The tables as tall as their rows (up to 40%): the debug stream takes the rest.
        let tables_h = (super::panes::tables::needs(app).2 + 2)
            .max(5)
            .min(main.height * 2 / 5);
        let [tables, debug] =
            Layout::vertical([Constraint::Length(tables_h), Constraint::Min(0)]).areas(left);
        let [counters, doctor, console] = Layout::vertical([
            Constraint::Percentage(45),
            Constraint::Percentage(30),
            Constraint::Percentage(25),
        ])
        .areas(right);
        draw_pane(f, app, Pane::Tables, tables);
        // The tunnel pane, focused, takes the debug stream's place.
        let middle = if app.focus == Pane::Tunnel {
            Pane::Tunnel
        } else {
            Pane::Debug
        };
        draw_pane(f, app, middle, debug);
        draw_pane(f, app, Pane::Counters, counters);
        draw_pane(f, app, Pane::Doctor, doctor);
        draw_pane(f, app, Pane::Console, console);
    } else {
        draw_stacked(f, app, main);
    }
    draw_status(f, app, status);
    draw_overlay(f, app, area);
}

/// What the stacked layout weighs: rows each pane's text wants (see [`share`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wants {
    /// Tables: every title and every exchange; a first row of each SA table; everything.
    pub tables: (u16, u16, u16),
    /// Counters: the verdict's headline and moved error counters; the whole verdict;
    /// everything.
    pub counters: (u16, u16, u16),
    /// Doctor: the top finding; every finding.
    pub doctor: (u16, u16),
    /// The middle pane (debug stream, or the console) has lines to show.
    pub middle_has_lines: bool,
}

/// Rows of text for the stacked panes (tables, middle, counters, doctor) out of `avail`.
/// First what must be seen without a key (the exchanges, the verdict's headline, every moved
/// error counter, the top finding, a few debug lines), then what explains it, then the rest
/// to the debug stream when it has lines, or to the panes that have more to show.
pub fn share(avail: u16, w: Wants) -> [u16; 4] {
    let mut h = [0u16; 4];
    let mut left = avail;
    let mut give = |h: &mut [u16; 4], i: usize, upto: u16| {
        let more = upto.saturating_sub(h[i]).min(left);
        h[i] += more;
        left -= more;
    };
    let middle_min = if w.middle_has_lines { 3 } else { 1 };
    give(&mut h, 2, w.counters.0);
    give(&mut h, 3, w.doctor.0);
    give(&mut h, 0, w.tables.0);
    give(&mut h, 1, middle_min);
    give(&mut h, 0, w.tables.1);
    give(&mut h, 2, w.counters.1);
    if w.middle_has_lines {
        give(&mut h, 1, avail / 4);
    }
    give(&mut h, 0, w.tables.2.min(w.tables.1.max(avail * 2 / 5)));
    give(&mut h, 3, w.doctor.1.min(w.doctor.0.max(avail / 4)));
    give(&mut h, 2, w.counters.2.min(w.counters.1 + avail / 6));
    if !w.middle_has_lines {
        give(&mut h, 2, w.counters.2);
        give(&mut h, 3, w.doctor.1);
        give(&mut h, 0, w.tables.2);
    }
    give(&mut h, 1, u16::MAX);
    h
}

/// Narrow screens (80x24 and up to 110 columns): the panes stacked, full width, each as tall
/// as its content deserves (see [`share`]). On short screens a pane's frame is its title line
/// only, so the rows go to text.
fn draw_stacked(f: &mut Frame, app: &App, main: Rect) {
    use super::panes::{counters, doctor, tables};
    let compact = main.height < 36;
    let frame_rows: u16 = if compact { 1 } else { 2 };
    let inner_w = if compact {
        main.width
    } else {
        main.width.saturating_sub(2)
    };
    let r = app.router();
    let middle = match app.focus {
        Pane::Console | Pane::Tunnel => app.focus,
        _ => Pane::Debug,
    };
    let wants = Wants {
        tables: tables::needs(app),
        counters: counters::needs(app, inner_w),
        doctor: doctor::needs(app, inner_w),
        middle_has_lines: match middle {
            Pane::Console | Pane::Tunnel => true,
            _ => !r.debug.is_empty(),
        },
    };
    let h = share(main.height.saturating_sub(4 * frame_rows), wants);
    let areas: [Rect; 4] =
        Layout::vertical(h.map(|x| Constraint::Length(x + frame_rows))).areas(main);
    draw_pane_in(f, app, Pane::Tables, areas[0], compact);
    // The console shares the debug stream's place when it has the focus.
    draw_pane_in(f, app, middle, areas[1], compact);
    draw_pane_in(f, app, Pane::Counters, areas[2], compact);
    draw_pane_in(f, app, Pane::Doctor, areas[3], compact);
}

pub(super) fn draw_pane(f: &mut Frame, app: &App, pane: Pane, area: Rect) {
    draw_pane_in(f, app, pane, area, false)
}

/// A pane in its frame; `compact`: the frame is the title line only (short screens).
fn draw_pane_in(f: &mut Frame, app: &App, pane: Pane, area: Rect, compact: bool) {
    let pane_block = |app: &App, pane: Pane, title: String| {
        let b = pane_block(app, pane, title);
        if compact {
            b.borders(Borders::TOP)
        } else {
            b
        }
    };
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
                Span::styled(" failure ", failure_style()),
            ])
            .right_aligned();
            let block = pane_block(app, pane, debug_title(app));
            let block = if compact {
                block
            } else {
                block.title_bottom(legend)
            };
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
        Pane::Tunnel => {
            super::panes::tunnel::draw(f, app, area, pane_block(app, pane, tunnel_title(app)))
        }
    }
}

pub(super) fn tunnel_title(app: &App) -> String {
    match app.routers() {
        [a, b, ..] => format!("Tunnel: {} ⇄ {}", a.label, b.label),
        _ => "Tunnel".into(),
    }
}

fn tables_title(app: &App) -> String {
    tables_title_of(app.router())
}

pub(super) fn tables_title_of(r: &crate::live::RouterState) -> String {
    let age = r
        .data_age()
        .map(|d| format!(", read {}s ago", d.as_secs()))
        .unwrap_or_else(|| ", not read yet".into());
    format!("SAs and exchanges{age}")
}

fn debug_title(app: &App) -> String {
    debug_title_of(app, app.router().debug.total())
}

/// The debug stream's title over `total` lines.
pub(super) fn debug_title_of(app: &App, total: usize) -> String {
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
    let wrap = if app.debug.wrap {
        String::new()
    } else {
        format!(", one line each from column {}", app.debug.hscroll + 1)
    };
    format!(
        "Debug stream: {}, {mode}{filter}{search}{wrap}",
        plural(total, "line", "lines")
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
    format!(
        "Doctor: {}, {}",
        plural(e, "error", "errors"),
        plural(w, "warning", "warnings")
    )
}

fn console_title(app: &App) -> String {
    if app.input == Input::Passthrough {
        "Console: PASSTHROUGH (keys go to the router)".into()
    } else {
        "Console".into()
    }
}

pub(super) fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    let r = app.router();
    let mut spans: Vec<Span> = Vec::new();
    let sep = || Span::styled(" | ", dim());
    match &r.status {
        Some(s) => {
            // Most needed first: a narrow terminal cuts the end of the line.
            spans.push(Span::styled(
                s.system_name.clone().unwrap_or_else(|| r.label.clone()),
                Style::new().add_modifier(Modifier::BOLD),
            ));
            spans.push(sep());
            let login = match s.login {
                crate::live::LoginState::LoggedIn => s
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
    if let Some(sc) = &app.live.scenario {
        spans.push(sep());
        spans.push(Span::styled(
            format!("demo: {sc}"),
            Style::new().fg(Color::Magenta),
        ));
    }
    if let Some(r) = &app.live.replay_status {
        spans.push(sep());
        spans.push(Span::styled(r.clone(), Style::new().fg(Color::Cyan)));
    }
    if let Some(c) = app.routers().first().and_then(|r| r.capture.as_ref()) {
        spans.push(sep());
        let full = if app.live.capture_full(0) {
            " (limit reached)"
        } else {
            ""
        };
        spans.push(Span::raw(format!("capture {}{full}", c.display())));
    }
    if app.routers().len() > 1 {
        spans.push(sep());
        spans.push(Span::raw(format!(
            "router {}/{}",
            app.current + 1,
            app.routers().len()
        )));
    }
    let second: Line = match &app.input {
        Input::Command(t) => Line::from(vec![
            Span::styled(": ", accent()),
            Span::raw(t.clone()),
            Span::styled("█", accent()),
        ]),
        Input::Search(t) => Line::from(vec![
            Span::styled("/", accent()),
            Span::raw(t.clone()),
            Span::styled("█", accent()),
        ]),
        _ => match app.message() {
            Some((m, t)) if t.elapsed().as_secs() < 5 => {
                Line::from(Span::styled(m.clone(), accent()))
            }
            _ => Line::from(Span::styled(
                app.keymap.hints(app.key_context(), area.width as usize),
                dim(),
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

pub(super) fn draw_overlay(f: &mut Frame, app: &App, area: Rect) {
    // What is drawn, and how it scrolls: a scrolled text, or a list kept on its selection.
    enum Scroll {
        Text(u16),
        Selected(usize),
    }
    let (title, lines, scroll): (String, Vec<Line>, Scroll) = match &app.overlay {
        Overlay::None => return,
        Overlay::Help { scroll } => {
            // Every key of the screen: the global ones, then the focused pane's own (the
            // console's are those of the command line, as it takes no other keys).
            let mut lines = Vec::new();
            let own = match app.focus {
                Pane::Console => Context::Console,
                p => p.context(),
            };
            for ctx in [Context::Global, own] {
                let heading = format!("{} keys: {}", ctx.name(), ctx.description());
                lines.push(Line::from(Span::styled(
                    heading,
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
                Span::styled(" failures ", failure_style()),
            ]));
            (
                "Help (Esc closes, arrows scroll)".into(),
                lines,
                Scroll::Text(*scroll),
            )
        }
        Overlay::ConfirmReset if app.routers().len() > 1 => {
            // Both ends: every router taken down first, then all brought up together. As
            // short as the one-router dialog, so its answer line shows on a small screen.
            let d = app.live.opts.dialect;
            let names: Vec<&str> = app.routers().iter().map(|r| r.label.as_str()).collect();
            let mut lines = vec![
                Line::from("Reset ISAKMP and IPsec on both ends, in the How To Note's order?"),
                Line::from(format!("{}, first:", names.join(" and "))),
            ];
            let cmd = |c: String| Line::from(Span::styled(format!("    {c}"), accent()));
            lines.extend(d.reset_down().into_iter().map(cmd));
            lines.push(Line::from("then, once both are down, both together:"));
            lines.extend(d.reset_up().into_iter().map(cmd));
            lines.push(Line::from("Enter or y: send them    Esc or n: cancel"));
            (
                "Reset ISAKMP and IPsec on both ends".into(),
                lines,
                Scroll::Text(0),
            )
        }
        Overlay::ConfirmReset => {
            let mut lines = vec![
                Line::from("Reset ISAKMP and IPsec on this router, in the How To Note's order?"),
                Line::from("This interrupts every VPN on the router while it renegotiates."),
                Line::from(""),
            ];
            lines.extend(
                app.live
                    .opts
                    .dialect
                    .reset_sequence()
                    .iter()
                    .map(|c| Line::from(Span::styled(format!("    {c}"), accent()))),
            );
            lines.push(Line::from(""));
            lines.push(Line::from("Enter or y: send them    Esc or n: cancel"));
            ("Reset ISAKMP and IPsec".into(), lines, Scroll::Text(0))
        }
        Overlay::ConfirmKeys => (
            "Compare the pre-shared keys".into(),
            vec![
                Line::from(
                    "A router is reached over telnet: reading its keys sends them across the \
                     network in clear text.",
                ),
                Line::from(
                    "Only their fingerprints are kept and compared; the values are never shown.",
                ),
                Line::from(""),
                Line::from("Enter or y: read them anyway    Esc or n: cancel"),
            ],
            Scroll::Text(0),
        ),
        Overlay::ConfirmQuit => (
            "Quit".into(),
            vec![
                Line::from(
                    "ISAKMP debug is on. Quit? tunnelscope turns off the debug it turned on.",
                ),
                Line::from(""),
                Line::from("Enter or y: quit    Esc or n: stay"),
            ],
            Scroll::Text(0),
        ),
        Overlay::Detail {
            title,
            lines,
            scroll,
        } => (
            title.clone(),
            lines.iter().map(|l| Line::from(l.clone())).collect(),
            Scroll::Text(*scroll),
        ),
        Overlay::Scenarios { selected } => {
            let lines = app
                .live
                .scenarios
                .iter()
                .enumerate()
                .map(|(i, (name, desc))| {
                    let st = if i == *selected {
                        selected_style()
                    } else {
                        Style::new()
                    };
                    Line::from(Span::styled(format!(" {name:<18} {desc} "), st))
                })
                .collect();
            (
                "Scenario (Enter switches, Esc cancels)".into(),
                lines,
                Scroll::Selected(*selected),
            )
        }
    };
    // As wide as the longest line needs, at least 40 columns, with a margin of 2 columns
    // each side when the screen has room for it; never wider than the screen.
    let longest = lines.iter().map(|l| l.width()).max().unwrap_or(20);
    let longest = u16::try_from(longest).unwrap_or(u16::MAX).saturating_add(4);
    let room = if area.width > 24 {
        area.width - 4
    } else {
        area.width
    };
    let w = longest.max(40).min(room);
    let inner_w = usize::from(w.saturating_sub(2).max(1));
    let (rows, wrap) = match scroll {
        // A list is one row per item (cut at the edge) so its selection maps to a row.
        Scroll::Selected(_) => (lines.len(), false),
        Scroll::Text(_) => (wrapped_rows(&lines, inner_w), true),
    };
    let rows16 = u16::try_from(rows).unwrap_or(u16::MAX);
    let h = rows16.saturating_add(2).min(area.height);
    let r = centered(area, w, h);
    let inner_h = h.saturating_sub(2).max(1);
    let offset = match scroll {
        // Scrolled no further than to show the last row at the bottom.
        Scroll::Text(s) => {
            let max = rows16.saturating_sub(inner_h);
            app.overlay_max_scroll.set(max);
            s.min(max)
        }
        // The selected item always in view.
        Scroll::Selected(sel) => {
            let sel = u16::try_from(sel).unwrap_or(u16::MAX);
            sel.saturating_add(1).saturating_sub(inner_h)
        }
    };
    let mut para = Paragraph::new(lines).scroll((offset, 0)).block(
        Block::bordered()
            .title(format!(" {title} "))
            .border_style(accent()),
    );
    if wrap {
        para = para.wrap(Wrap { trim: false });
    }
    f.render_widget(Clear, r);
    f.render_widget(para, r);
}

/// How many rows `lines` take word-wrapped at `width` columns, measured by wrapping them as
/// the dialog will (an estimate from the widths cut a dialog's last line, its keys, off).
fn wrapped_rows(lines: &[Line], width: usize) -> usize {
    let width = width.max(1);
    // Word wrapping takes at most two rows per `width` columns of a line, plus one.
    let bound: usize = lines
        .iter()
        .map(|l| 2 * l.width().div_ceil(width) + 1)
        .sum::<usize>()
        .min(4000);
    let (w, h) = (
        u16::try_from(width).unwrap_or(u16::MAX),
        u16::try_from(bound).unwrap_or(u16::MAX),
    );
    let area = Rect::new(0, 0, w, h);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    // Each line drawn on a marked background, so a blank line counts as a row too.
    let marked: Vec<Line> = lines
        .iter()
        .map(|l| l.clone().style(Style::new().bg(Color::Indexed(1))))
        .collect();
    ratatui::widgets::Widget::render(
        Paragraph::new(marked).wrap(Wrap { trim: false }),
        area,
        &mut buf,
    );
    (0..h)
        .rev()
        .find(|&y| (0..w).any(|x| buf[(x, y)].bg == Color::Indexed(1)))
        .map_or(lines.len().min(1), |y| usize::from(y) + 1)
}
