//! No panic at any size: every state of the screen (each overlay and dialog, each focused
//! pane, zoomed or not, the command line, the search prompt, passthrough, each demo scenario,
//! a router not connected yet, two routers) drawn on a ratatui `TestBackend` at random sizes
//! from 1x1 to 400x120, and at every width up to 60 for the dialogs (a dialog in a 21 to 43
//! column terminal once panicked: `min > max`). The frames are also checked for the things a
//! state must show when there is room for them.

#[path = "support/screen.rs"]
mod screen_support;
mod support;

use proptest::prelude::*;
use ratatui::buffer::Buffer;
use screen_support::{self as screen, SimConsole};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::cases;
use tunnelscope::console::session::Event;
use tunnelscope::live::RouterState;
use tunnelscope::sim::{Network, Scenario};
use tunnelscope::tui::app::{App, Input, Overlay, Pane};
use tunnelscope::tui::keymap::Keymap;

/// A router view after 20 simulated seconds of a scenario with debug on and polls running.
fn router_view(scenario: Scenario, peer: usize) -> RouterState {
    let net = Arc::new(Mutex::new(Network::new(scenario)));
    let mut view = RouterState::new(format!("Peer{}", peer + 1), 10_000);
    view.on_event(Event::Status(screen::logged_in(scenario, peer, true)));
    let mut d = SimConsole::new(net, peer, view);
    d.command("show config dynamic");
    d.pump();
    d.command("show config dynamic");
    d.command("enable isakmp debug=all");
    d.view.user_command("show isakmp sa");
    while d.now < Duration::from_secs(20) {
        d.now += Duration::from_millis(250);
        d.console.tick(d.now);
        d.pump();
        if d.now.as_millis().is_multiple_of(3000) {
            d.command("show isakmp exchange");
        }
    }
    for c in [
        "show isakmp sa",
        "show ipsec sa",
        "show isakmp counters",
        "show ipsec policy=\"wiz_Peer1 to Peer2\" counters",
    ] {
        d.command(c);
    }
    d.view.tick();
    d.view
}

fn demo_app(scenario: Scenario, routers: usize) -> App {
    let views = (0..routers).map(|p| router_view(scenario, p)).collect();
    let mut app = App::new(views, Keymap::builtin());
    app.live.scenario = Some(scenario.name().to_string());
    app.live.scenarios = Scenario::ALL
        .iter()
        .map(|s| (s.name().to_string(), s.describe().to_string()))
        .collect();
    for i in 0..routers {
        app.live.refresh_counters(i);
    }
    app
}

/// The states drawn on top of an app: each overlay, each input mode, each focus, zoom.
#[derive(Debug, Clone)]
enum State {
    Plain,
    Help(u16),
    ConfirmReset,
    ConfirmQuit,
    Detail(u16),
    Scenarios(usize),
    CommandLine,
    Search,
    Passthrough,
    Message,
    Frozen,
}

const STATES: usize = 11;

fn state(n: usize, scroll: u16) -> State {
    match n % STATES {
        0 => State::Plain,
        1 => State::Help(scroll),
        2 => State::ConfirmReset,
        3 => State::ConfirmQuit,
        4 => State::Detail(scroll),
        5 => State::Scenarios(scroll as usize % 7),
        6 => State::CommandLine,
        7 => State::Search,
        8 => State::Passthrough,
        9 => State::Message,
        _ => State::Frozen,
    }
}

fn apply(app: &mut App, st: &State, focus: Pane, zoom: bool) {
    app.focus = focus;
    app.zoom = zoom;
    app.overlay = Overlay::None;
    app.input = Input::None;
    app.note = None;
    app.debug.follow = true;
    app.debug.selected = None;
    app.debug.filter = None;
    match st {
        State::Plain => {}
        State::Help(s) => app.overlay = Overlay::Help { scroll: *s },
        State::ConfirmReset => app.overlay = Overlay::ConfirmReset,
        State::ConfirmQuit => app.overlay = Overlay::ConfirmQuit,
        State::Detail(s) => {
            app.overlay = Overlay::Detail {
                title: "a finding with a long title ".repeat(4),
                lines: vec![
                    "x".repeat(600),
                    String::new(),
                    "some evidence line".into(),
                    "wide ｗｉｄｅ 全角 text and an emoji 🙂 and more".into(),
                ],
                scroll: *s,
            }
        }
        State::Scenarios(sel) => app.overlay = Overlay::Scenarios { selected: *sel },
        State::CommandLine => app.input = Input::Command("show isakmp ".repeat(20)),
        State::Search => app.input = Input::Search("heartbeat".into()),
        State::Passthrough => app.input = Input::Passthrough,
        State::Message => {
            app.note = Some(("a message in the status bar ".repeat(8), Instant::now()))
        }
        State::Frozen => {
            app.debug.follow = false;
            app.debug.selected = Some(3);
            app.debug.search = "SA".into();
            app.debug.filter = Some(tunnelscope::model::Phase::One);
        }
    }
}

fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// True when `needle` is on screen in reverse video (the picker's selection).
fn reversed(buf: &Buffer, needle: &str) -> bool {
    let n = needle.chars().count() as u16;
    (0..buf.area.height).any(|y| {
        (0..buf.area.width.saturating_sub(n.saturating_sub(1))).any(|x| {
            let here: String = (x..x + n).map(|i| buf[(i, y)].symbol()).collect();
            here == needle
                && buf[(x, y)]
                    .modifier
                    .contains(ratatui::style::Modifier::REVERSED)
        })
    })
}

/// The apps: each scenario on one peer, the healthy one with two routers, and a router not
/// connected yet (no status, nothing read).
fn apps() -> Vec<App> {
    let mut v: Vec<App> = Scenario::ALL.iter().map(|s| demo_app(*s, 1)).collect();
    v.push(demo_app(Scenario::Healthy, 2));
    // Both ends of other scenarios; one with the second end's link down and one end's
    // debug lines only.
    v.push(demo_app(Scenario::SaOutOfStep, 2));
    let mut down = demo_app(Scenario::Phase2Mismatch, 2);
    let mut st = screen::logged_in(Scenario::Phase2Mismatch, 1, false);
    st.login = tunnelscope::console::session::LoginState::Disconnected;
    down.live.routers[1].on_event(Event::Status(st));
    down.debug.end = Some(1);
    down.current = 1;
    v.push(down);
    // Two routers, neither connected yet.
    v.push(App::new(
        vec![
            RouterState::new(String::from("serial:/dev/ttyUSB0"), 100),
            RouterState::new(String::from("ssh://secoff@10.0.0.2"), 100),
        ],
        Keymap::builtin(),
    ));
    v.push(App::new(
        vec![RouterState::new(String::from("serial:/dev/ttyUSB0"), 100)],
        Keymap::builtin(),
    ));
    v
}

#[test]
fn every_state_draws_at_random_sizes_from_1x1_to_400x120() {
    let apps = std::cell::RefCell::new(apps());
    let n_apps = apps.borrow().len();
    let strategy = (
        1u16..=400,
        1u16..=120,
        0..n_apps,
        0..STATES,
        0u16..40,
        0..Pane::ORDER.len(),
        any::<bool>(),
    );
    let name = "every_state_draws_at_random_sizes_from_1x1_to_400x120";
    cases::run(
        name,
        cases::config(1500),
        strategy,
        |(w, h, a, s, scroll, focus, zoom)| {
            let mut apps = apps.borrow_mut();
            let app = &mut apps[a];
            let st = state(s, scroll);
            apply(app, &st, Pane::ORDER[focus], zoom);
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                screen::render(app, w, h)
            }));
            prop_assert!(
                caught.is_ok(),
                "panic drawing app {a} in state {st:?}, focus {focus}, zoom {zoom} at {w}x{h}"
            );
            Ok(())
        },
    );
}

#[test]
fn every_dialog_draws_at_every_small_size() {
    let mut app = demo_app(Scenario::Healthy, 1);
    for s in 1..STATES {
        let st = state(s, 30);
        // The dialogs at many heights; the status bar's states at a few.
        let heights: &[u16] = if s <= 5 {
            &[1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 30]
        } else {
            &[1, 3, 24]
        };
        apply(&mut app, &st, Pane::Debug, false);
        for w in 1..=60u16 {
            for &h in heights {
                let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    screen::render(&app, w, h)
                }));
                assert!(caught.is_ok(), "panic in state {st:?} at {w}x{h}");
            }
        }
    }
}

/// The dialog that panicked from 21 to 43 columns: the quit confirmation is drawn whole
/// enough to answer (its keys are on screen) at every width from 21 to 43.
#[test]
fn the_quit_dialog_is_drawn_at_21_to_43_columns() {
    let mut app = demo_app(Scenario::Healthy, 1);
    apply(&mut app, &State::ConfirmQuit, Pane::Debug, false);
    for w in 21..=43u16 {
        let t = text(&screen::render(&app, w, 24));
        assert!(t.contains("Quit"), "{w} columns:\n{t}");
        assert!(t.contains("y: quit"), "{w} columns:\n{t}");
    }
}

/// The scenario picker keeps its selection in view whatever its size, and the help's scroll
/// never moves it (they once shared one scroll).
#[test]
fn the_scenario_picker_shows_its_selection_at_any_height() {
    let mut app = demo_app(Scenario::Healthy, 1);
    for sel in 0..7 {
        apply(&mut app, &State::Scenarios(sel), Pane::Debug, false);
        let name = Scenario::ALL[sel].name();
        for h in 3..=30u16 {
            for w in [30u16, 80, 200] {
                let buf = screen::render(&app, w, h);
                assert!(
                    reversed(&buf, name),
                    "{name} selected, {w}x{h}:\n{}",
                    text(&buf)
                );
            }
        }
    }
}

/// Issue 10, item 3: each pane of the two-end screen draws inside its area and nowhere else,
/// at any area inside any screen: the cells around it keep what was there.
#[test]
fn two_end_panes_draw_inside_their_area_only() {
    use ratatui::layout::Rect;
    use ratatui::widgets::Block;
    use tunnelscope::tui::panes::{counters, doctor, tables, tunnel};
    let apps = std::cell::RefCell::new(vec![
        demo_app(Scenario::Healthy, 2),
        demo_app(Scenario::SaOutOfStep, 2),
    ]);
    let strategy = (
        1u16..=250,
        1u16..=80,
        0u16..250,
        0u16..80,
        0u16..250,
        0u16..80,
        0usize..2,
        0usize..6,
        0u16..40,
    );
    let name = "two_end_panes_draw_inside_their_area_only";
    cases::run(
        name,
        cases::config(600),
        strategy,
        |(w, h, x, y, rw, rh, a, which, scroll)| {
            let mut apps = apps.borrow_mut();
            let app = &mut apps[a];
            app.tunnel_scroll = usize::from(scroll);
            let x = x % w;
            let y = y % h;
            let area = Rect::new(x, y, rw.min(w - x), rh.min(h - y));
            let mut term =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("terminal");
            let app = &*app;
            term.draw(|f| {
                let all = f.area();
                for yy in all.top()..all.bottom() {
                    for xx in all.left()..all.right() {
                        f.buffer_mut()[(xx, yy)].set_symbol("#");
                    }
                }
                let block = Block::bordered().title(" a title that is long enough to be cut ");
                match which {
                    0 => tunnel::draw(f, app, area, block),
                    1 => tables::draw_end(f, app, 1, area, block),
                    2 => counters::draw_end(f, app, 1, area, block),
                    3 => doctor::draw_ends(f, app, area, block),
                    4 => {
                        let inner = block.inner(area);
                        let r = app.routers();
                        tunnelscope::tui::panes::merged::draw_merged(
                            f.buffer_mut(),
                            inner,
                            [&r[0].debug, &r[1].debug],
                            ["Peer1", "Peer2"],
                            &tunnelscope::tui::panes::merged::MergedView {
                                follow: scroll % 2 == 0,
                                selected: Some((usize::from(scroll) % 2, usize::from(scroll))),
                                search: "SA",
                                filter: None,
                                wrap: scroll % 3 != 0,
                                hscroll: usize::from(scroll),
                                end: [None, Some(0), Some(1)][usize::from(scroll) % 3],
                            },
                        );
                    }
                    _ => {
                        let line = tunnel::of_app(app).map(|t| tunnel::summary_line(&t));
                        if let Some(l) = line {
                            f.render_widget(ratatui::widgets::Paragraph::new(l), area);
                        }
                    }
                }
            })
            .expect("draw");
            let buf = term.backend().buffer();
            for yy in 0..h {
                for xx in 0..w {
                    let inside = xx >= area.left()
                        && xx < area.right()
                        && yy >= area.top()
                        && yy < area.bottom();
                    prop_assert!(
                        inside || buf[(xx, yy)].symbol() == "#",
                        "pane {which} of app {a} in {area:?} on {w}x{h} drew at ({xx}, {yy})"
                    );
                }
            }
            Ok(())
        },
    );
}
