//! ISAKMP SAs, exchanges (with their progress through the states) and IPsec SAs.

use super::app::{App, Pane};
use super::theme::{changed, dim, selected_style, table};
use super::width::for_screen;
use crate::model::{IkeSa, IpsecSa};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row};
use ratatui::Frame;

// The row cells are the report's: one spelling of each value across the program.
use crate::analyze::report::{ike_sa_cells, ipsec_sa_cells};

pub fn draw(f: &mut Frame, app: &App, area: Rect, block: Block) {
    draw_end(f, app, app.current, area, block)
}

/// The tables of router `idx` (one end of two side by side); the selection is drawn on the
/// router the keys act on only.
pub fn draw_end(f: &mut Frame, app: &App, idx: usize, area: Rect, block: Block) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    let r = app.routers().get(idx).unwrap_or_else(|| app.router());
    let s = &r.state.snapshot;
    let active = app.focus == Pane::Tables && idx == app.current;
    let sel_style = selected_style();
    let changed = changed();
    let title = |i: usize, name: &str, n: usize, seen: bool| {
        let st = if app.table == i {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            dim()
        };
        let count = if seen {
            format!(" ({n})")
        } else {
            " (not read yet)".into()
        };
        Line::from(Span::styled(format!("{name}{count}"), st))
    };
    let plan = plan(
        inner.height,
        [s.ike_sas.len(), s.exchanges.len(), s.ipsec_sas.len()],
    );
    let [ike, exch, ipsec_area] =
        Layout::vertical(plan.map(|t| Constraint::Length(t.height()))).areas(inner);
    // Only the rows on screen are built (a router may hold hundreds of SAs); the selected
    // row stays in view when its table is cut short.
    let window = |i: usize, n: usize| {
        let shown = plan[i].rows as usize;
        let sel = (active && app.table == i).then_some(app.table_row);
        let start = match sel {
            Some(sel) if sel >= shown => (sel + 1 - shown).min(n.saturating_sub(shown)),
            _ => 0,
        };
        (start, shown)
    };
    // ISAKMP SAs
    let mut ike_sas: Vec<&IkeSa> = s.ike_sas.iter().collect();
    if app.table == 0 {
        sort_by(&mut ike_sas, app.sort);
    }
    let (start, shown) = window(0, ike_sas.len());
    let rows: Vec<Row> = ike_sas
        .iter()
        .enumerate()
        .skip(start)
        .take(shown)
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
            Row::new(screen_cells(ike_sa_cells(x))).style(st)
        })
        .collect();
    render_titled(
        f,
        ike,
        title(0, "ISAKMP SAs", s.ike_sas.len(), s.seen.ike_sas),
        headed(
            plan[0].header,
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
    let (start, shown) = window(1, s.exchanges.len());
    let rows: Vec<Row> = s
        .exchanges
        .iter()
        .enumerate()
        .skip(start)
        .take(shown)
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
            Row::new(screen_cells(vec![
                x.id.to_string(),
                x.phase.clone(),
                x.state.clone(),
                x.peer.clone(),
                x.kind.clone(),
                progress,
            ]))
            .style(st)
        })
        .collect();
    render_titled(
        f,
        exch,
        title(1, "Exchanges", s.exchanges.len(), s.seen.exchanges),
        headed(
            plan[1].header,
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
    let mut ipsec: Vec<&IpsecSa> = s.ipsec_sas.iter().collect();
    if app.table == 2 {
        sort_by(&mut ipsec, app.sort);
    }
    let (start, shown) = window(2, ipsec.len());
    let rows: Vec<Row> = ipsec
        .iter()
        .enumerate()
        .skip(start)
        .take(shown)
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
            Row::new(screen_cells(ipsec_sa_cells(x))).style(st)
        })
        .collect();
    render_titled(
        f,
        ipsec_area,
        title(2, "IPsec SAs", s.ipsec_sas.len(), s.seen.ipsec_sas),
        headed(
            plan[2].header,
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

/// Cells as the router wrote them, made safe to lay out by display width.
fn screen_cells(cells: Vec<String>) -> Vec<String> {
    cells
        .into_iter()
        .map(|c| match for_screen(&c) {
            std::borrow::Cow::Borrowed(_) => c,
            std::borrow::Cow::Owned(o) => o,
        })
        .collect()
}

/// What an SA table sorts by: the SA number, and two columns of text as shown. Borrowed, so
/// a sorted table costs no allocation per row each frame.
trait SortKeys {
    fn id(&self) -> u32;
    fn second(&self) -> &str;
    fn third(&self) -> &str;
}

impl SortKeys for IkeSa {
    fn id(&self) -> u32 {
        self.sa_id
    }
    fn second(&self) -> &str {
        &self.peer
    }
    fn third(&self) -> &str {
        // As the report's `opt` shows it.
        self.encryption.as_deref().unwrap_or("-")
    }
}

impl SortKeys for IpsecSa {
    fn id(&self) -> u32 {
        self.sa_id
    }
    fn second(&self) -> &str {
        &self.policy
    }
    fn third(&self) -> &str {
        &self.state
    }
}

/// Sort rows by one of three keys (the fourth choice keeps the router's order); stable, so
/// equal keys keep the router's order too.
fn sort_by<T: SortKeys>(rows: &mut [&T], col: usize) {
    match col {
        1 => rows.sort_by_key(|r| r.id()),
        2 => rows.sort_by(|a, b| a.second().cmp(b.second())),
        3 => rows.sort_by(|a, b| a.third().cmp(b.third())),
        _ => {}
    }
}

/// A table with its column header, or without it when space is short.
fn headed<'a>(
    header: bool,
    names: Vec<&'a str>,
    rows: Vec<Row<'a>>,
    widths: Vec<Constraint>,
) -> ratatui::widgets::Table<'a> {
    if header {
        table(names, rows, widths)
    } else {
        ratatui::widgets::Table::new(rows, widths).column_spacing(1)
    }
}

fn render_titled(f: &mut Frame, area: Rect, title: Line, t: ratatui::widgets::Table) {
    if area.height == 0 {
        return;
    }
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    f.render_widget(Paragraph::new(title), head);
    if body.height > 0 {
        f.render_widget(t, body);
    }
}

/// The rows one table gets: its title line, its column header or not, and how many rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TablePlan {
    pub title: bool,
    pub header: bool,
    pub rows: u16,
}

impl TablePlan {
    pub fn height(self) -> u16 {
        u16::from(self.title) + u16::from(self.header) + self.rows
    }
}

/// Share `h` rows among the three tables (ISAKMP SAs, exchanges, IPsec SAs) holding `n` rows
/// each. An empty table takes its title line only. In order: the titles; the exchanges, which
/// show a negotiation's state, with their header; a header and a first row for each SA table;
/// then the remaining rows, shared out one at a time.
pub fn plan(h: u16, n: [usize; 3]) -> [TablePlan; 3] {
    fn take(want: u16, left: &mut u16) -> u16 {
        let t = want.min(*left);
        *left -= t;
        t
    }
    let mut p = [TablePlan::default(); 3];
    let mut left = h;
    for t in p.iter_mut() {
        t.title = take(1, &mut left) == 1;
    }
    let n = n.map(|x| x.min(u16::MAX as usize) as u16);
    // The exchanges: header and every row (each is a negotiation in progress).
    if n[1] > 0 {
        // With room for one line only, the row beats its header.
        p[1].header = left >= 2 && take(1, &mut left) == 1;
        p[1].rows = take(n[1], &mut left);
    }
    for i in [0, 2] {
        if n[i] > 0 && left >= 2 {
            p[i].header = take(1, &mut left) == 1;
            p[i].rows = take(1, &mut left);
        }
    }
    // The rest, a row at a time to each table that has more.
    loop {
        let mut gave = false;
        for i in [0, 2] {
            if left > 0 && p[i].rows < n[i] {
                p[i].rows += take(1, &mut left);
                gave = true;
            }
        }
        if !gave || left == 0 {
            break;
        }
    }
    p
}

/// Rows the tables pane wants: the least that shows every title and every exchange with its
/// header; that plus a header and a first row for each SA table that has rows; everything.
pub fn needs(app: &App) -> (u16, u16, u16) {
    needs_of(app.router())
}

/// As [`needs`], for one router.
pub fn needs_of(r: &crate::live::RouterState) -> (u16, u16, u16) {
    let s = &r.state.snapshot;
    let n = [s.ike_sas.len(), s.exchanges.len(), s.ipsec_sas.len()];
    let n = n.map(|x| x.min(1000) as u16);
    let head = |x: u16| if x > 0 { x + 1 } else { 0 };
    let min = 3 + head(n[1]);
    let mid = min + head(n[0].min(1)) + head(n[2].min(1));
    (min, mid, 3 + head(n[0]) + head(n[1]) + head(n[2]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Limits;

    fn ike(id: u32, peer: &str, enc: Option<&str>) -> IkeSa {
        IkeSa {
            sa_id: id,
            peer: peer.into(),
            encryption: enc.map(Into::into),
            hash: None,
            bytes: Limits::default(),
            seconds: Limits::default(),
            established: true,
            line: 0,
        }
    }

    #[test]
    fn sorts_by_number_then_text_as_shown_keeping_ties_in_order() {
        let sas = [
            ike(10, "b", Some("DES")),
            ike(9, "a", None),
            ike(100, "b", Some("3DES")),
            ike(2, "a", Some("DES")),
        ];
        let order = |col: usize| {
            let mut v: Vec<&IkeSa> = sas.iter().collect();
            sort_by(&mut v, col);
            v.iter().map(|x| x.sa_id).collect::<Vec<_>>()
        };
        // By number, not by the digits' text.
        assert_eq!(order(1), [2, 9, 10, 100]);
        // Equal peers keep the router's order.
        assert_eq!(order(2), [9, 2, 10, 100]);
        // No cipher shows as `-`, which sorts before the names.
        assert_eq!(order(3), [9, 100, 10, 2]);
        assert_eq!(order(0), [10, 9, 100, 2]);
    }
}
