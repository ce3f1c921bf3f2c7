//! The screen's view state (focus, dialogs, selections, the line being typed) and what keys do:
//! keys become the live room's `Action`s; the routers' state lives in the room, which the
//! panes draw. No terminal, no I/O here.

use super::debuglog::Entry;
use super::input;
use super::keymap::{Command, Context, Key, KeySequencer, Keymap, Step};
use crate::live::{Action, Live, ReplayControl, RouterState};
use crate::model::{Cmd, Phase};
use std::time::{Duration, Instant};

pub use crate::live::PingState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Tables,
    /// Both ends compared (shown with two routers only).
    Tunnel,
    Debug,
    Counters,
    Doctor,
    Console,
}

impl Pane {
    pub const ORDER: [Pane; 6] = [
        Pane::Tables,
        Pane::Tunnel,
        Pane::Debug,
        Pane::Counters,
        Pane::Doctor,
        Pane::Console,
    ];

    pub fn context(self) -> Context {
        match self {
            Pane::Tables => Context::Tables,
            Pane::Tunnel => Context::Tunnel,
            Pane::Debug => Context::Debug,
            Pane::Counters => Context::Counters,
            Pane::Doctor => Context::Doctor,
            Pane::Console => Context::Console,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Tables => "SAs and exchanges",
            Pane::Tunnel => "Tunnel",
            Pane::Debug => "Debug stream",
            Pane::Counters => "Counters",
            Pane::Doctor => "Doctor",
            Pane::Console => "Console",
        }
    }
}

/// A dialog or overlay. Each one that scrolls carries its own scroll, so one scrolled
/// before never shifts the next (the scenario picker once opened scrolled by the help's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    /// The keys of the screen; `scroll` lines scrolled (small screens).
    Help {
        scroll: u16,
    },
    /// The How To Note's reset, listed before it is sent.
    ConfirmReset,
    /// Quit while debug is on.
    ConfirmQuit,
    /// Compare keys where a router is reached over telnet (clear text on the network).
    ConfirmKeys,
    Detail {
        title: String,
        lines: Vec<String>,
        scroll: u16,
    },
    Scenarios {
        selected: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    None,
    Command(String),
    Search(String),
    /// Keys go to the router as typed.
    Passthrough,
}

pub struct DebugView {
    pub follow: bool,
    /// The selected line (index into the log), when frozen or searching.
    pub selected: Option<usize>,
    pub search: String,
    pub filter: Option<Phase>,
    /// Long lines wrap (the default), or take one line each, scrolled by `hscroll` columns.
    pub wrap: bool,
    pub hscroll: usize,
    /// Whose lines the merged stream of two ends shows: both (`None`) or one router's.
    pub end: Option<usize>,
}

pub struct App {
    /// The routers, their sessions and everything they read.
    pub live: Live,
    pub current: usize,
    pub focus: Pane,
    pub zoom: bool,
    pub overlay: Overlay,
    pub input: Input,
    pub debug: DebugView,
    /// Which table (0 ISAKMP SAs, 1 exchanges, 2 IPsec SAs), its selected row and sort column.
    pub table: usize,
    pub table_row: usize,
    pub sort: usize,
    pub doctor_row: usize,
    pub console_scroll: usize,
    /// Rows scrolled in the tunnel pane, and how many it could scroll at the last frame (the
    /// drawing sets it, as for `overlay_max_scroll`).
    pub tunnel_scroll: usize,
    pub tunnel_rows: std::cell::Cell<usize>,
    pub history: Vec<String>,
    history_pos: Option<usize>,
    pub keymap: Keymap,
    pub sequencer: KeySequencer,
    pub quit: bool,
    /// What the screen itself has to say (the live room has its own notices).
    pub note: Option<(String, Instant)>,
    /// How far the open help or detail can scroll at the last frame's size (the drawing
    /// sets it), so that Up after scrolling past the end moves at once.
    pub overlay_max_scroll: std::cell::Cell<u16>,
}

impl App {
    /// A screen over routers fed by hand (tests, screen snapshots): no session behind them.
    pub fn new(routers: Vec<RouterState>, keymap: Keymap) -> Self {
        Self::with_live(Live::detached(routers, Default::default()), keymap)
    }

    /// A screen over a live room.
    pub fn with_live(live: Live, keymap: Keymap) -> Self {
        App {
            live,
            current: 0,
            focus: Pane::Debug,
            zoom: false,
            overlay: Overlay::None,
            input: Input::None,
            debug: DebugView {
                follow: true,
                selected: None,
                search: String::new(),
                filter: None,
                wrap: true,
                hscroll: 0,
                end: None,
            },
            table: 0,
            table_row: 0,
            sort: 0,
            doctor_row: 0,
            console_scroll: 0,
            tunnel_scroll: 0,
            tunnel_rows: std::cell::Cell::new(0),
            history: Vec::new(),
            history_pos: None,
            keymap,
            sequencer: KeySequencer::default(),
            quit: false,
            note: None,
            overlay_max_scroll: std::cell::Cell::new(u16::MAX),
        }
    }

    /// The keymap context for keys now: the console context means "typing a line", so the
    /// console pane with no line open takes the global keys.
    pub fn key_context(&self) -> Context {
        match self.focus {
            Pane::Console => Context::Global,
            p => p.context(),
        }
    }

    /// The routers on screen.
    pub fn routers(&self) -> &[RouterState] {
        &self.live.routers
    }

    /// The router on screen. A screen always has one (an empty room gets a placeholder).
    pub fn router(&self) -> &RouterState {
        static NONE: std::sync::OnceLock<RouterState> = std::sync::OnceLock::new();
        self.live
            .routers
            .get(self.current)
            .or_else(|| self.live.routers.last())
            .unwrap_or_else(|| NONE.get_or_init(|| RouterState::new("no router", 1)))
    }

    /// The newest message for the status bar: the screen's or the live room's.
    pub fn message(&self) -> Option<&(String, Instant)> {
        match (&self.note, &self.live.notice) {
            (Some(a), Some(b)) => Some(if b.1 > a.1 { b } else { a }),
            (a, b) => a.as_ref().or(b.as_ref()),
        }
    }

    fn act(&mut self, a: Action) {
        if !self.live.apply(a) {
            self.quit = true;
        }
    }

    fn say(&mut self, msg: impl Into<String>) {
        self.note = Some((msg.into(), Instant::now()));
    }

    pub fn clock(&self) -> Duration {
        self.live.clock()
    }

    /// The policy whose counters router `idx` shows.
    pub fn chosen_policy(&self, idx: usize) -> Option<String> {
        self.live.routers.get(idx).and_then(|r| r.chosen_policy())
    }

    /// A key from the terminal.
    pub fn on_key(&mut self, key: Key) {
        match self.input.clone() {
            Input::Passthrough => return self.passthrough_key(key),
            Input::Command(_) | Input::Search(_) => return self.line_key(key),
            Input::None => {}
        }
        if self.overlay != Overlay::None {
            return self.overlay_key(key);
        }
        let keymap = self.keymap.clone();
        match self.sequencer.feed(&keymap, self.key_context(), key) {
            Step::Run(cmd) => self.on_command(cmd),
            Step::Pending => {}
            // Never silent: a key that means nothing here says so, and where to look.
            Step::Unbound => self.say(format!(
                "{key} does nothing in the {} pane (? lists the keys)",
                self.focus.title()
            )),
        }
    }

    fn passthrough_key(&mut self, key: Key) {
        if self.keymap.resolve(Context::Global, key) == Some(Command::Passthrough) {
            self.input = Input::None;
            self.say("passthrough off");
            return;
        }
        if let Some(bytes) = input::to_bytes(key) {
            let router = self.current;
            self.act(Action::Raw { router, bytes });
        }
    }

    fn line_key(&mut self, key: Key) {
        let mut text = match &self.input {
            Input::Command(t) | Input::Search(t) => t.clone(),
            _ => return,
        };
        let searching = matches!(self.input, Input::Search(_));
        match self.keymap.resolve(Context::Console, key) {
            Some(Command::Confirm) => {
                self.input = Input::None;
                if searching {
                    self.debug.search = text;
                    self.search(true);
                } else {
                    self.run_line(text);
                }
                return;
            }
            Some(Command::Cancel) => {
                self.input = Input::None;
                return;
            }
            Some(Command::HistoryPrev) if !searching && !self.history.is_empty() => {
                let pos = self
                    .history_pos
                    .map(|p| p.saturating_sub(1))
                    .unwrap_or(self.history.len() - 1);
                self.history_pos = Some(pos);
                text = self.history[pos].clone();
            }
            Some(Command::HistoryNext) if !searching => {
                if let Some(p) = self.history_pos {
                    if p + 1 < self.history.len() {
                        self.history_pos = Some(p + 1);
                        text = self.history[p + 1].clone();
                    } else {
                        self.history_pos = None;
                        text.clear();
                    }
                }
            }
            Some(Command::Complete) if !searching => {
                let low = text.to_ascii_lowercase();
                let known = self.live.opts.dialect.completions();
                let hits: Vec<&&str> = known.iter().filter(|k| k.starts_with(&low)).collect();
                match hits.as_slice() {
                    [one] => text = (**one).to_string(),
                    [] => {}
                    many => {
                        // The longest common prefix, and the choices as a hint.
                        let first = many[0];
                        let common = many.iter().fold(first.len(), |n, k| {
                            first
                                .bytes()
                                .zip(k.bytes())
                                .take(n)
                                .take_while(|(a, b)| a == b)
                                .count()
                        });
                        text = first[..common].to_string();
                        let list: Vec<&str> = many.iter().map(|s| **s).collect();
                        self.say(list.join("  "));
                    }
                }
            }
            _ => {
                if input::is_backspace(key) {
                    text.pop();
                } else if let Some(c) = input::typed_char(key) {
                    if text.len() < 512 {
                        text.push(c);
                    }
                }
            }
        }
        self.input = if searching {
            Input::Search(text)
        } else {
            Input::Command(text)
        };
    }

    fn run_line(&mut self, text: String) {
        let t = text.trim().to_string();
        if t.is_empty() {
            return;
        }
        if self.history.last() != Some(&t) {
            self.history.push(t.clone());
            if self.history.len() > 500 {
                self.history.remove(0);
            }
        }
        self.history_pos = None;
        // The focus stays where it was: the answer goes to the console pane.
        if self.focus != Pane::Console {
            self.say(format!("sent: {t} (the answer is in the console pane)"));
        }
        let router = self.current;
        self.act(Action::Command { router, text: t });
    }

    fn overlay_key(&mut self, key: Key) {
        let cmd = self.keymap.resolve(Context::Global, key);
        let yes = input::typed_char(key).is_some_and(|c| c == 'y' || c == 'Y');
        let no = input::typed_char(key).is_some_and(|c| c == 'n' || c == 'N');
        match self.overlay.clone() {
            Overlay::Help { .. } | Overlay::Detail { .. } => {
                if let Overlay::Help { scroll } | Overlay::Detail { scroll, .. } = &mut self.overlay
                {
                    // No further than the last frame could show: past the end, Up would
                    // seem to do nothing.
                    let max = self.overlay_max_scroll.get();
                    let cur = (*scroll).min(max);
                    *scroll = match cmd {
                        Some(Command::MoveDown) => cur.saturating_add(1),
                        Some(Command::MoveUp) => cur.saturating_sub(1),
                        Some(Command::PageDown) => cur.saturating_add(10),
                        Some(Command::PageUp) => cur.saturating_sub(10),
                        Some(Command::GoTop) => 0,
                        Some(Command::GoBottom) => u16::MAX,
                        _ => cur,
                    }
                    .min(max);
                }
                if matches!(
                    cmd,
                    Some(Command::Cancel | Command::Help | Command::Quit | Command::Confirm)
                ) {
                    self.overlay = Overlay::None;
                }
            }
            Overlay::ConfirmReset => {
                if cmd == Some(Command::Confirm) || yes {
                    if self.live.routers.len() > 1 {
                        self.act(Action::ResetAll);
                        self.say("reset sent: both ends down, then both up together");
                    } else {
                        let router = self.current;
                        self.act(Action::Reset { router });
                        self.say("ISAKMP and IPsec reset sent");
                    }
                    self.overlay = Overlay::None;
                } else if cmd == Some(Command::Cancel) || no {
                    self.overlay = Overlay::None;
                }
            }
            Overlay::ConfirmKeys => {
                if cmd == Some(Command::Confirm) || yes {
                    self.overlay = Overlay::None;
                    self.act(Action::CompareKeys);
                } else if cmd == Some(Command::Cancel) || no {
                    self.overlay = Overlay::None;
                    self.say("keys not compared");
                }
            }
            Overlay::ConfirmQuit => {
                if cmd == Some(Command::Confirm) || yes || cmd == Some(Command::Quit) {
                    self.quit = true;
                } else if cmd == Some(Command::Cancel) || no {
                    self.overlay = Overlay::None;
                }
            }
            Overlay::Scenarios { selected } => {
                let n = self.live.scenarios.len().max(1);
                match cmd {
                    Some(Command::MoveDown) => {
                        self.overlay = Overlay::Scenarios {
                            selected: (selected + 1) % n,
                        }
                    }
                    Some(Command::MoveUp) => {
                        self.overlay = Overlay::Scenarios {
                            selected: (selected + n - 1) % n,
                        }
                    }
                    Some(Command::GoTop | Command::PageUp) => {
                        self.overlay = Overlay::Scenarios { selected: 0 }
                    }
                    Some(Command::GoBottom | Command::PageDown) => {
                        self.overlay = Overlay::Scenarios { selected: n - 1 }
                    }
                    Some(Command::Confirm) => {
                        self.overlay = Overlay::None;
                        if let Some(name) = self.live.scenarios.get(selected).map(|s| s.0.clone()) {
                            self.act(Action::Scenario(name));
                            self.current = 0;
                            self.table_row = 0;
                            self.doctor_row = 0;
                            self.debug.selected = None;
                        }
                    }
                    Some(Command::Cancel) | Some(Command::Scenario) => self.overlay = Overlay::None,
                    _ => {}
                }
            }
            Overlay::None => {}
        }
    }

    /// What a command does.
    pub fn on_command(&mut self, cmd: Command) {
        if self.live.replaying
            && matches!(
                cmd,
                Command::DebugToggle
                    | Command::DebugHere
                    | Command::CompareKeys
                    | Command::PollNow
                    | Command::Reset
                    | Command::CommandLine
                    | Command::PingToggle
                    | Command::ShowDebugIpsec
                    | Command::Passthrough
                    | Command::Scenario
            )
        {
            self.say("this is a replay: nothing is sent to a router");
            return;
        }
        match cmd {
            Command::Quit => {
                if self.live.debug_on() && !self.live.replaying {
                    self.overlay = Overlay::ConfirmQuit;
                } else {
                    self.quit = true;
                }
            }
            Command::Help => {
                self.overlay = Overlay::Help { scroll: 0 };
                self.overlay_max_scroll.set(u16::MAX);
            }
            Command::FocusNext | Command::FocusPrev => {
                let i = Pane::ORDER
                    .iter()
                    .position(|p| *p == self.focus)
                    .unwrap_or(0);
                let n = Pane::ORDER.len();
                let mut j = i;
                loop {
                    j = if cmd == Command::FocusNext {
                        (j + 1) % n
                    } else {
                        (j + n - 1) % n
                    };
                    // The tunnel pane is there with two routers only.
                    if Pane::ORDER[j] != Pane::Tunnel || self.live.routers.len() > 1 {
                        break;
                    }
                }
                self.focus = Pane::ORDER[j];
            }
            Command::Zoom => self.zoom = !self.zoom,
            Command::CommandLine => {
                self.input = Input::Command(String::new());
                self.history_pos = None;
            }
            Command::DebugToggle => {
                // With both ends of a tunnel on screen, one key turns debug on (or off) at
                // both: a negotiation is read from both sides.
                let on = self.router().status.as_ref().is_some_and(|s| s.debug_on);
                let n = self.live.routers.len();
                for router in 0..n {
                    self.act(Action::Debug { router, on: !on });
                }
                let cmd = self.live.opts.dialect.command(&Cmd::Debug(true));
                let where_ = if n > 1 { " on both ends" } else { "" };
                self.say(if on {
                    format!("turning debug off{where_}")
                } else {
                    format!("turning debug on{where_} ({cmd})")
                });
            }
            Command::DebugHere => {
                let on = self.router().status.as_ref().is_some_and(|s| s.debug_on);
                let router = self.current;
                self.act(Action::Debug { router, on: !on });
                let label = self.router().label.clone();
                self.say(if on {
                    format!("turning debug off on {label} only")
                } else {
                    format!("turning debug on on {label} only")
                });
            }
            Command::CompareKeys => {
                if self.live.routers.len() < 2 {
                    self.say(
                        "keys are compared between the two ends of a tunnel (give two targets)",
                    );
                } else if self.live.any_telnet() {
                    self.overlay = Overlay::ConfirmKeys;
                } else {
                    self.act(Action::CompareKeys);
                }
            }
            Command::Ladder => self.open_ladder(),
            Command::PollNow => {
                let router = self.current;
                self.act(Action::PollNow { router });
                self.say("polling now");
            }
            Command::Reset => self.overlay = Overlay::ConfirmReset,
            Command::Baseline => {
                // Both ends count from the same moment, so their deltas tell one story.
                for router in 0..self.live.routers.len().max(1) {
                    self.act(Action::Baseline { router });
                }
                self.say("baseline set: deltas count from now");
            }
            Command::PingToggle => {
                let router = self.current;
                let start = !self.router().ping.running;
                self.act(Action::Ping { router, start });
            }
            Command::Scenario => {
                if !self.live.scenarios.is_empty() {
                    let sel = self
                        .live
                        .scenario
                        .as_ref()
                        .and_then(|s| self.live.scenarios.iter().position(|x| &x.0 == s))
                        .unwrap_or(0);
                    self.overlay = Overlay::Scenarios { selected: sel };
                } else {
                    self.say("scenarios are for the demo");
                }
            }
            Command::Passthrough => {
                self.input = Input::Passthrough;
                self.focus = Pane::Console;
                self.say(
                    "passthrough: keys go to the router; press the passthrough key again to leave",
                );
            }
            // The debug stream's commands work from any pane; a match takes the focus to it.
            Command::Search => self.input = Input::Search(String::new()),
            Command::SearchNext => self.search(true),
            Command::SearchPrev => self.search(false),
            Command::FollowToggle => {
                self.debug.follow = !self.debug.follow;
                if !self.debug.follow {
                    let vis = self.router().debug.visible(self.debug.filter);
                    self.debug.selected = vis.last().copied();
                }
                self.say(if self.debug.follow {
                    "debug stream: following new lines"
                } else {
                    "debug stream frozen: lines keep arriving below"
                });
            }
            Command::WrapToggle => {
                self.debug.wrap = !self.debug.wrap;
                self.debug.hscroll = 0;
                self.say(if self.debug.wrap {
                    "debug stream: long lines wrap"
                } else {
                    "debug stream: one line each (left/right scroll)"
                });
            }
            Command::ScrollLeft | Command::ScrollRight => {
                if self.debug.wrap {
                    self.say("debug lines wrap: nothing to scroll (w: one line each)");
                } else if cmd == Command::ScrollRight {
                    self.debug.hscroll = (self.debug.hscroll + 20).min(8192);
                } else {
                    self.debug.hscroll = self.debug.hscroll.saturating_sub(20);
                }
            }
            Command::FilterPhase => {
                self.debug.filter = match self.debug.filter {
                    None => Some(Phase::One),
                    Some(Phase::One) => Some(Phase::OneAndHalf),
                    Some(Phase::OneAndHalf) => Some(Phase::Two),
                    Some(Phase::Two) => Some(Phase::Info),
                    _ => None,
                };
                self.say(match self.debug.filter {
                    Some(p) => format!("debug stream: phase {p} only"),
                    None => "debug stream: every phase".into(),
                });
            }
            Command::EndFilter => {
                let n = self.live.routers.len();
                if n < 2 {
                    self.say("one router: its debug lines are all there is");
                } else {
                    self.debug.end = match self.debug.end {
                        None => Some(0),
                        Some(i) if i + 1 < n => Some(i + 1),
                        Some(_) => None,
                    };
                    let what = match self.debug.end {
                        Some(i) => format!("{} only", self.live.routers[i].label),
                        None => "both ends".to_string(),
                    };
                    self.say(format!("debug stream: {what}"));
                }
            }
            Command::TableNext => {
                self.table = (self.table + 1) % 3;
                self.table_row = 0;
            }
            Command::TablePrev => {
                self.table = (self.table + 2) % 3;
                self.table_row = 0;
            }
            Command::SortNext => self.sort = (self.sort + 1) % 4,
            Command::PolicyNext | Command::PolicyPrev => {
                self.cycle_policy(cmd == Command::PolicyNext)
            }
            Command::MoveUp
            | Command::MoveDown
            | Command::PageUp
            | Command::PageDown
            | Command::GoTop
            | Command::GoBottom => self.move_selection(cmd),
            Command::OpenDetail => self.open_detail(),
            Command::Cancel => {
                self.zoom = false;
                self.debug.search.clear();
            }
            Command::RouterNext => {
                let n = self.live.routers.len();
                if n > 1 {
                    self.current = (self.current + 1) % n;
                    self.table_row = 0;
                    self.doctor_row = 0;
                    self.debug.selected = None;
                    let label = self.router().label.clone();
                    self.say(format!("showing {label}"));
                }
            }
            Command::ShowDebugIpsec => {
                let router = self.current;
                self.act(Action::SupportDump { router });
                self.say("running show debug ipsec (it takes a while on a slow line)");
            }
            Command::Bundle => {
                let router = self.current;
                self.act(Action::Bundle { router });
            }
            Command::ReplayPause
            | Command::ReplayStep
            | Command::ReplayFaster
            | Command::ReplaySlower
            | Command::ReplayNext => {
                if self.live.replaying {
                    let c = match cmd {
                        Command::ReplayPause => ReplayControl::Pause,
                        Command::ReplayStep => ReplayControl::Step,
                        Command::ReplayFaster => ReplayControl::Faster,
                        Command::ReplaySlower => ReplayControl::Slower,
                        _ => ReplayControl::Next,
                    };
                    self.act(Action::Replay(c));
                } else {
                    self.say("that key is for replays (tunnelscope replay FILE)");
                }
            }
            Command::Confirm | Command::HistoryPrev | Command::HistoryNext | Command::Complete => {
                self.say(format!(
                    "{cmd} does nothing in the {} pane (? lists the keys)",
                    self.focus.title()
                ))
            }
        }
    }

    fn cycle_policy(&mut self, forward: bool) {
        let router = self.current;
        self.act(Action::CyclePolicy { router, forward });
    }

    fn search(&mut self, forward: bool) {
        if self.debug.search.is_empty() {
            self.say("no search yet: / searches the debug stream");
            return;
        }
        let r = self.router();
        let vis = r.debug.visible(self.debug.filter);
        let from = self
            .debug
            .selected
            .unwrap_or_else(|| vis.last().copied().unwrap_or(0));
        match r.debug.find(&vis, from, &self.debug.search, forward) {
            Some(i) => {
                self.debug.selected = Some(i);
                self.debug.follow = false;
                self.focus = Pane::Debug;
            }
            None => {
                let s = self.debug.search.clone();
                self.say(format!("not found: {s}"));
            }
        }
    }

    fn move_selection(&mut self, cmd: Command) {
        let step = |n: usize, cur: usize, cmd: Command, page: usize| -> usize {
            if n == 0 {
                return 0;
            }
            match cmd {
                Command::MoveUp => cur.saturating_sub(1),
                Command::MoveDown => (cur + 1).min(n - 1),
                Command::PageUp => cur.saturating_sub(page),
                Command::PageDown => (cur + page).min(n - 1),
                Command::GoTop => 0,
                _ => n - 1,
            }
        };
        match self.focus {
            Pane::Debug => {
                let vis = self.router().debug.visible(self.debug.filter);
                let pos = self
                    .debug
                    .selected
                    .and_then(|s| vis.iter().position(|i| *i >= s))
                    .unwrap_or(vis.len().saturating_sub(1));
                let p = step(vis.len(), pos, cmd, 20);
                self.debug.selected = vis.get(p).copied();
                // Moving away from the end freezes; reaching the end follows again.
                self.debug.follow = p + 1 >= vis.len() && cmd == Command::GoBottom;
            }
            Pane::Tables => {
                let n = self.table_len();
                self.table_row = step(n, self.table_row, cmd, 10);
            }
            Pane::Doctor => {
                let n = self.router().findings.len();
                self.doctor_row = step(n, self.doctor_row, cmd, 5);
            }
            Pane::Console => {
                let n = self.router().console.len();
                self.console_scroll = step(n, self.console_scroll, cmd, 10);
            }
            Pane::Tunnel => {
                let n = self.tunnel_rows.get().max(1);
                self.tunnel_scroll = step(n, self.tunnel_scroll.min(n - 1), cmd, 10);
            }
            Pane::Counters => self.say("the counters pane does not scroll (Tab moves the focus)"),
        }
    }

    pub fn table_len(&self) -> usize {
        let s = &self.router().state.snapshot;
        match self.table {
            0 => s.ike_sas.len(),
            1 => s.exchanges.len(),
            _ => s.ipsec_sas.len(),
        }
    }

    /// The ladder of the latest failed exchange (else the latest) between the routers on
    /// screen, drawn from their debug streams and exchange tables, in a scrollable dialog.
    fn open_ladder(&mut self) {
        use crate::analyze::ends::{ladder, LadderInput};
        use crate::live::debuglog::Entry;
        let inputs: Vec<LadderInput> = self
            .live
            .routers
            .iter()
            .map(|r| LadderInput {
                name: &r.label,
                events: r
                    .debug
                    .iter()
                    .filter_map(|s| match &s.entry {
                        Entry::Line(e) => Some((Some(s.at), e)),
                        Entry::Mark(_) => None,
                    })
                    .collect(),
                exchanges: &r.state.snapshot.exchanges,
            })
            .collect();
        match ladder(&inputs) {
            Some(l) => {
                self.overlay = Overlay::Detail {
                    title: "Exchange ladder".into(),
                    lines: l.text().lines().map(String::from).collect(),
                    scroll: 0,
                };
                self.overlay_max_scroll.set(u16::MAX);
            }
            None => self.say("no exchange in the debug stream yet (d turns the debug on)"),
        }
    }

    fn open_detail(&mut self) {
        match self.focus {
            Pane::Tables => {
                let s = &self.router().state.snapshot;
                let router = self.current;
                let action = match self.table {
                    0 => s.ike_sas.get(self.table_row).map(|x| Action::ShowIkeSa {
                        router,
                        id: x.sa_id,
                    }),
                    2 => s
                        .ipsec_sas
                        .get(self.table_row)
                        .map(|x| Action::ShowIpsecSa {
                            router,
                            id: x.sa_id,
                        }),
                    _ => None,
                };
                if let Some(a) = action {
                    self.act(a);
                    self.focus = Pane::Console;
                }
            }
            Pane::Doctor => {
                if let Some(f) = self.router().findings.get(self.doctor_row).cloned() {
                    let mut lines = vec![
                        f.summary.clone(),
                        String::new(),
                        f.advice.clone(),
                        String::new(),
                        "Evidence:".into(),
                    ];
                    lines.extend(f.evidence.iter().map(|e| format!("  {e}")));
                    self.overlay = Overlay::Detail {
                        title: format!("{} ({})", f.code, f.severity),
                        lines,
                        scroll: 0,
                    };
                }
            }
            Pane::Debug => {
                let r = self.router();
                if let Some(s) = self.debug.selected.and_then(|i| r.debug.get(i)) {
                    let mut lines = vec![format!(
                        "{}  {}",
                        crate::live::debuglog::show_stamp(s.at),
                        s.text()
                    )];
                    if let Entry::Line(e) = &s.entry {
                        lines.push(format!(
                            "phase {}, {}",
                            e.phase,
                            if e.failure { "FAILURE" } else { "no failure" }
                        ));
                        lines.push(format!("exchange {:?}", e.exchange));
                    }
                    self.overlay = Overlay::Detail {
                        title: "Debug line".into(),
                        lines,
                        scroll: 0,
                    };
                }
            }
            _ => {}
        }
    }
}
