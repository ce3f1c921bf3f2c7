//! ISAKMP SAs, exchanges (with their progress through the states) and IPsec SAs.

use crate::tui::app::{App, Pane};
use crate::tui::ui::table;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row};
use ratatui::Frame;

// The row cells are the report's: one spelling of each value across the program.
use crate::analyze::report::{ike_sa_cells, ipsec_sa_cells, opt};

pub fn draw(f: &mut Frame, app: &App, area: Rect, block: Block) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    let r = app.router();
    let s = &r.state.snapshot;
    let active = app.focus == Pane::Tables;
    let sel_style = Style::new().add_modifier(Modifier::REVERSED);
    let changed = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
    let title = |i: usize, name: &str, n: usize, seen: bool| {
        let st = if app.table == i {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(Color::DarkGray)
        };
        let count = if seen {
            format!(" ({n})")
        } else {
            " (not read yet)".into()
        };
        Line::from(Span::styled(format!("{name}{count}"), st))
    };
    // Heights: each table its rows plus title and header, sharing what is left.
    let h = inner.height;
    // On a small screen the column headers go, so that rows still show (80x24).
    let compact = h < 12;
    let extra: u16 = if compact { 1 } else { 2 };
    let want = |n: usize| (n.max(1) as u16) + extra;
    let (a, b) = (want(s.ike_sas.len()), want(s.exchanges.len()));
    let a = a.min((h / 3 + 1).max(extra + 1));
    let b = b.min((h / 3).max(extra + 1));
    let [ike, exch, ipsec_area] = Layout::vertical([
        Constraint::Length(a),
        Constraint::Length(b),
        Constraint::Min(2),
    ])
    .areas(inner);

    // ISAKMP SAs
    let mut ike_sas = s.ike_sas.clone();
    if app.table == 0 {
        sort_by(&mut ike_sas, app.sort, |x| {
            (x.sa_id.to_string(), x.peer.clone(), opt(&x.encryption))
        });
    }
    let rows: Vec<Row> = ike_sas
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let mut st = if r.is_changed_ike(x) {
                changed
            } else {
                Style::new()
            };
            if !x.established {
                st = st.fg(Color::Red);
            }
            if active && app.table == 0 && i == app.table_row {
                st = st.patch(sel_style);
            }
            Row::new(ike_sa_cells(x)).style(st)
        })
        .collect();
    render_titled(
        f,
        ike,
        title(0, "ISAKMP SAs", s.ike_sas.len(), s.seen.ike_sas),
        headed(
            compact,
            vec![
                "SA",
                "Peer",
                "EncA",
                "HashA",
                "Bytes h/s/u",
                "Seconds h/s/u",
                "State",
            ],
            rows,
            vec![
                Constraint::Length(3),
                Constraint::Length(15),
                Constraint::Length(5),
                Constraint::Length(5),
                Constraint::Length(11),
                Constraint::Length(16),
                Constraint::Min(6),
            ],
        ),
    );

    // Exchanges, with how long each has been in its state
    let rows: Vec<Row> = s
        .exchanges
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let p = r.progress.get(&x.id);
            let secs = p.map(|p| p.in_state_at(r.now()).as_secs()).unwrap_or(0);
            let retx = p.map(|p| p.retransmits).unwrap_or(0);
            let path = p
                .map(|p| {
                    p.states
                        .iter()
                        .map(|(s, _)| s.as_str())
                        .collect::<Vec<_>>()
                        .join(">")
                })
                .unwrap_or_default();
            let progress = if x.is_waiting_for_peer() {
                format!(
                    "{} for {secs}s{}",
                    x.state,
                    if retx > 0 {
                        format!(", {retx} retransmissions")
                    } else {
                        String::new()
                    }
                )
            } else {
                format!("{path} ({secs}s)")
            };
            let mut st = if r.is_changed_exchange(x) {
                changed
            } else {
                Style::new()
            };
            if x.is_waiting_for_peer() && secs > 8 {
                st = st.fg(Color::Red);
            }
            if active && app.table == 1 && i == app.table_row {
                st = st.patch(sel_style);
            }
            Row::new(vec![
                x.id.to_string(),
                x.phase.clone(),
                x.state.clone(),
                x.peer.clone(),
                x.kind.clone(),
                progress,
            ])
            .style(st)
        })
        .collect();
    render_titled(
        f,
        exch,
        title(1, "Exchanges", s.exchanges.len(), s.seen.exchanges),
        headed(
            compact,
            vec!["Id", "Ph", "State", "Peer", "Type", "Progress"],
            rows,
            vec![
                Constraint::Length(5),
                Constraint::Length(3),
                Constraint::Length(12),
                Constraint::Length(15),
                Constraint::Length(11),
                Constraint::Min(10),
            ],
        ),
    );

    // IPsec SAs
    let mut ipsec = s.ipsec_sas.clone();
    if app.table == 2 {
        sort_by(&mut ipsec, app.sort, |x| {
            (x.sa_id.to_string(), x.policy.clone(), x.state.clone())
        });
    }
    let rows: Vec<Row> = ipsec
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let mut st = if r.is_changed_ipsec(x) {
                changed
            } else {
                Style::new()
            };
            if !x.is_valid() {
                st = st.fg(Color::Red);
            }
            if active && app.table == 2 && i == app.table_row {
                st = st.patch(sel_style);
            }
            Row::new(ipsec_sa_cells(x)).style(st)
        })
        .collect();
    render_titled(
        f,
        ipsec_area,
        title(2, "IPsec SAs", s.ipsec_sas.len(), s.seen.ipsec_sas),
        headed(
            compact,
            vec!["SA", "Policy", "Bnd", "State", "Proto", "OutSPI", "InSPI"],
            rows,
            vec![
                Constraint::Length(3),
                Constraint::Min(12),
                Constraint::Length(3),
                Constraint::Length(8),
                Constraint::Length(5),
                Constraint::Length(10),
                Constraint::Length(10),
            ],
        ),
    );
}

/// Sort rows by one of three keys (the fourth choice keeps the router's order).
fn sort_by<T>(rows: &mut [T], col: usize, key: impl Fn(&T) -> (String, String, String)) {
    match col {
        1 => rows.sort_by_key(|r| key(r).0.parse::<u64>().unwrap_or(u64::MAX)),
        2 => rows.sort_by_key(|r| key(r).1),
        3 => rows.sort_by_key(|r| key(r).2),
        _ => {}
    }
}

/// A table with its column header, or without it when space is short.
fn headed<'a>(
    compact: bool,
    header: Vec<&'a str>,
    rows: Vec<Row<'a>>,
    widths: Vec<Constraint>,
) -> ratatui::widgets::Table<'a> {
    if compact {
        ratatui::widgets::Table::new(rows, widths).column_spacing(1)
    } else {
        table(header, rows, widths)
    }
}

fn render_titled(f: &mut Frame, area: Rect, title: Line, t: ratatui::widgets::Table) {
    if area.height == 0 {
        return;
    }
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    f.render_widget(Paragraph::new(title), head);
    f.render_widget(t, body);
}
