//! The tunnel pane: both ends compared (the `tunnel` room's pairs of ISAKMP SAs and of IPsec
//! SAs by SPI, the packet path of a ping, the side-by-side configuration check with its
//! mismatches first), and the one-line summary a narrow screen keeps visible. The comparison
//! is made at most once per change of what the routers read, not once per frame: it is kept
//! here, keyed on the routers' read counters, baselines and pings.

use super::app::App;
use super::theme::{dim, failure_style};
use super::width::{for_screen, width as text_width, wrap};
use crate::live::RouterState;
use crate::tunnel::{self, End, PathOutcome, Tunnel};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// What the comparison of two routers depends on: when none of it moved, the last one holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    labels: [String; 2],
    ends: [EndKey; 2],
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct EndKey {
    blocks: usize,
    reads: u64,
    counters_reads: u64,
    config_read: bool,
    baseline: Option<Duration>,
    last: Option<Duration>,
    ping: (u64, u64, bool),
}

fn end_key(r: &RouterState) -> EndKey {
    EndKey {
        blocks: r.state.blocks,
        reads: r.reads,
        counters_reads: r.counters_reads,
        config_read: r.config_read,
        baseline: r.counters.baseline_at(),
        last: r.counters.last_at(),
        ping: (r.ping.sent, r.ping.replied, r.ping.running),
    }
}

thread_local! {
    static CACHE: RefCell<Option<(Key, Rc<Tunnel>)>> = const { RefCell::new(None) };
    /// The pane's lines, made from one comparison at one width (hundreds of pairs are
    /// written out once, not at every frame).
    static LINES: RefCell<Option<LaidOut>> = const { RefCell::new(None) };
}

type LaidOut = (Rc<Tunnel>, u16, Rc<Vec<Line<'static>>>);

/// The pane's lines for `t` at `width`, kept while neither changes.
fn lines_cached(t: &Rc<Tunnel>, width: u16) -> Rc<Vec<Line<'static>>> {
    let kept = LINES.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(k, w, _)| Rc::ptr_eq(k, t) && *w == width)
            .map(|(_, _, l)| l.clone())
    });
    kept.unwrap_or_else(|| {
        let l = Rc::new(lines(t, width));
        LINES.with(|c| *c.borrow_mut() = Some((t.clone(), width, l.clone())));
        l
    })
}

/// Compare routers `a` and `b` (kept while nothing they read changed).
pub fn examine(a: &RouterState, b: &RouterState) -> Rc<Tunnel> {
    let key = Key {
        labels: [a.label.clone(), b.label.clone()],
        ends: [end_key(a), end_key(b)],
    };
    if let Some(t) = CACHE.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, t)| t.clone())
    }) {
        return t;
    }
    let (pa, pb) = (a.ping.tally(), b.ping.tally());
    let mut ea = End::new(&a.label, &a.state.snapshot).with_counters(&a.counters);
    let mut eb = End::new(&b.label, &b.state.snapshot).with_counters(&b.counters);
    if pa.sent > 0 || pa.running {
        ea = ea.with_ping(&pa);
    }
    if pb.sent > 0 || pb.running {
        eb = eb.with_ping(&pb);
    }
    let t = Rc::new(tunnel::examine(&ea, &eb));
    CACHE.with(|c| *c.borrow_mut() = Some((key, t.clone())));
    t
}

/// The tunnel of the app's first two routers, when it has two.
pub fn of_app(app: &App) -> Option<Rc<Tunnel>> {
    match app.routers() {
        [a, b, ..] => Some(examine(a, b)),
        _ => None,
    }
}

/// The one line a narrow screen keeps: green when every pair is paired and nothing is
/// against the configuration, red otherwise.
pub fn summary_line(t: &Tunnel) -> Line<'static> {
    let style = if t.healthy() {
        Style::new().fg(Color::Green)
    } else {
        failure_style()
    };
    Line::from(vec![
        Span::styled("tunnel ", Style::new().add_modifier(Modifier::BOLD)),
        Span::styled(for_screen(&t.summary()).into_owned(), style),
    ])
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "-".into())
}

/// Text cut to `w` columns (display width), padded to it.
fn cell(text: &str, w: usize) -> String {
    let text = for_screen(text);
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > w {
            break;
        }
        used += cw;
        out.push(c);
    }
    out.push_str(&" ".repeat(w - used));
    out
}

/// `text` wrapped at `w` columns, the rows after the first indented by `indent` columns.
fn wrapped(out: &mut Vec<Line<'static>>, text: &str, style: Style, indent: usize, w: usize) {
    let text = for_screen(text);
    let first = wrap(&text, w.max(1));
    let Some(&(a, b)) = first.first() else {
        return;
    };
    out.push(Line::from(Span::styled(text[a..b].to_string(), style)));
    let rest = text[b..].trim_start();
    for (a, b) in wrap(rest, w.saturating_sub(indent).max(1)) {
        out.push(Line::from(Span::styled(
            format!("{}{}", " ".repeat(indent), &rest[a..b]),
            style,
        )));
    }
}

/// Paired SAs listed at most; those not paired are all listed, first.
const PAIRED_LISTED: usize = 40;

/// The pairs to list (those not fine first, then at most [`PAIRED_LISTED`] fine ones) and how
/// many fine ones are left out: a router with hundreds of SAs is not written out whole at
/// every read.
fn listed<T>(pairs: &[T], fine: impl Fn(&T) -> bool) -> (Vec<&T>, usize) {
    let mut v: Vec<&T> = pairs.iter().filter(|p| !fine(p)).collect();
    let good = pairs.iter().filter(|p| fine(p));
    let n_good = good.clone().count();
    v.extend(good.take(PAIRED_LISTED));
    (v, n_good.saturating_sub(PAIRED_LISTED))
}

fn more_line(out: &mut Vec<Line<'static>>, more: usize) {
    if more > 0 {
        out.push(Line::from(Span::styled(
            format!("  ... and {more} more, paired"),
            dim(),
        )));
    }
}

/// Every line of the pane at `width` columns.
pub fn lines(t: &Tunnel, width: u16) -> Vec<Line<'static>> {
    let w = usize::from(width).max(1);
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let ok = Style::new().fg(Color::Green);
    let bad = failure_style();
    let [na, nb] = [&t.ends[0], &t.ends[1]];
    let mut out: Vec<Line<'static>> = Vec::new();
    let count = |paired: usize, of: usize| format!("{paired}/{of} paired");

    // ISAKMP SAs, by the addresses each end shows.
    let paired = t.isakmp_pairs.iter().filter(|p| p.paired).count();
    out.push(Line::from(Span::styled(
        format!(
            "ISAKMP SAs, by address: {}",
            count(paired, t.isakmp_pairs.len())
        ),
        bold,
    )));
    if t.isakmp_pairs.is_empty() {
        out.push(Line::from(Span::styled(
            "  no ISAKMP SA at either end",
            dim(),
        )));
    }
    let (shown, more) = listed(&t.isakmp_pairs, |p| p.paired && p.note.is_none());
    for p in shown {
        let text = format!(
            "{na} SA {} peer {}  ⇄  {nb} SA {} peer {}",
            opt(p.a_sa),
            opt(p.a_peer.as_deref()),
            opt(p.b_sa),
            opt(p.b_peer.as_deref()),
        );
        let (mark, st) = if p.paired && p.note.is_none() {
            ("  paired   ", ok)
        } else if p.paired {
            ("  paired   ", Style::new().fg(Color::Yellow))
        } else {
            ("  UNPAIRED ", bad)
        };
        // The verdict first: a narrow pane cuts the end of the row.
        out.push(Line::from(vec![
            Span::styled(mark, st),
            Span::raw(for_screen(&text).into_owned()),
        ]));
        if let Some(n) = &p.note {
            let st = if p.paired {
                Style::new().fg(Color::Yellow)
            } else {
                bad
            };
            wrapped(&mut out, &format!("    {n}"), st, 6, w);
        }
    }

    more_line(&mut out, more);

    // IPsec SAs, by SPI: A's OutSPI is B's InSPI and the other way round.
    let paired = t.ipsec_pairs.iter().filter(|p| p.paired).count();
    out.push(Line::from(Span::styled(
        format!("IPsec SAs, by SPI: {}", count(paired, t.ipsec_pairs.len())),
        bold,
    )));
    if t.ipsec_pairs.is_empty() {
        out.push(Line::from(Span::styled(
            "  no IPsec SA at either end",
            dim(),
        )));
    }
    let (shown, more) = listed(&t.ipsec_pairs, |p| p.paired);
    for p in shown {
        let text = format!(
            "{na} SA {} out {} in {}  ⇄  {nb} SA {} in {} out {}  {}",
            opt(p.a_sa),
            opt(p.a_out_spi),
            opt(p.a_in_spi),
            opt(p.b_sa),
            opt(p.b_in_spi),
            opt(p.b_out_spi),
            p.protocol,
        );
        let (mark, st) = if p.paired {
            ("  paired   ", ok)
        } else {
            ("  UNPAIRED ", bad)
        };
        let row_style = if p.paired { Style::new() } else { bad };
        out.push(Line::from(vec![
            Span::styled(mark, st),
            Span::styled(for_screen(&text).into_owned(), row_style),
        ]));
        if let Some(n) = &p.note {
            let st = if p.paired { dim() } else { bad };
            wrapped(&mut out, &format!("    {n}"), st, 6, w);
        }
    }

    more_line(&mut out, more);

    // The packet path of a ping, from both ends' counters.
    match &t.packet_path {
        Some(p) => {
            let st = match p.outcome {
                PathOutcome::BothWays => ok,
                PathOutcome::NoTraffic | PathOutcome::Unknown => dim(),
                _ => bad,
            };
            out.push(Line::from(Span::styled("Packet path:", bold)));
            wrapped(&mut out, &format!("  {}", p.text), st, 4, w);
        }
        None => out.push(Line::from(vec![
            Span::styled("Packet path: ", bold),
            Span::styled(
                "counters not read twice yet (p pings across the tunnel)",
                dim(),
            ),
        ])),
    }

    // The configuration, side by side, mismatches first.
    let mismatches = t.config_check.iter().filter(|r| !r.matches).count();
    out.push(Line::from(Span::styled(
        format!(
            "Configuration: {}",
            match mismatches {
                0 => "every field fits".to_string(),
                1 => "1 mismatch".to_string(),
                n => format!("{n} mismatches"),
            }
        ),
        bold,
    )));
    let longest = t
        .config_check
        .iter()
        .map(|r| text_width(&r.field))
        .max()
        .unwrap_or(5);
    let field_w = (longest + 1).min(w * 2 / 5);
    let val_w = w.saturating_sub(field_w + 3 + 5) / 2;
    out.push(Line::from(Span::styled(
        format!(
            "  {} {} {} ",
            cell("field", field_w),
            cell(na, val_w),
            cell(nb, val_w)
        ),
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    )));
    let mut rows: Vec<&tunnel::CheckRow> = t.config_check.iter().collect();
    rows.sort_by_key(|r| r.matches);
    for r in rows {
        let (mark, st) = if r.matches { ("ok", ok) } else { ("DIFF", bad) };
        let row_style = if r.matches { Style::new() } else { bad };
        out.push(Line::from(vec![
            Span::styled(
                format!(
                    "  {} {} {} ",
                    cell(&r.field, field_w),
                    cell(r.a.as_deref().unwrap_or("-"), val_w),
                    cell(r.b.as_deref().unwrap_or("-"), val_w)
                ),
                row_style,
            ),
            Span::styled(mark, st),
        ]));
        if !r.matches && !r.note.is_empty() {
            wrapped(&mut out, &format!("    {}", r.note), bad, 6, w);
        }
    }
    out
}

pub fn draw(f: &mut Frame, app: &App, area: Rect, block: Block) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let Some(t) = of_app(app) else {
        f.render_widget(
            Paragraph::new(Span::styled(
                "one router: the tunnel pane compares two ends",
                dim(),
            )),
            inner,
        );
        return;
    };
    let all = lines_cached(&t, inner.width);
    let max = all.len().saturating_sub(usize::from(inner.height));
    app.tunnel_rows.set(max + 1);
    let skip = app.tunnel_scroll.min(max);
    let shown: Vec<Line> = all
        .iter()
        .skip(skip)
        .take(usize::from(inner.height))
        .cloned()
        .collect();
    f.render_widget(Paragraph::new(shown), inner);
}
