//! The screen without a terminal: a simulated console driven on simulated time the way the
//! session drives a router (commands at the prompt, the pager answered), its output through
//! the text cleaner and the transcript splitter into a router's state; and a frame drawn on a
//! ratatui `TestBackend`, as a buffer and as plain text.
//!
//! Taken by the screen tests only (see `mod.rs`); `dead_code` is allowed because each of them
//! uses part of it.
#![allow(dead_code)]

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::prompt::Privilege;
use tunnelscope::console::session::{Event, LoginState, Status};
use tunnelscope::console::text::{Partial, TextCleaner, TextEvent};
use tunnelscope::console::transcript::Transcript;
use tunnelscope::live::RouterState;
use tunnelscope::sim::{Console, ConsoleConfig, Network, Scenario, Start};
use tunnelscope::tui::app::App;

/// One simulated console at the security officer's prompt, feeding `view`. No task and no
/// real time: output is instant in simulated time `now`.
pub struct SimConsole {
    pub console: Console,
    pub cleaner: TextCleaner,
    pub transcript: Transcript<'static>,
    pub view: RouterState,
    pub now: Duration,
}

impl SimConsole {
    /// Peer `peer` (0 or 1) of `net`, logged in; its first prompt already read.
    pub fn new(net: Arc<Mutex<Network>>, peer: usize, view: RouterState) -> SimConsole {
        let mut c = SimConsole {
            console: Console::new(net, peer, Start::SecOff, ConsoleConfig::default()),
            cleaner: TextCleaner::default(),
            transcript: Transcript::new(Classifier::builtin()),
            view,
            now: Duration::ZERO,
        };
        c.pump();
        c
    }

    /// What the console has sent, through the cleaner and the splitter, to the view.
    pub fn pump(&mut self) {
        loop {
            let bytes = self.console.take_output(usize::MAX);
            let mut events: Vec<TextEvent> = Vec::new();
            self.cleaner.feed(&bytes, &mut events);
            let mut items = Vec::new();
            self.transcript.feed(&mut events, &mut items);
            let mut answered = false;
            // The line is quiet now (the console has sent all it had): judge the last line.
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
                break;
            }
        }
    }

    /// Types `cmd` and Enter at the prompt (its echo expected), without reading the output.
    pub fn type_command(&mut self, cmd: &str) {
        if let Some(p) = self.transcript.last_prompt.clone() {
            self.transcript.expect_echo(cmd, p);
        }
        self.console.input(format!("{cmd}\r").as_bytes(), self.now);
    }

    /// A command typed at the prompt, run to its end.
    pub fn command(&mut self, cmd: &str) {
        self.type_command(cmd);
        self.pump();
    }
}

/// The status a session reports for a simulated peer it has logged in to.
pub fn logged_in(scenario: Scenario, peer: usize, debug_on: bool) -> Status {
    Status {
        link: format!("simulator Peer{} ({})", peer + 1, scenario.name()),
        login: LoginState::LoggedIn,
        privilege: Some(Privilege::SecurityOfficer),
        system_name: Some(format!("Peer{}", peer + 1)),
        debug_on,
        line_share: 0.05,
        last_poll: None,
        bytes_per_sec: None,
    }
}

/// One frame of `app` at `w` x `h`.
pub fn render(app: &App, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| tunnelscope::tui::ui::draw(f, app))
        .expect("draw");
    term.backend().buffer().clone()
}

/// The buffer as plain text: the cell symbols, one line per row, trailing blanks cut.
pub fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
