//! One console session of a simulated router: login, prompts, privilege, security-officer
//! re-authentication, line editing, the pager, commands, and debug lines that arrive while
//! other output is going out.
//!
//! SYNTHETIC where ALLIEDWARE.md says the text is unknown: the re-authentication prompt
//! (`Password:`), the wording and numbers of `Info (...)`/`Error (...)` messages and the `ping`
//! output are plausible inventions.

use super::network::Network;
use super::render;
use super::scenario::PEERS;
use crate::alliedware::commands::{abbrev, is_logoff, recognise, split_words};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The full pager prompt.
pub const PAGER: &str = "--More-- (<space> = next page, <CR> = one line, C = continuous, Q = quit)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    User,
    Manager,
    SecOff,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    LoginUser,
    LoginPassword(String),
    Shell,
    /// The security officer must give the password again before `command` runs.
    Reauth(String),
    /// Output waits at the pager.
    Pager,
}

/// How a console starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// At the login prompt (serial, telnet).
    Login,
    /// Logged in as the security officer (as after SSH authentication).
    SecOff,
}

/// Settings of one console.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    pub page_lines: usize,
    /// Idle seconds before the security officer must re-enter the password (`securedelay`).
    pub securedelay: Duration,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            page_lines: 22,
            securedelay: Duration::from_secs(60),
        }
    }
}

pub struct Console {
    net: Arc<Mutex<Network>>,
    peer: usize,
    cfg: ConsoleConfig,
    mode: Mode,
    level: Level,
    line: String,
    last_cr: bool,
    /// Output not yet sent, a line (or prompt) per entry; the front one may be partly sent.
    out: VecDeque<Vec<u8>>,
    sent_of_front: usize,
    /// Lines held by the pager.
    paged: VecDeque<String>,
    debug_on: bool,
    debug_cursor: u64,
    last_activity: Duration,
    now: Duration,
    /// Files made with `create file=`.
    files: Vec<(String, Vec<String>)>,
    closed: bool,
    /// Counted in `SharedNet::consoles_logged_in` (kept by `serve`).
    pub(crate) counted_logged_in: bool,
}

fn lock(net: &Arc<Mutex<Network>>) -> MutexGuard<'_, Network> {
    // A poisoned lock only means another console panicked; the state is still usable.
    net.lock().unwrap_or_else(|e| e.into_inner())
}

impl Console {
    pub fn new(net: Arc<Mutex<Network>>, peer: usize, start: Start, cfg: ConsoleConfig) -> Self {
        let mut c = Console {
            net,
            peer: peer.min(1),
            cfg,
            mode: Mode::LoginUser,
            level: Level::User,
            line: String::new(),
            last_cr: false,
            out: VecDeque::new(),
            sent_of_front: 0,
            paged: VecDeque::new(),
            debug_on: false,
            debug_cursor: 0,
            last_activity: Duration::ZERO,
            now: Duration::ZERO,
            files: Vec::new(),
            closed: false,
            counted_logged_in: false,
        };
        match start {
            Start::Login => c.login_prompt(),
            Start::SecOff => {
                c.mode = Mode::Shell;
                c.level = Level::SecOff;
                c.prompt();
            }
        }
        c
    }

    fn name(&self) -> &'static str {
        PEERS[self.peer].name
    }

    fn emit(&mut self, s: impl AsRef<[u8]>) {
        self.out.push_back(s.as_ref().to_vec());
    }

    fn emit_line(&mut self, s: &str) {
        let mut v = s.as_bytes().to_vec();
        v.extend_from_slice(b"\r\n");
        self.out.push_back(v);
    }

    fn login_prompt(&mut self) {
        self.mode = Mode::LoginUser;
        self.level = Level::User;
        let p = format!("\r\n{} login: ", self.name());
        self.emit(p);
    }

    fn prompt_text(&self) -> String {
        match self.level {
            Level::SecOff => format!("SecOff {}> ", self.name()),
            Level::Manager => format!("Manager {}> ", self.name()),
            Level::User => format!("{}> ", self.name()),
        }
    }

    fn prompt(&mut self) {
        let p = self.prompt_text();
        self.emit(p);
    }

    pub fn closed(&self) -> bool {
        self.closed
    }

    pub fn debug_on(&self) -> bool {
        self.debug_on
    }

    /// Someone is logged in (at a prompt, at the pager, or re-entering the password); false
    /// at the login prompt and while a login is typed.
    pub fn logged_in(&self) -> bool {
        !self.closed && self.level_known()
    }

    /// Keystrokes from the terminal.
    pub fn input(&mut self, bytes: &[u8], now: Duration) {
        self.tick(now);
        for &b in bytes {
            if self.closed {
                return;
            }
            if self.mode == Mode::Pager {
                self.pager_key(b);
                continue;
            }
            let echo = !matches!(self.mode, Mode::LoginPassword(_) | Mode::Reauth(_));
            match b {
                b'\r' | b'\n' => {
                    if b == b'\n' && self.last_cr {
                        self.last_cr = false;
                        continue;
                    }
                    self.last_cr = b == b'\r';
                    self.emit("\r\n");
                    let line = std::mem::take(&mut self.line);
                    self.enter(line);
                }
                0x08 | 0x7f => {
                    self.last_cr = false;
                    if self.line.pop().is_some() && echo {
                        self.emit("\x08 \x08");
                    }
                }
                0x20..=0x7e => {
                    self.last_cr = false;
                    if self.line.len() < 1024 {
                        self.line.push(char::from(b));
                        if echo {
                            self.emit([b]);
                        }
                    }
                }
                _ => self.last_cr = false,
            }
        }
    }

    fn enter(&mut self, line: String) {
        match std::mem::replace(&mut self.mode, Mode::Shell) {
            Mode::LoginUser => {
                let user = line.trim().to_string();
                if user.is_empty() {
                    self.login_prompt();
                } else {
                    self.mode = Mode::LoginPassword(user);
                    self.emit("Password: ");
                }
            }
            Mode::LoginPassword(user) => {
                let level = match (user.to_ascii_lowercase().as_str(), line.as_str()) {
                    ("manager", "friend") => Some(Level::Manager),
                    ("secoff", "secoff") => Some(Level::SecOff),
                    _ => None,
                };
                match level {
                    Some(l) => {
                        self.level = l;
                        self.mode = Mode::Shell;
                        self.last_activity = self.now;
                        self.emit_line("");
                        self.prompt();
                    }
                    None => {
                        self.emit_line("Login incorrect");
                        self.login_prompt();
                    }
                }
            }
            Mode::Reauth(cmd) => {
                if line == "secoff" {
                    self.last_activity = self.now;
                    self.run(&cmd);
                } else {
                    self.emit_line("Error (3045078): Password incorrect.");
                    self.finish_command();
                }
            }
            Mode::Shell | Mode::Pager => {
                let cmd = line.trim().to_string();
                if cmd.is_empty() {
                    self.prompt();
                    return;
                }
                if self.level == Level::SecOff
                    && is_security_command(&cmd)
                    && self.now.saturating_sub(self.last_activity) > self.cfg.securedelay
                {
                    self.mode = Mode::Reauth(cmd);
                    self.emit("Password: ");
                    return;
                }
                self.last_activity = self.now;
                self.run(&cmd);
            }
        }
    }

    fn finish_command(&mut self) {
        if self.paged.is_empty() && self.mode != Mode::Pager {
            self.mode = Mode::Shell;
            if !self.closed && self.level_known() {
                self.prompt();
            }
        }
    }

    fn level_known(&self) -> bool {
        !matches!(self.mode, Mode::LoginUser | Mode::LoginPassword(_))
    }

    /// Output longer than a page waits at the pager.
    fn page(&mut self, lines: Vec<String>) {
        self.paged.extend(lines);
        self.next_page(self.cfg.page_lines);
    }

    fn next_page(&mut self, n: usize) {
        for _ in 0..n {
            match self.paged.pop_front() {
                Some(l) => self.emit_line(&l),
                None => break,
            }
        }
        if self.paged.is_empty() {
            self.mode = Mode::Shell;
            self.prompt();
        } else {
            self.mode = Mode::Pager;
            self.emit(PAGER);
        }
    }

    fn pager_key(&mut self, b: u8) {
        let n = match b {
            b' ' => self.cfg.page_lines,
            b'\r' | b'\n' => 1,
            b'c' | b'C' => usize::MAX,
            b'q' | b'Q' => {
                self.paged.clear();
                0
            }
            _ => return,
        };
        // Erase the pager prompt before the next lines.
        let blank = format!("\r{}\r", " ".repeat(PAGER.len()));
        self.emit(blank);
        self.next_page(n);
    }

    /// Advance time: network events, and debug lines for this console when debug is on.
    pub fn tick(&mut self, now: Duration) {
        self.now = now;
        let mut net = lock(&self.net);
        net.advance(now);
        if !self.debug_on {
            return;
        }
        let lines: Vec<String> = net.peers[self.peer]
            .debug
            .iter()
            .filter(|(seq, _, _)| *seq > self.debug_cursor)
            .map(|(_, _, t)| t.clone())
            .collect();
        self.debug_cursor = net.peers[self.peer].debug_seq;
        drop(net);
        // Debug output goes out between lines of whatever else is being sent, as the router
        // interleaves it; while the pager waits it is held back.
        if self.mode == Mode::Pager {
            for l in lines {
                self.paged.push_front(l);
            }
            return;
        }
        if lines.is_empty() {
            return;
        }
        // With the prompt already on the screen, the debug lines go below it and the prompt
        // (with what was typed so far) is drawn again, as routers refresh the command line.
        let at_prompt =
            self.out.is_empty() && matches!(self.mode, Mode::Shell) && self.level_known();
        let at = if self.sent_of_front > 0 { 1 } else { 0 }.min(self.out.len());
        let n = lines.len();
        for (i, l) in lines.into_iter().enumerate() {
            let mut v = b"\r\n".to_vec();
            v.extend_from_slice(l.as_bytes());
            if !(at_prompt && i + 1 == n) {
                v.extend_from_slice(b"\r\n");
            }
            self.out.insert(at + i, v);
        }
        if at_prompt {
            let redraw = format!("\r\n{}{}", self.prompt_text(), self.line);
            self.out.push_back(redraw.into_bytes());
        }
    }

    /// Take up to `max` bytes of output (the server paces them to its line rate).
    pub fn take_output(&mut self, max: usize) -> Vec<u8> {
        let mut v = Vec::new();
        while v.len() < max {
            let Some(front) = self.out.front() else { break };
            let rest = &front[self.sent_of_front..];
            let n = rest.len().min(max - v.len());
            v.extend_from_slice(&rest[..n]);
            if n == rest.len() {
                self.out.pop_front();
                self.sent_of_front = 0;
            } else {
                self.sent_of_front += n;
            }
        }
        v
    }

    pub fn pending_output(&self) -> usize {
        self.out.iter().map(Vec::len).sum::<usize>() - self.sent_of_front
    }

    fn error(&mut self, text: &str) {
        self.emit_line(text);
    }

    fn run(&mut self, cmd: &str) {
        let words = split_words(cmd);
        let w = |i: usize| words.get(i).map(|w| w.key.as_str()).unwrap_or("");
        let v = |i: usize| words.get(i).and_then(|w| w.value.clone());
        let c = recognise(cmd);
        let secoff_only = |me: &Console| me.level != Level::SecOff;
        // Configuration changes need the security officer; show commands do not.
        if abbrev(w(0), "show", 2) {
            let lines = self.show(&c.display, &c.canonical, &words);
            self.page(lines);
            return;
        }
        if abbrev(w(0), "enable", 2) || abbrev(w(0), "disable", 3) {
            let on = abbrev(w(0), "enable", 2);
            let module = w(1);
            let is_isakmp = abbrev(module, "isakmp", 3);
            let is_ipsec = abbrev(module, "ipsec", 3);
            if (is_isakmp || is_ipsec) && words.len() >= 3 && abbrev(w(2), "debug", 3) {
                if is_ipsec {
                    self.error("Info (1081003): IPsec debugging is not simulated.");
                } else {
                    self.set_debug(on);
                    self.emit_line("Info (1082003): Operation successful.");
                }
                self.finish_command();
                return;
            }
            if (is_isakmp || is_ipsec) && words.len() == 2 {
                if secoff_only(self) {
                    self.error(
                        "Error (3045077): This command requires security officer privilege.",
                    );
                } else {
                    let m = if is_isakmp { "isakmp" } else { "ipsec" };
                    lock(&self.net).set_module(self.peer, m, on);
                    self.emit_line("Info (1082003): Operation successful.");
                }
                self.finish_command();
                return;
            }
        }
        if abbrev(w(0), "trace", 2) && !w(1).is_empty() {
            let lines = {
                let net = lock(&self.net);
                render::dump::trace(&net, self.peer, w(1))
            };
            self.page(lines);
            return;
        }
        if abbrev(w(0), "ping", 2) && !w(1).is_empty() {
            let target = w(1).to_string();
            self.ping(&target);
            self.finish_command();
            return;
        }
        if abbrev(w(0), "create", 2) && abbrev(w(1), "file", 2) {
            match (
                v(1),
                words
                    .iter()
                    .find(|x| abbrev(&x.key, "command", 3))
                    .and_then(|x| x.value.clone()),
            ) {
                (Some(name), Some(command)) => {
                    let sub = recognise(&command);
                    let sub_words = split_words(&command);
                    let lines = self.show(&sub.display, &sub.canonical, &sub_words);
                    self.files.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                    self.files.push((name, lines));
                    self.emit_line("Info (1034003): Operation successful.");
                }
                _ => {
                    self.error("Error (3035063): create file needs file=NAME and command=\"...\".")
                }
            }
            self.finish_command();
            return;
        }
        if abbrev(w(0), "set", 2) && abbrev(w(1), "user", 2) {
            if let Some(s) = words
                .iter()
                .find(|x| abbrev(&x.key, "securedelay", 4))
                .and_then(|x| x.value.as_deref()?.parse::<u64>().ok())
            {
                self.cfg.securedelay = Duration::from_secs(s.clamp(10, 3600));
                self.emit_line("Info (1034003): Operation successful.");
                self.finish_command();
                return;
            }
        }
        if abbrev(w(0), "restart", 4) {
            if secoff_only(self) {
                self.error("Error (3045077): This command requires security officer privilege.");
                self.finish_command();
                return;
            }
            // A restart loses every SA (as a power cut does) and ends the session: the
            // console port shows the boot and then the login prompt.
            if self.debug_on {
                self.set_debug(false);
            }
            lock(&self.net).restart(self.peer);
            self.paged.clear();
            self.emit_line("Restarting the router (simulated)...");
            self.emit_line("");
            self.emit_line("INFO:  Self tests beginning.");
            self.emit_line("INFO:  Initial download succeeded");
            self.emit_line("INFO:  Executing configuration script <boot.cfg>");
            self.emit_line("INFO:  Router startup complete");
            self.login_prompt();
            return;
        }
        if is_logoff(cmd) {
            // The session ends: its debug stops with it, and the port is back at its login
            // prompt for whoever comes next.
            if self.debug_on {
                self.set_debug(false);
            }
            self.login_prompt();
            return;
        }
        let first = w(0).to_string();
        self.error(&format!("Error (3035003): Unknown command \"{first}\"."));
        self.finish_command();
    }

    fn set_debug(&mut self, on: bool) {
        let mut net = lock(&self.net);
        let peer = &mut net.peers[self.peer];
        if on && !self.debug_on {
            peer.debug_listeners += 1;
            self.debug_cursor = peer.debug_seq;
        } else if !on && self.debug_on {
            peer.debug_listeners = peer.debug_listeners.saturating_sub(1);
        }
        self.debug_on = on;
    }

    fn ping(&mut self, target: &str) {
        if target.parse::<std::net::Ipv4Addr>().is_err() {
            self.error(&format!(
                "Error (3035071): Invalid IP address \"{target}\"."
            ));
            return;
        }
        let mut replies = 0;
        for i in 1..=5 {
            let ok = {
                let mut net = lock(&self.net);
                net.lan_ping(self.peer, target)
            };
            if ok {
                replies += 1;
                self.emit_line(&format!(
                    "Echo reply {i} from {target} time delay {} ms",
                    10 + i
                ));
            } else {
                self.emit_line(&format!("Request {i} timed out"));
            }
        }
        self.emit_line(&format!("Ping: 5 sent, {replies} received"));
    }
}

/// Commands the security officer must be re-authenticated for after `securedelay`.
fn is_security_command(cmd: &str) -> bool {
    let low = cmd.to_ascii_lowercase();
    split_words(&low).iter().skip(1).any(|w| {
        abbrev(&w.key, "isakmp", 3)
            || abbrev(&w.key, "ipsec", 3)
            || abbrev(&w.key, "enco", 3)
            || abbrev(&w.key, "firewall", 3)
            || abbrev(&w.key, "config", 4)
            || abbrev(&w.key, "debug", 3)
    })
}

mod show;

#[cfg(test)]
mod tests;
