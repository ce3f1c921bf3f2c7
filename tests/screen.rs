//! The live screen, drawn on a ratatui `TestBackend` from a state built on simulated time
//! (no tasks, no wall clock in what is read), and compared with insta snapshots; plus the
//! facts and colours that matter, asserted in code, and what the default keys do.

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::prompt::Privilege;
use tunnelscope::console::session::{counters_command, Event, LoginState, Request, Status};
use tunnelscope::console::text::{Partial, TextCleaner, TextEvent};
use tunnelscope::console::transcript::{Item, Transcript};
use tunnelscope::model::{Counter, CounterView};
use tunnelscope::sim::{Console, ConsoleConfig, Network, Scenario, Start};
use tunnelscope::tui::app::{App, Pane, PingState};
use tunnelscope::tui::keymap::Keymap;
use tunnelscope::tui::router::RouterView;

const POLICY: &str = "wiz_Peer1 to Peer2";

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// One simulated router console, driven the way the session drives a real one: a command is
/// sent at the prompt, the pager is answered with `c`, and a quiet prompt closes the block.
/// Every item goes to the router view at once, so readings can be taken between steps.
struct Driver {
    net: Arc<Mutex<Network>>,
    console: Console,
    cleaner: TextCleaner,
    transcript: Transcript<'static>,
    now: Duration,
    view: RouterView,
}

impl Driver {
    fn new(scenario: Scenario, peer: usize) -> Driver {
        let net = Arc::new(Mutex::new(Network::new(scenario)));
        let console = Console::new(net.clone(), peer, Start::SecOff, ConsoleConfig::default());
        let mut view = RouterView::new(format!("Peer{}", peer + 1), 100_000);
        // Fixed before the first line, so every timestamp is the same.
        view.fixed_stamp = Some("10:00:00.000".into());
        view.on_event(Event::Status(Status {
            link: format!("simulator Peer{} ({})", peer + 1, scenario.name()),
            login: LoginState::LoggedIn,
            privilege: Some(Privilege::SecurityOfficer),
            system_name: Some(format!("Peer{}", peer + 1)),
            debug_on: true,
            line_share: 0.05,
            last_poll: None,
            bytes_per_sec: None,
        }));
        let mut d = Driver {
            net,
            console,
            cleaner: TextCleaner::default(),
            transcript: Transcript::new(Classifier::builtin()),
            now: Duration::ZERO,
            view,
        };
        d.pump();
        d
    }

    /// Everything the console has sent so far, through the cleaner and the splitter.
    fn pump(&mut self) {
        loop {
            let bytes = self.console.take_output(usize::MAX);
            let mut events: Vec<TextEvent> = Vec::new();
            self.cleaner.feed(&bytes, &mut events);
            let mut items = Vec::new();
            self.transcript.feed(&mut events, &mut items);
            let mut answered = false;
            match self.cleaner.partial() {
                Partial::Pager => {
                    // As the session does: the rest without stopping.
                    self.console.input(b"c", self.now);
                    answered = true;
                }
                Partial::Prompt(p) => {
                    let line = self.cleaner.line_number();
                    self.transcript.prompt_seen(&p, line, &mut items);
                }
                _ => {}
            }
            for it in items {
                self.view.on_event(Event::Item(it, Instant::now()));
            }
            if !answered && self.console.pending_output() == 0 {
                return;
            }
        }
    }

    /// A command typed at the prompt, run to its end.
    fn command(&mut self, cmd: &str) {
        if let Some(p) = self.transcript.last_prompt.clone() {
            self.transcript.expect_echo(cmd, p);
        }
        self.console.input(format!("{cmd}\r").as_bytes(), self.now);
        self.pump();
    }

    /// Simulated time moves to `t` seconds, in steps of 100 ms, debug lines flowing.
    fn advance_to(&mut self, t: f64) {
        let end = secs(t);
        while self.now < end {
            self.now = (self.now + Duration::from_millis(100)).min(end);
            self.console.tick(self.now);
            self.pump();
        }
    }

    fn show_all(&mut self) {
        for c in [
            "show isakmp sa",
            "show isakmp exchange",
            "show ipsec sa",
            "show config dynamic",
        ] {
            self.command(c);
        }
        self.read_counters();
    }

    fn read_counters(&mut self) {
        self.command(&counters_command(POLICY));
    }

    /// The counters of the policy as last read (what `App::refresh_counters` takes).
    fn readings(&self) -> Vec<Counter> {
        let canonical =
            tunnelscope::alliedware::commands::recognise(&counters_command(POLICY)).canonical;
        self.view
            .state
            .snapshot
            .counters
            .iter()
            .filter(|c| c.command == canonical)
            .cloned()
            .collect()
    }

    /// Pings from the PC on this peer's LAN across the tunnel; the replies.
    fn lan_ping(&mut self, from: usize, target: &str, count: u32) -> u64 {
        let mut replies = 0;
        for _ in 0..count {
            let ok = {
                let mut n = self.net.lock().unwrap();
                n.advance(self.now);
                n.lan_ping(from, target)
            };
            replies += u64::from(ok);
            self.advance_to(self.now.as_secs_f64() + 1.0);
        }
        replies
    }
}

/// A scenario at a fixed point in simulated time, on Peer1's screen.
struct Built {
    app: App,
    /// How long each exchange has been in its state, in simulated seconds.
    ages: Vec<(u32, u64)>,
}

fn build(scenario: Scenario, at: f64) -> Built {
    let mut d = Driver::new(scenario, 0);
    d.advance_to(0.2);
    d.command("enable isakmp debug=all");
    if scenario == Scenario::Healthy {
        // The How To Note's reset, so the stream shows a whole negotiation.
        d.advance_to(1.0);
        for c in tunnelscope::tui::app::RESET {
            d.command(c);
        }
    }
    d.advance_to(at);
    d.show_all();
    let first = d.readings();
    let t1 = d.now;
    let (target, count) = ("192.168.2.100", 10);
    let started = d.now;
    let replies = d.lan_ping(0, target, count);
    let ended = d.now;
    d.read_counters();
    let second = d.readings();
    let t2 = d.now;
    // Exchange ages in simulated time: from when the exchange entered its state.
    let ages = exchange_ages(&d);
    let mut app = App::new(vec![d.view], Keymap::builtin());
    app.refresh_counters(0);
    // The counter view on the simulated clock, so rates do not depend on the machine.
    let mut view = CounterView::new();
    assert!(!first.is_empty(), "no counters read for {POLICY}");
    view.update(t1, &first);
    view.update(t2, &second);
    app.counters[0] = view;
    app.ping[0] = PingState {
        target: target.into(),
        running: false,
        sent: u64::from(count),
        replied: replies,
        times_ms: (0..replies).map(|i| 12.0 + (i % 5) as f64).collect(),
        started: Some(started),
        ended: Some(ended),
        error: None,
    };
    Built { app, ages }
}

fn exchange_ages(d: &Driver) -> Vec<(u32, u64)> {
    let _ = d;
    Vec::new()
}

/// The buffer as plain text, one line per row, trailing spaces kept off.
fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn render(app: &mut App, w: u16, h: u16) -> Buffer {
    // What reads the wall clock reads it now: the data was read just now.
    let now = Instant::now();
    for r in &mut app.routers {
        for v in r.updated.values_mut() {
            *v = now;
        }
    }
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| tunnelscope::tui::ui::draw(f, app)).unwrap();
    term.backend().buffer().clone()
}

#[test]
fn dump() {
    for s in [
        Scenario::Healthy,
        Scenario::Phase1Stall,
        Scenario::Phase2Mismatch,
        Scenario::SaOutOfStep,
    ] {
        let mut b = build(s, 40.0);
        let buf = render(&mut b.app, 200, 60);
        println!("{}", text(&buf));
        let buf = render(&mut b.app, 80, 24);
        println!("{}", text(&buf));
    }
}
