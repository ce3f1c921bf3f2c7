//! Drawing cost and memory of the screen: one frame at 200x60 with a full scrollback and
//! 500 SAs, and the memory taken after 1 000 000 debug lines went through a router's view.
//! `cargo bench --bench render`; `cargo bench --bench render -- flood` measures memory under a
//! flood of 60 KB debug lines instead (run alone, so the RSS is its own).

use std::time::Instant;
use tunnelscope::console::session::Event;
use tunnelscope::console::transcript::Item;
use tunnelscope::model::{IkeSa, IpsecSa, Limits, SourceLine};
use tunnelscope::tui::app::{App, Pane};
use tunnelscope::tui::keymap::Keymap;
use tunnelscope::tui::router::RouterView;

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

fn main() {
    if std::env::args().any(|a| a == "flood") {
        flood();
        return;
    }
    let before = rss_kb();
    let mut r = RouterView::new("Peer1", tunnelscope::tui::debuglog::DEFAULT_SCROLLBACK);
    r.fixed_stamp = Some("10:00:00.000".into());
    let t = Instant::now();
    for n in 0..1_000_000usize {
        let text = LINES[n % 4].replace("{n}", &(n % 100_000).to_string());
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
    let mut app = App::new(vec![r], Keymap::builtin());
    let per = frame_ms(&app);
    println!(
        "one frame at 200x60 with a full scrollback (100 000 lines) and 500+500 SAs: {per:.2} ms"
    );
    // Where the time goes: each pane alone (zoomed), and the lines one each, not wrapped.
    app.zoom = true;
    for pane in Pane::ORDER {
        app.focus = pane;
        println!("  {pane:?} zoomed: {:.2} ms", frame_ms(&app));
    }
    app.zoom = false;
    app.focus = Pane::Debug;
    app.debug.wrap = false;
    println!("  one line each (not wrapped): {:.2} ms", frame_ms(&app));
    app.debug.wrap = true;
    app.debug.filter = Some(tunnelscope::model::Phase::Two);
    println!("  phase 2 filter: {:.2} ms", frame_ms(&app));
}

/// A flood of long lines (20 000 lines of 60 KB, 1.2 GB in all) through a router view: the
/// scrollback's byte cap and the cut of long lines keep memory bounded.
fn flood() {
    let before = rss_kb();
    let mut r = RouterView::new("Peer1", tunnelscope::tui::debuglog::DEFAULT_SCROLLBACK);
    r.fixed_stamp = Some("10:00:00.000".into());
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

/// Mean time of one frame at 200x60 over 200 frames.
fn frame_ms(app: &App) -> f64 {
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 60)).expect("terminal");
    let frames = 200;
    let t = Instant::now();
    for _ in 0..frames {
        term.draw(|f| tunnelscope::tui::ui::draw(f, app))
            .expect("draw");
    }
    t.elapsed().as_secs_f64() / f64::from(frames) * 1000.0
}
