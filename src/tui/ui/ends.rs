//! Both ends of the tunnel on one screen (two routers, 160 columns and wider): each end's
//! tables over its counters, side by side and each headed by the router's name and session
//! state; below, the debug stream of both ends merged (a column names the router) beside the
//! tunnel pane, the doctor with both ends' findings, and the console of the router the keys
//! act on.

use super::{debug_title_of, draw_pane, framed, tables_title_of, tunnel_title};
use crate::doctor::Severity as FindingSeverity;
use crate::live::{LoginState, RouterState};
use crate::tui::app::{App, Pane};
use crate::tui::panes::{counters, doctor, merged, tables, tunnel};
use crate::tui::theme::{dim, plural};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// The narrowest screen that shows both ends side by side.
pub const WIDE: u16 = 160;

/// The router's session in a word or two: "reconnecting" while its link is down.
pub fn session_word(r: &RouterState) -> String {
    let Some(s) = &r.status else {
        return "connecting".into();
    };
    let login = match s.login {
        LoginState::LoggedIn => s
            .privilege
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "logged in".into()),
        LoginState::Disconnected if r.ended => "ended".into(),
        LoginState::Disconnected => "reconnecting".into(),
        LoginState::Connecting if r.state.blocks > 0 => "reconnecting".into(),
        LoginState::Connecting => "connecting".into(),
        LoginState::LoggingIn => "logging in".into(),
        LoginState::NeedsUser => "waiting for a login".into(),
        LoginState::NeedsPassword => "waiting for the password".into(),
        LoginState::Failed => "login failed".into(),
    };
    let debug = if s.debug_on { "debug ON" } else { "debug off" };
    format!("{login}, {debug}")
}

pub fn draw(f: &mut Frame, app: &App, main: Rect) {
    let routers = app.routers();
    let n = routers.len().min(2);
    let half = main.width / 2;
    // As tall as the larger end's tables (up to 30%), then the counters' verdicts and a few
    // counters (up to 25%): the debug stream and the tunnel get the rest.
    let tables_h = (0..n)
        .map(|i| tables::needs_of(&routers[i]).2)
        .max()
        .unwrap_or(0)
        .saturating_add(2)
        .max(5)
        .min(main.height * 3 / 10);
    let counters_h = (0..n)
        .map(|i| counters::needs_end(app, i, half.saturating_sub(2)).1)
        .max()
        .unwrap_or(0)
        .saturating_add(2 + 4)
        .max(6)
        .min(main.height / 4);
    let [tables_row, counters_row, bottom] = Layout::vertical([
        Constraint::Length(tables_h),
        Constraint::Length(counters_h),
        Constraint::Min(0),
    ])
    .areas(main);
    let cols = |row: Rect| -> [Rect; 2] {
        Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(row)
    };
    for (i, (t, c)) in cols(tables_row)
        .into_iter()
        .zip(cols(counters_row))
        .enumerate()
        .take(n)
    {
        let r = &routers[i];
        let keys = i == app.current;
        let head = format!("{}: {}", r.label, session_word(r));
        let tables_block = framed(
            keys && app.focus == Pane::Tables,
            format!("{head} · {}", tables_title_of(r)),
        );
        tables::draw_end(f, app, i, t, tables_block);
        let policy = app
            .chosen_policy(i)
            .map(|p| format!(": {p}"))
            .unwrap_or_default();
        let counters_block = framed(
            keys && app.focus == Pane::Counters,
            format!("{} counters{policy}", r.label),
        );
        counters::draw_end(f, app, i, c, counters_block);
    }
    let [debug, right] =
        Layout::horizontal([Constraint::Percentage(52), Constraint::Percentage(48)]).areas(bottom);
    draw_debug(f, app, debug);
    // The doctor as tall as both ends' findings (up to 30%), the console five rows: the
    // tunnel pane takes the rest.
    let findings: usize = routers.iter().map(|r| r.findings.len().max(1)).sum();
    let doctor_h = u16::try_from(findings)
        .unwrap_or(u16::MAX)
        .saturating_add(2)
        .max(4)
        .min(right.height * 3 / 10);
    let [tunnel_area, doctor_area, console] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(doctor_h),
        Constraint::Length(5.min(right.height / 5)),
    ])
    .areas(right);
    tunnel::draw(
        f,
        app,
        tunnel_area,
        framed(app.focus == Pane::Tunnel, tunnel_title(app)),
    );
    doctor::draw_ends(
        f,
        app,
        doctor_area,
        framed(app.focus == Pane::Doctor, doctor_title(app)),
    );
    draw_pane(f, app, Pane::Console, console);
}

fn doctor_title(app: &App) -> String {
    let all = app.routers().iter().flat_map(|r| r.findings.iter());
    let (mut e, mut w) = (0, 0);
    for x in all {
        match x.severity {
            FindingSeverity::Error => e += 1,
            FindingSeverity::Warning => w += 1,
            FindingSeverity::Info => {}
        }
    }
    format!(
        "Doctor, both ends: {}, {}",
        plural(e, "error", "errors"),
        plural(w, "warning", "warnings")
    )
}

fn draw_debug(f: &mut Frame, app: &App, area: Rect) {
    let routers = app.routers();
    let (Some(a), Some(b)) = (routers.first(), routers.get(1)) else {
        return draw_pane(f, app, Pane::Debug, area);
    };
    let whose = match app.debug.end {
        Some(i) => format!(
            "{} only (e: both)",
            routers.get(i).map_or("?", |r| r.label.as_str())
        ),
        None => format!("{} and {} (e: one end)", a.label, b.label),
    };
    let block = framed(
        app.focus == Pane::Debug,
        format!(
            "{}; {whose}",
            debug_title_of(app, a.debug.total() + b.debug.total())
        ),
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let view = merged::MergedView {
        follow: app.debug.follow,
        selected: app.debug.selected.map(|i| (app.current, i)),
        search: &app.debug.search,
        filter: app.debug.filter,
        wrap: app.debug.wrap,
        hscroll: app.debug.hscroll,
        end: app.debug.end,
    };
    let any = merged::draw_merged(
        f.buffer_mut(),
        inner,
        [&a.debug, &b.debug],
        [&a.label, &b.label],
        &view,
    );
    if !any {
        let off: Vec<&str> = [a, b]
            .iter()
            .filter(|r| !r.status.as_ref().is_some_and(|s| s.debug_on))
            .map(|r| r.label.as_str())
            .collect();
        let hint = if off.is_empty() {
            "debug is on at both ends: waiting for ISAKMP activity...".to_string()
        } else {
            format!(
                "no debug lines yet: debug is off on {} (d turns it on where the keys act)",
                off.join(" and ")
            )
        };
        f.render_widget(Paragraph::new(Span::styled(hint, dim())), inner);
    }
}
