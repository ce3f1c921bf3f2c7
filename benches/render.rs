//! Drawing cost and memory of the screen: one frame at 200x60 with a full scrollback and
//! 500 SAs (median frame time, for each pane alone and with a phase filter, a search, a frozen
//! view and sorted tables), and the memory taken after 1 000 000 debug lines went through a router's view.
//! `cargo bench --bench render`; `cargo bench --bench render -- flood` measures memory under a
//! flood of 60 KB debug lines instead (run alone, so the RSS is its own).

use std::time::Instant;
use tunnelscope::console::session::Event;
use tunnelscope::console::transcript::Item;
use tunnelscope::live::RouterState;
use tunnelscope::model::{IkeSa, IpsecSa, Limits, Phase, SourceLine};
use tunnelscope::tui::app::{App, Pane};
use tunnelscope::tui::keymap::Keymap;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

const LINES: [&str; 4] = [
    "ISAKMP: Exchange {n}: sending SA payload (MM1) to 200.200.200.1, state SASENT",
    "ISAKMP: Exchange {n}: quick mode complete, IPsec SA bundle created, ESP outbound SPI 1612248718",
    "ISAKMP: sending heartbeat (R-U-THERE) to 200.200.200.1",
    "ISAKMP: Exchange {n}: received notify NO-PROPOSAL-CHOSEN (14) from 200.200.200.1",
];

/// One line in 10 000: phase 1.5.
const RARE: &str = "ISAKMP: Exchange {n}: Phase 1.5 XAUTH transaction started";

fn main() {
    if std::env::args().any(|a| a == "flood") {
        flood();
        return;
    }
    let before = rss_kb();
    let mut r = RouterState::new("Peer1", tunnelscope::live::debuglog::DEFAULT_SCROLLBACK);
    r.fixed_stamp = Some("10:00:00.000".parse().expect("a time of day"));
    let t = Instant::now();
    for n in 0..1_000_000usize {
        // One line in 10 000 of phase 1.5: a filter on it finds a few lines far apart.
        let line = if n % 10_000 == 5_000 {
            RARE
        } else {
            LINES[n % 4]
        };
        let text = line.replace("{n}", &(n % 100_000).to_string());
        r.on_event(Event::Item(
            Item::Unsolicited(SourceLine::new(n + 1, text), None),
            Instant::now(),
        ));
    }
    let fed = t.elapsed();
    let after = rss_kb();
    println!(
        "1 000 000 debug lines through a router view in {:.2} s; scrollback holds {} lines; memory grew {} MB (RSS {} MB)",
        fed.as_secs_f64(),
        r.debug.len(),
        (after.saturating_sub(before)) / 1024,
        after / 1024
    );
    for i in 0..500u32 {
        r.state.snapshot.ike_sas.push(IkeSa {
            sa_id: i,
            peer: format!("200.200.{}.{}", i / 250, i % 250),
            encryption: Some("3DES".into()),
            hash: Some("SHA".into()),
            bytes: Limits::default(),
            seconds: Limits {
                hard: Some(86400),
                soft: Some(82080),
                used: Some(u64::from(i)),
            },
            established: true,
            line: 0,
        });
        r.state.snapshot.ipsec_sas.push(IpsecSa {
            sa_id: i,
            policy: format!("policy {i}"),
            bundle: Some(0),
            state: "Valid".into(),
            protocol: "ESP".into(),
            out_spi: Some(1_000_000 + i),
            in_spi: Some(2_000_000 + i),
            line: 0,
        });
    }
    r.state.snapshot.seen.ike_sas = true;
    r.state.snapshot.seen.ipsec_sas = true;
    let sas = (
        r.state.snapshot.ike_sas.clone(),
        r.state.snapshot.ipsec_sas.clone(),
    );
    let mut app = App::new(vec![r], Keymap::builtin());
    let per = frame_ms(&app);
    println!(
        "one frame at 200x60 with a full scrollback (100 000 lines) and 500+500 SAs (median of {FRAMES}): {per:.3} ms"
    );
    // Where the time goes: each pane alone (zoomed).
    app.zoom = true;
    for pane in Pane::ORDER {
        app.focus = pane;
        println!("  {pane:?} zoomed: {:.3} ms", frame_ms(&app));
    }
    app.zoom = false;
    app.focus = Pane::Debug;
    app.debug.wrap = false;
    println!("  one line each (not wrapped): {:.3} ms", frame_ms(&app));
    app.debug.wrap = true;
    app.debug.filter = Some(Phase::Two);
    println!("  phase 2 filter: {:.3} ms", frame_ms(&app));
    // Ten lines of phase 1.5 in the scrollback, 10 000 apart: a filter that walked the
    // scrollback to fill the pane would look at all 100 000 lines each frame.
    app.debug.filter = Some(Phase::OneAndHalf);
    let rare = app
        .router()
        .debug
        .iter()
        .filter(|s| s.phase() == Phase::OneAndHalf)
        .count();
    println!(
        "  phase 1.5 filter ({rare} lines pass): {:.3} ms",
        frame_ms(&app)
    );
    app.debug.filter = None;
    app.debug.search = "no-proposal".into();
    println!("  search active, following: {:.3} ms", frame_ms(&app));
    // Frozen in the middle of the scrollback, on a selected line, searching.
    app.debug.follow = false;
    app.debug.selected = Some(50_001);
    println!(
        "  frozen at line 50 001, search active: {:.3} ms",
        frame_ms(&app)
    );
    app.debug.filter = Some(Phase::OneAndHalf);
    println!(
        "  frozen, search and phase 1.5 filter: {:.3} ms",
        frame_ms(&app)
    );
    app.debug.filter = None;
    app.debug.search.clear();
    app.debug.selected = None;
    app.debug.follow = true;
    // Following while lines arrive: five new ones before each frame (the cache lays out
    // only those), then the same with the phase 1.5 filter (its index takes in only those).
    let mut n = 1_000_000usize;
    let mut arrive = |app: &mut App| {
        for _ in 0..5 {
            let line = if n % 10_000 == 5_000 {
                RARE
            } else {
                LINES[n % 4]
            };
            app.live.routers[0].on_event(Event::Item(
                Item::Unsolicited(
                    SourceLine::new(n + 1, line.replace("{n}", &(n % 100_000).to_string())),
                    None,
                ),
                Instant::now(),
            ));
            n += 1;
        }
    };
    println!(
        "  following, 5 lines arriving per frame: {:.3} ms",
        frame_ms_with(&mut app, &mut arrive)
    );
    app.debug.filter = Some(Phase::OneAndHalf);
    println!(
        "  the same with the phase 1.5 filter: {:.3} ms",
        frame_ms_with(&mut app, &mut arrive)
    );
    app.debug.filter = None;
    // The tables focused, sorted by peer, the selected row far down.
    app.focus = Pane::Tables;
    app.table = 0;
    app.table_row = 400;
    app.sort = 2;
    println!(
        "  tables focused, sorted, row 400 selected: {:.3} ms",
        frame_ms(&app)
    );
    two_ends(sas);
}

/// Both ends side by side (issue 10): two routers each with a full scrollback (100 000 lines,
/// their arrival times interleaved, so the merged stream alternates) and 500 + 500 SAs.
fn two_ends((ike, ipsec): (Vec<IkeSa>, Vec<IpsecSa>)) {
    let base: jiff::civil::Time = "10:00:00.000".parse().expect("a time of day");
    let routers: Vec<RouterState> = (0..2)
        .map(|end| {
            let mut r = RouterState::new(
                format!("Peer{}", end + 1),
                tunnelscope::live::debuglog::DEFAULT_SCROLLBACK,
            );
            for n in 0..tunnelscope::live::debuglog::DEFAULT_SCROLLBACK {
                // One line every 100 ms at each end, the second end 50 ms after the first.
                let ms = (n as u64) * 100 + 50 * end as u64;
                r.fixed_stamp = Some(base.wrapping_add(std::time::Duration::from_millis(ms)));
                let line = if n % 10_000 == 5_000 {
                    RARE
                } else {
                    LINES[(n + end) % 4]
                };
                r.on_event(Event::Item(
                    Item::Unsolicited(
                        SourceLine::new(n + 1, line.replace("{n}", &(n % 100_000).to_string())),
                        None,
                    ),
                    Instant::now(),
                ));
            }
            r.state.snapshot.ike_sas = ike.clone();
            r.state.snapshot.ipsec_sas = ipsec.clone();
            // The second end's SPIs mirror the first's: every pair paired.
            if end == 1 {
                for sa in &mut r.state.snapshot.ipsec_sas {
                    std::mem::swap(&mut sa.out_spi, &mut sa.in_spi);
                }
            }
            r.state.snapshot.seen.ike_sas = true;
            r.state.snapshot.seen.ipsec_sas = true;
            r
        })
        .collect();
    let mut app = App::new(routers, Keymap::builtin());
    println!(
        "two ends side by side at 200x60, 100 000 lines and 500+500 SAs per end (median of {FRAMES}): {:.3} ms",
        frame_ms(&app)
    );
    // Where the time goes: each pane zoomed (one end, the narrow way).
    app.zoom = true;
    for pane in [Pane::Tables, Pane::Tunnel, Pane::Debug, Pane::Counters] {
        app.focus = pane;
        println!("  {pane:?} zoomed: {:.3} ms", frame_ms(&app));
    }
    app.zoom = false;
    app.focus = Pane::Debug;
    app.debug.end = Some(1);
    println!("  one end's lines only: {:.3} ms", frame_ms(&app));
    app.debug.end = None;
    app.debug.filter = Some(Phase::OneAndHalf);
    println!(
        "  phase 1.5 filter over both ends: {:.3} ms",
        frame_ms(&app)
    );
    app.debug.filter = None;
    app.debug.follow = false;
    app.debug.selected = Some(50_001);
    app.debug.search = "no-proposal".into();
    println!(
        "  frozen at line 50 001 of Peer1, search active: {:.3} ms",
        frame_ms(&app)
    );
    app.debug.follow = true;
    app.debug.selected = None;
    app.debug.search.clear();
    app.focus = Pane::Tunnel;
    println!("  tunnel pane focused: {:.3} ms", frame_ms(&app));
    // The comparison alone (500 + 500 SAs at each end), as made after a read.
    let (a, b) = (&app.live.routers[0], &app.live.routers[1]);
    let t = Instant::now();
    for _ in 0..20 {
        std::hint::black_box(tunnelscope::tunnel::examine(
            &tunnelscope::tunnel::End::new(&a.label, &a.state.snapshot),
            &tunnelscope::tunnel::End::new(&b.label, &b.state.snapshot),
        ));
    }
    println!(
        "  tunnel::examine alone: {:.3} ms",
        t.elapsed().as_secs_f64() * 1000.0 / 20.0
    );
    // A table read before every frame: the two ends are compared again each time.
    let mut reads = 0u64;
    println!(
        "  a read before each frame (the tunnel compared again): {:.3} ms",
        frame_ms_with(&mut app, |app| {
            reads += 1;
            app.live.routers[0].reads = reads;
        })
    );
}

/// A flood of long lines (20 000 lines of 60 KB, 1.2 GB in all) through a router view: the
/// scrollback's byte cap and the cut of long lines keep memory bounded.
fn flood() {
    let before = rss_kb();
    let mut r = RouterState::new("Peer1", tunnelscope::live::debuglog::DEFAULT_SCROLLBACK);
    r.fixed_stamp = Some("10:00:00.000".parse().expect("a time of day"));
    let long = format!("ISAKMP: Exchange 7: {}", "x".repeat(60 * 1024));
    let t = Instant::now();
    for n in 0..20_000usize {
        r.on_event(Event::Item(
            Item::Unsolicited(SourceLine::new(n + 1, long.clone()), None),
            Instant::now(),
        ));
    }
    let after = rss_kb();
    println!(
        "20 000 debug lines of 60 KB in {:.2} s: scrollback {} lines, {} MB counted; RSS grew {} MB (RSS {} MB)",
        t.elapsed().as_secs_f64(),
        r.debug.len(),
        r.debug.bytes() >> 20,
        after.saturating_sub(before) / 1024,
        after / 1024
    );
}

/// Frames timed per case.
const FRAMES: usize = 300;

/// Median time of one frame at 200x60 over [`FRAMES`] frames (after a few untimed ones), in
/// ms. The median, not the mean: the machine is shared, and a frame delayed by another
/// process says nothing of the drawing.
fn frame_ms(app: &App) -> f64 {
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 60)).expect("terminal");
    let mut times: Vec<f64> = (0..FRAMES + 10)
        .map(|_| {
            let t = Instant::now();
            term.draw(|f| tunnelscope::tui::ui::draw(f, app))
                .expect("draw");
            t.elapsed().as_secs_f64() * 1000.0
        })
        .skip(10)
        .collect();
    times.sort_by(f64::total_cmp);
    times[FRAMES / 2]
}

/// As [`frame_ms`], with `between` run before each frame (untimed): lines arriving.
fn frame_ms_with(app: &mut App, mut between: impl FnMut(&mut App)) -> f64 {
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 60)).expect("terminal");
    let mut times: Vec<f64> = Vec::with_capacity(FRAMES + 10);
    for _ in 0..FRAMES + 10 {
        between(app);
        let t = Instant::now();
        term.draw(|f| tunnelscope::tui::ui::draw(f, app))
            .expect("draw");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut times = times.split_off(10);
    times.sort_by(f64::total_cmp);
    times[FRAMES / 2]
}
