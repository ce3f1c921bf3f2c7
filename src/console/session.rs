//! The CLI session driver: one task that owns the link to a router's console. It logs in (or
//! lets the user do it), learns the prompt, answers the pager and the security officer's
//! re-authentication, runs one command at a time with the user's commands ahead of polls,
//! paces its polling to a share of the line, routes every unsolicited line to the debug
//! stream, notices drops and reboots and reconnects, and turns off the debug it turned on.
//!
//! It leaves the console as it found it: where it logged in (from a login prompt, itself or
//! the user typing through it) it logs off at the end; where it found a logged-in prompt it
//! stays logged in. A login prompt while logged in (a `logoff` the user typed, a reboot, an
//! idle time-out) is answered by a clean login: the user name at the login prompt, the
//! password only at the `Password:` that follows it, and no command until the prompt is back.
//!
//! The consumer (the screen, `snapshot`) sends `Request`s and receives `Event`s; it never
//! touches the link.

use crate::alliedware::debug::Classifier;
use crate::alliedware::prompt::{self, Privilege, PromptMatch, PromptMatcher};
use crate::console::reader::Reader;
use crate::console::text::Partial;
use crate::console::transcript::Item;
use crate::console::withhold::PasswordWithholder;
use crate::link::{self, Link, LinkOptions, Secret, Target};
use crate::model::{Cmd, Dialect};
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// How long the line must be quiet before an unfinished line is judged (prompt, pager...).
const QUIET: Duration = Duration::from_millis(120);
/// A command with no prompt back after this long is given up (the router may be gone).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Logins (our user name sent) within `LOGIN_WINDOW` before the next one is held back: a
/// router that drops to its login prompt after every command must not be given the password
/// every second (an account lockout).
const LOGINS_BEFORE_BACKOFF: usize = 3;
const LOGIN_WINDOW: Duration = Duration::from_secs(60);
/// The first hold; each hold after it (with no calm between) is twice as long, up to the cap.
const LOGIN_BACKOFF_BASE: Duration = Duration::from_secs(10);
const LOGIN_BACKOFF_MAX: Duration = Duration::from_secs(300);
/// With no login for this long, the back-off starts again from the first hold.
const LOGIN_CALM: Duration = Duration::from_secs(300);
/// A command whose prompt has not come back after this long, with the line quiet for
/// `NUDGE_QUIET` (or busy with other text, such as debug, for `NUDGE_BUSY`), gets a bare CR:
/// garbage on the line (a wrong baud rate, an escape sequence cut short) can swallow the
/// prompt, and the router shows a fresh one for a CR. Output of a long display keeps the
/// line busy and is not cut short: the CR waits until the line is quiet, or much longer.
/// The longest pause between polls that one command's line time can cause.
const MAX_POLL_PAUSE: Duration = Duration::from_secs(15);
const NUDGE_AFTER: Duration = Duration::from_secs(5);
const NUDGE_QUIET: Duration = Duration::from_millis(1500);
const NUDGE_BUSY: Duration = Duration::from_secs(20);
/// After `logoff`, how long the router has to show its login prompt: after the user typed it
/// (past any command still in flight), no command goes out meanwhile; at the end, the session
/// ends when the prompt comes or this has passed.
const LOGOFF_WAIT: Duration = Duration::from_secs(3);
/// At a quit during a login of ours (or before a router we logged in to answers again after a
/// reconnection), how long to wait for its prompt so that we can log off.
const LOGIN_WAIT_AT_QUIT: Duration = Duration::from_secs(4);

/// What to poll and how hard.
#[derive(Debug, Clone)]
pub struct PollConfig {
    pub isakmp_sa: Duration,
    pub exchanges: Duration,
    pub ipsec_sa: Duration,
    pub counters: Duration,
    /// IPsec policies whose counters are polled.
    pub policies: Vec<String>,
    /// The largest share of the line polling may use (0.3 = 30%).
    pub share: f64,
    pub enabled: bool,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig {
            isakmp_sa: Duration::from_secs(5),
            exchanges: Duration::from_secs(3),
            ipsec_sa: Duration::from_secs(5),
            counters: Duration::from_secs(5),
            policies: Vec::new(),
            share: 0.3,
            enabled: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub target: Target,
    pub link: LinkOptions,
    /// The console login (serial, telnet); `None` to let the user log in by hand.
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub prompt: PromptMatcher,
    pub poll: PollConfig,
    /// Reconnect after a drop (with back-off), or end the session.
    pub reconnect: bool,
    /// The router's CLI: every command text the session sends comes from it.
    pub dialect: &'static dyn Dialect,
    /// What tells a debug line from a display's line (the built-in rules and `--rules`).
    pub rules: &'static Classifier,
}

/// Requests from the consumer.
#[derive(Debug)]
pub enum Request {
    /// A command typed by the user (goes ahead of polls).
    Command(String),
    /// Negotiation debug on (true) or off, in the dialect's words.
    Debug(bool),
    /// Poll everything now.
    PollNow,
    SetPolicies(Vec<String>),
    /// Raw bytes for passthrough mode.
    Raw(Vec<u8>),
    /// Turn off our debug, log off politely, and end.
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginState {
    Connecting,
    LoggingIn,
    /// The router waits for a login and we have no credentials: the user must log in.
    NeedsUser,
    /// The router asks for a password and we have none (the user name was sent, or the
    /// security officer must give the password again): the user must type it.
    NeedsPassword,
    LoggedIn,
    Failed,
    Disconnected,
}

/// The session as the status bar shows it.
#[derive(Debug, Clone)]
pub struct Status {
    pub link: String,
    pub login: LoginState,
    pub privilege: Option<Privilege>,
    pub system_name: Option<String>,
    pub debug_on: bool,
    /// Share of the line used by polling over the last minute.
    pub line_share: f64,
    pub last_poll: Option<Instant>,
    pub bytes_per_sec: Option<u32>,
}

/// Events to the consumer.
#[derive(Debug)]
pub enum Event {
    Status(Status),
    /// A transcript item (command block, unsolicited line, prompt...), with when it arrived.
    Item(Item, Instant),
    /// Raw bytes from the router (for passthrough and captures).
    Bytes(Vec<u8>),
    /// A mark in the stream: a drop, a return, a reboot.
    Mark(String),
    /// Bytes sent to the router (for captures); `secret` when they are a password, which
    /// is then not included.
    Sent {
        bytes: Vec<u8>,
        secret: bool,
    },
    /// The time of the events that follow (replays: as recorded).
    Clock(jiff::civil::Time),
    /// The clean lines of what the router sent (the one cleaner: for the passthrough screen),
    /// and the unfinished line after them.
    Lines {
        lines: Vec<String>,
        pending: String,
    },
    /// A poll cycle's measures: command, bytes, seconds.
    Measure {
        command: String,
        bytes: usize,
        secs: f64,
    },
    /// A problem the user must know about (wrong password, link error).
    Error(String),
    Ended,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Queued {
    text: String,
    user: bool,
}

struct InFlight {
    cmd: Queued,
    started: Instant,
    bytes: usize,
    /// When a bare CR was last sent to bring back a prompt that never came.
    nudged: Option<Instant>,
}

struct PollItem {
    command: String,
    every: Duration,
    next: Instant,
}

/// Back-off between reconnection attempts: 1, 2, 4 ... 30 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(5)).min(Duration::from_secs(30))
}

/// The time of a mark in the stream (a drop, a return): the machine's, with its zone.
fn clock() -> String {
    crate::clock::now_hms_zone()
}

/// Run a session until `Quit` (or, without reconnect, until the link drops).
pub async fn run(
    cfg: SessionConfig,
    requests: mpsc::Receiver<Request>,
    events: mpsc::Sender<Event>,
) {
    let target = cfg.target.clone();
    let opts = cfg.link.clone();
    run_with(cfg, requests, events, move || {
        let (t, o) = (target.clone(), opts.clone());
        async move { link::open(&t, &o).await }
    })
    .await
}

/// `run` with the link opened by `open` (each reconnection calls it again): tests put faults
/// between the session and the router this way.
pub async fn run_with<F, Fut>(
    cfg: SessionConfig,
    mut requests: mpsc::Receiver<Request>,
    events: mpsc::Sender<Event>,
    mut open: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Link, link::LinkError>>,
{
    let mut attempt = 0u32;
    let mut debug_wanted = false;
    // Kept across reconnections: the console we logged in to is logged off at the end, also
    // when it answers a new link with the prompt we left it at.
    let mut logged_in_here = false;
    loop {
        tracing::info!(target = %cfg.target, "connecting");
        let link = match open().await {
            Ok(l) => {
                tracing::info!(target = %cfg.target, link = %l.description, "connected");
                l
            }
            Err(e) => {
                tracing::warn!(target = %cfg.target, "cannot connect: {e}");
                let _ = events.send(Event::Error(e.to_string())).await;
                if !cfg.reconnect || attempt >= 20 {
                    let _ = events.send(Event::Ended).await;
                    return;
                }
                let wait = backoff(attempt);
                attempt += 1;
                // Requests still count while we wait (a Quit ends the wait).
                let deadline = tokio::time::sleep(wait);
                tokio::pin!(deadline);
                loop {
                    tokio::select! {
                        _ = &mut deadline => break,
                        r = requests.recv() => match r {
                            None | Some(Request::Quit) => { let _ = events.send(Event::Ended).await; return; }
                            Some(Request::Debug(on)) => debug_wanted = on,
                            Some(_) => {}
                        }
                    }
                }
                continue;
            }
        };
        if attempt > 0 {
            tracing::info!(target = %cfg.target, "link back after {attempt} attempts");
            let _ = events
                .send(Event::Mark(format!("link back at {}", clock())))
                .await;
        }
        let mut s = Driver::new(&cfg, link, debug_wanted);
        s.logged_in_here = logged_in_here;
        let end = s.drive(&mut requests, &events).await;
        debug_wanted = s.debug_wanted;
        logged_in_here = s.logged_in_here;
        match end {
            End::Quit => {
                tracing::info!(target = %cfg.target, "session ended");
                let _ = events.send(Event::Ended).await;
                return;
            }
            End::Dropped(why) => {
                tracing::warn!(target = %cfg.target, "link lost: {why}");
                // Output cut off by the drop is not passed on as a (wrong) table: the next
                // poll reads it whole. Its bytes went out as `Event::Bytes` already.
                if let Some(cmd) = s.reader.transcript.open_command() {
                    let text = if cmd.typed.is_empty() {
                        cmd.canonical.clone()
                    } else {
                        cmd.typed.clone()
                    };
                    let _ = events
                        .send(Event::Mark(format!(
                            "output of `{text}` cut off by the drop; not used"
                        )))
                        .await;
                }
                let _ = events
                    .send(Event::Mark(format!("link lost at {}: {why}", clock())))
                    .await;
                s.status.login = LoginState::Disconnected;
                let _ = events.send(Event::Status(s.status.clone())).await;
                // A quit was under way: it is not turned into a wait for the router.
                if !cfg.reconnect || s.quitting {
                    let _ = events.send(Event::Ended).await;
                    return;
                }
                tokio::time::sleep(backoff(0)).await;
                attempt = 1;
            }
            End::Fatal(msg) => {
                tracing::warn!(target = %cfg.target, "session stopped: {msg}");
                let _ = events.send(Event::Error(msg)).await;
                let _ = events.send(Event::Ended).await;
                return;
            }
        }
    }
}

enum End {
    Quit,
    Dropped(String),
    Fatal(String),
}

/// The most of the unfinished line passed on with each chunk (the passthrough screen's
/// last line).
const PENDING_SHOWN: usize = 1024;

/// Writing to the router failed: the link is gone (the reason as the system says it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct WriteError(#[from] std::io::Error);

struct Driver<'c> {
    cfg: &'c SessionConfig,
    link: Link,
    reader: Reader<'static>,
    queue: VecDeque<Queued>,
    in_flight: Option<InFlight>,
    polls: Vec<PollItem>,
    /// Polling may not start a new command before this (the line share).
    poll_gate: Instant,
    /// (when, line-seconds) of recent polls, for the share shown.
    poll_cost: VecDeque<(Instant, f64)>,
    status: Status,
    /// The router is at its prompt, waiting for a command.
    idle: bool,
    debug_wanted: bool,
    /// We turned debug on in this session (so we turn it off).
    debug_ours: bool,
    login_attempts: u32,
    password_sent_at: Option<Instant>,
    last_byte: Instant,
    /// The unfinished line was judged already (reset by new bytes), so a prompt is answered
    /// once. The line itself is kept: the router's echo completes it.
    judged: bool,
    quitting: bool,
    /// When the quit was asked for.
    quit_at: Option<Instant>,
    /// The user's passthrough keystrokes since their last Enter (to see a typed `logoff`).
    typed: String,
    /// The user typed `logoff`: no command goes out until the login prompt comes (or, if the
    /// router stays at its prompt, `LOGOFF_WAIT` after it was last busy).
    logoff_typed: Option<Instant>,
    /// We sent the user name at this login prompt: the `Password:` that follows is ours.
    user_sent: bool,
    /// The last complete line started with a login prompt (what was typed at it follows it):
    /// a `Password:` now belongs to a login, not to a re-authentication.
    after_login_line: bool,
    /// A login prompt was seen since the last prompt: the next prompt is a login made here.
    login_seen: bool,
    /// We (or the user, through us) logged in from a login prompt: log off at the end.
    logged_in_here: bool,
    /// When `logoff` went out at the end.
    logoff_sent: Option<Instant>,
    /// Where sent bytes are reported.
    tap: Option<mpsc::Sender<Event>>,
    /// Takes the password we hold out of what the router sends.
    pw_filter: PasswordWithholder,
    /// When we sent our user name at a login prompt (the last minute), for the back-off.
    logins: VecDeque<Instant>,
    /// Logins are held back until then (too many in a minute: account lockout).
    login_hold: Option<Instant>,
    /// Holds since the logins were last calm (each doubles the wait).
    login_holds: u32,
    /// The router waits at a password prompt we did not answer (`Old password:`).
    declined: bool,
    /// Commands that ran to their prompt since our last login: a login that was of use
    /// (two or more) calms the back-off; a router that logs out after every command does not.
    commands_since_login: u32,
}

impl<'c> Driver<'c> {
    fn new(cfg: &'c SessionConfig, link: Link, debug_wanted: bool) -> Self {
        let now = Instant::now();
        let mut polls = Vec::new();
        let p = &cfg.poll;
        if p.enabled {
            let [sa, exchanges, ipsec] = cfg.dialect.poll_set();
            for (c, every) in [
                (sa, p.isakmp_sa),
                (exchanges, p.exchanges),
                (ipsec, p.ipsec_sa),
            ] {
                polls.push(PollItem {
                    command: c,
                    every,
                    next: now,
                });
            }
            for name in &p.policies {
                polls.push(PollItem {
                    command: cfg.dialect.command(&Cmd::PolicyCounters(name)),
                    every: p.counters,
                    next: now,
                });
            }
        }
        let status = Status {
            link: link.description.clone(),
            login: LoginState::Connecting,
            privilege: None,
            system_name: None,
            debug_on: false,
            line_share: 0.0,
            last_poll: None,
            bytes_per_sec: link.bytes_per_sec,
        };
        Driver {
            cfg,
            reader: Reader::new(cfg.prompt.clone(), cfg.rules),
            link,
            queue: VecDeque::new(),
            in_flight: None,
            polls,
            poll_gate: now,
            poll_cost: VecDeque::new(),
            status,
            idle: false,
            debug_wanted,
            debug_ours: false,
            login_attempts: 0,
            password_sent_at: None,
            last_byte: now,
            judged: false,
            quitting: false,
            quit_at: None,
            typed: String::new(),
            logoff_typed: None,
            user_sent: false,
            after_login_line: false,
            login_seen: false,
            logged_in_here: false,
            logoff_sent: None,
            tap: None,
            // A password that is the user name itself (the simulator's secoff/secoff) is shown
            // by every login's echo of the name anyway; withholding it would hide the login
            // line's user name and make that line look like router output.
            pw_filter: PasswordWithholder::new(
                cfg.password
                    .as_ref()
                    .map(|p| p.expose())
                    .filter(|p| cfg.user.as_deref() != Some(*p)),
            ),
            logins: VecDeque::new(),
            login_hold: None,
            login_holds: 0,
            declined: false,
            commands_since_login: 0,
        }
    }

    /// How long the loop may sleep when nothing arrives: briefly while the line's last text
    /// waits to be judged or a command is under way (a prompt is seen `QUIET` after the last
    /// byte), else until the next poll is due, at most a second. An idle console
    /// then costs one wake-up a second, not twenty.
    fn next_wake(&self) -> Duration {
        const BUSY: Duration = Duration::from_millis(50);
        const IDLE: Duration = Duration::from_secs(1);
        let busy = !self.judged
            || self.in_flight.is_some()
            || !self.queue.is_empty()
            || self.quitting
            || self.status.login != LoginState::LoggedIn;
        if busy {
            return BUSY;
        }
        let now = Instant::now();
        let due = self
            .polls
            .iter()
            .map(|p| p.next.max(self.poll_gate))
            .min()
            .map_or(IDLE, |t| t.saturating_duration_since(now));
        due.clamp(BUSY, IDLE)
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        self.send_as(bytes, false).await
    }

    /// Write to the router; captures see every byte sent, except that `secret` ones (a
    /// password) are passed on as withheld.
    async fn send_as(&mut self, bytes: &[u8], secret: bool) -> Result<(), WriteError> {
        self.link.writer.write_all(bytes).await?;
        self.link.writer.flush().await?;
        if let Some(tx) = &self.tap {
            let _ = tx
                .send(Event::Sent {
                    bytes: bytes.to_vec(),
                    secret,
                })
                .await;
        }
        Ok(())
    }

    async fn drive(
        &mut self,
        requests: &mut mpsc::Receiver<Request>,
        events: &mpsc::Sender<Event>,
    ) -> End {
        let mut buf = vec![0u8; 8192];
        let mut items = Vec::new();
        self.tap = Some(events.clone());
        // Wake the router: a CR brings up the prompt or the login prompt.
        if let Err(e) = self.send(b"\r").await {
            return End::Dropped(e.to_string());
        }
        let _ = events.send(Event::Status(self.status.clone())).await;
        loop {
            let wake = self.next_wake();
            tokio::select! {
                r = self.link.reader.read(&mut buf) => {
                    let n = match r {
                        Ok(0) => return End::Dropped("the other end closed the connection".into()),
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return End::Dropped(e.to_string()),
                    };
                    self.last_byte = Instant::now();
                    self.judged = false;
                    if let Some(f) = self.in_flight.as_mut() { f.bytes += n; }
                    // The password we hold never leaves the session (a router that echoes it).
                    let data = self.pw_filter.filter(&buf[..n]);
                    if let Some(end) = self.on_router_bytes(&data, events, &mut items).await { return end; }
                }
                r = requests.recv() => {
                    match r {
                        None | Some(Request::Quit) => {
                            // Commands already asked for are run; then debug we turned on is
                            // turned off; then `logoff` where we logged in; then the end.
                            if !self.quitting {
                                self.quitting = true;
                                self.quit_at = Some(Instant::now());
                            }
                        }
                        Some(Request::Command(c)) => self.queue.push_back(Queued { text: c, user: true }),
                        Some(Request::Debug(on)) => {
                            self.debug_wanted = on;
                            let text = self.cfg.dialect.command(&Cmd::Debug(on));
                            self.queue.push_back(Queued { text, user: true });
                        }
                        Some(Request::PollNow) => {
                            let now = Instant::now();
                            for p in &mut self.polls { p.next = now; }
                            self.poll_gate = now;
                        }
                        Some(Request::SetPolicies(names)) => self.set_policies(names),
                        Some(Request::Raw(bytes)) => {
                            // Typed at a password prompt (the user logging in by hand): withheld.
                            let secret = prompt::is_password_prompt(self.reader.cleaner.pending());
                            if !secret {
                                self.typed_keys(&bytes);
                            }
                            if let Err(e) = self.send_as(&bytes, secret).await { return End::Dropped(e.to_string()); }
                        }
                    }
                }
                _ = tokio::time::sleep(wake) => {}
            }
            // The line has gone quiet: judge the unfinished line.
            if self.last_byte.elapsed() >= QUIET && !self.judged {
                if self.pw_filter.holding() {
                    // What was held back as a possible start of the password was not it.
                    let held = self.pw_filter.flush();
                    if let Some(end) = self.on_router_bytes(&held, events, &mut items).await {
                        return end;
                    }
                }
                self.judged = true;
                if let Some(end) = self.quiet(events, &mut items).await {
                    return end;
                }
                for it in items.drain(..) {
                    let _ = events.send(Event::Item(it, Instant::now())).await;
                }
            }
            if let Some(f) = self.in_flight.as_mut() {
                let since = f.nudged.unwrap_or(f.started).elapsed();
                let quiet = self.last_byte.elapsed() >= NUDGE_QUIET;
                // A command the user typed may run long and quietly (a router ping, a trace).
                let after = if f.cmd.user { NUDGE_BUSY } else { NUDGE_AFTER };
                if !self.quitting
                    && self.status.login == LoginState::LoggedIn
                    && ((since >= after && quiet) || since >= NUDGE_BUSY)
                {
                    f.nudged = Some(Instant::now());
                    if let Err(e) = self.send(b"\r").await {
                        return End::Dropped(e.to_string());
                    }
                }
            }
            if let Some(f) = &self.in_flight {
                if f.started.elapsed() > COMMAND_TIMEOUT {
                    return End::Dropped(format!(
                        "no prompt after `{}` for {} s",
                        f.cmd.text,
                        COMMAND_TIMEOUT.as_secs()
                    ));
                }
            }
            if self.quitting {
                match self.quit_step().await {
                    Ok(Some(end)) => return end,
                    Ok(None) => {}
                    Err(e) => return End::Dropped(e.to_string()),
                }
            }
            if let Err(e) = self.next_command(events).await {
                return End::Dropped(e.to_string());
            }
        }
    }

    /// Bytes from the router (the password withheld): shown, cleaned into lines, and read.
    async fn on_router_bytes(
        &mut self,
        data: &[u8],
        events: &mpsc::Sender<Event>,
        items: &mut Vec<Item>,
    ) -> Option<End> {
        if data.is_empty() {
            return None;
        }
        let _ = events.send(Event::Bytes(data.to_vec())).await;
        let mut lines = Vec::new();
        self.reader.clean(data, Some(&mut lines));
        let end = self.saw_lines(&lines, events).await;
        // The unfinished line as the passthrough screen shows it: its tail only. A router
        // sending no newline must not have its whole line copied into every event queued.
        let p = self.reader.pending();
        let mut from = p.len().saturating_sub(PENDING_SHOWN);
        while !p.is_char_boundary(from) {
            from += 1;
        }
        let pending = p[from..].to_string();
        let _ = events.send(Event::Lines { lines, pending }).await;
        if end.is_some() {
            return end;
        }
        self.reader.split(items);
        for it in items.drain(..) {
            if let (Item::Unsolicited(l, _), Some(f)) = (&it, self.in_flight.as_mut()) {
                // Debug (or a flood of anything) between a command's lines is
                // not that command's use of the line.
                f.bytes = f.bytes.saturating_sub(l.text.len() + 2);
            }
            if let Some(end) = self.on_item(&it, events).await {
                return Some(end);
            }
            let _ = events.send(Event::Item(it, Instant::now())).await;
        }
        None
    }

    /// One step of the way out; `Some` when the session may end.
    async fn quit_step(&mut self) -> Result<Option<End>, WriteError> {
        if let Some(t) = self.logoff_sent {
            // The login prompt ends the session (in `quiet`); this is the limit.
            return Ok((t.elapsed() > LOGOFF_WAIT).then_some(End::Quit));
        }
        let since = self.quit_at.map(|t| t.elapsed()).unwrap_or_default();
        if !self.typed.is_empty() {
            // A line the user left half typed in passthrough is rubbed out (backspaces, as
            // they would), not run, so that debug off and logoff go out on a clean line.
            let rub = vec![0x08u8; self.typed.len()];
            self.typed.clear();
            self.send(&rub).await?;
        }
        match self.status.login {
            LoginState::LoggedIn => {
                if std::mem::take(&mut self.declined) {
                    // A password prompt we left to the user is still open: an empty answer
                    // ends it (the router goes back to its prompt), then debug off and logoff.
                    self.send(b"\r").await?;
                    return Ok(None);
                }
                if self.in_flight.is_some() || !self.queue.is_empty() || !self.idle {
                    return Ok(None);
                }
                if self.debug_ours {
                    // Debug we turned on (perhaps just now, by a command that was in flight
                    // when the quit came) is turned off before we go.
                    self.queue.push_back(Queued {
                        text: self.cfg.dialect.command(&Cmd::Debug(false)),
                        user: true,
                    });
                    return Ok(None);
                }
                if !self.logged_in_here {
                    // Found logged in: left logged in.
                    return Ok(Some(End::Quit));
                }
                self.idle = false;
                tracing::info!(target = %self.cfg.target, "logging off");
                self.logoff_sent = Some(Instant::now());
                let logoff = format!("{}\r", self.cfg.dialect.command(&Cmd::Logoff));
                self.send(logoff.as_bytes()).await?;
                Ok(None)
            }
            // At a login or password prompt: nobody is logged in.
            LoginState::NeedsUser | LoginState::NeedsPassword | LoginState::Failed => {
                Ok(Some(End::Quit))
            }
            LoginState::Connecting | LoginState::LoggingIn | LoginState::Disconnected => {
                // Our password went out (the prompt is coming), or a router we logged in to
                // has not answered the new link yet: wait for its prompt to log off.
                let ours = self.password_sent_at.is_some() || self.logged_in_here;
                Ok((!ours || since > LOGIN_WAIT_AT_QUIT).then_some(End::Quit))
            }
        }
    }

    /// The user's passthrough keys: while they type a line no command goes out (it would land
    /// inside their line); a line they end with Enter runs at the router, so no poll starts
    /// until its prompt; a `logoff` holds every command until the login prompt.
    fn typed_keys(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\r' | b'\n' => {
                    if self.cfg.dialect.is_logoff(&self.typed) {
                        self.logoff_typed = Some(Instant::now());
                    }
                    if self.in_flight.is_none() && !self.typed.is_empty() {
                        self.idle = false;
                    }
                    self.typed.clear();
                }
                0x08 | 0x7f => {
                    self.typed.pop();
                }
                // Ctrl-U and Ctrl-C: the line is gone.
                0x15 | 0x03 => self.typed.clear(),
                0x20..=0x7e if self.typed.len() < 256 => self.typed.push(char::from(b)),
                _ => {}
            }
        }
    }

    /// Complete lines just cleaned: a line that starts with a login prompt while we are logged
    /// in means the router logged us off, and what we sent was taken as a user name.
    async fn saw_lines(&mut self, lines: &[String], events: &mpsc::Sender<Event>) -> Option<End> {
        for l in lines {
            {
                self.after_login_line = prompt::starts_with_login(l);
                if self.after_login_line {
                    self.login_seen = true;
                    if self.logoff_sent.is_some() {
                        return Some(End::Quit);
                    }
                    if self.status.login == LoginState::LoggedIn {
                        self.logged_off(events).await;
                    }
                }
            }
        }
        None
    }

    /// The router is at a login prompt though we were logged in: say why we think so, and
    /// forget its session.
    async fn logged_off(&mut self, events: &mpsc::Sender<Event>) {
        let why = if self.logoff_typed.is_some() {
            "`logoff` typed"
        } else {
            "restarted, or logged off when idle?"
        };
        let again = if self.cfg.user.is_some() && !self.quitting {
            "; logging in again"
        } else {
            ""
        };
        let _ = events
            .send(Event::Mark(format!(
                "router asked for a login again at {} ({why}){again}",
                clock()
            )))
            .await;
        self.forget_router();
        let _ = events.send(Event::Status(self.status.clone())).await;
    }

    /// The router restarted or logged us out: what we knew of its session is gone (its debug
    /// is off again); the debug the user wanted is restored after the login.
    fn forget_router(&mut self) {
        self.status.login = LoginState::LoggingIn;
        self.status.debug_on = false;
        self.debug_ours = false;
        self.idle = false;
        self.in_flight = None;
        self.login_attempts = 0;
        self.logoff_typed = None;
        self.user_sent = false;
    }

    fn set_policies(&mut self, names: Vec<String>) {
        // A policy's counters are the polls beyond the fixed set.
        let fixed = self.cfg.dialect.poll_set();
        self.polls.retain(|p| fixed.contains(&p.command));
        let now = Instant::now();
        for n in names {
            self.polls.push(PollItem {
                command: self.cfg.dialect.command(&Cmd::PolicyCounters(&n)),
                every: self.cfg.poll.counters,
                next: now,
            });
        }
    }

    /// React to a transcript item; `Some(end)` ends the session.
    async fn on_item(&mut self, it: &Item, events: &mpsc::Sender<Event>) -> Option<End> {
        if let Item::Prompt(p, _) = it {
            if self.cfg.dialect.is_logoff(&p.rest) && self.logoff_sent.is_none() {
                // A `logoff` echoed at the prompt, however it was typed (passthrough, the
                // screen's command line, someone at the router's end): the login prompt is
                // coming, and no command may go out to meet it.
                self.logoff_typed = Some(Instant::now());
            }
        }
        match it {
            Item::Login(..) => {
                // A login prompt while logged in: the router restarted or logged us out.
                self.login_seen = true;
                if self.logoff_sent.is_some() {
                    return Some(End::Quit);
                }
                if self.status.login == LoginState::LoggedIn {
                    self.logged_off(events).await;
                }
            }
            // A whole prompt line (debug text followed it, or an empty command): the router
            // is at its prompt even though the line did not stay quiet.
            // Only a prompt that names its level counts here: a bare `name>` on a line of
            // noise (wrong baud rate) must not look like a router at its prompt.
            Item::Prompt(p, _) if p.strong && self.status.login != LoginState::NeedsUser => {
                self.at_prompt(p, events).await;
            }
            _ => {}
        }
        None
    }

    async fn quiet(&mut self, events: &mpsc::Sender<Event>, items: &mut Vec<Item>) -> Option<End> {
        match self.reader.cleaner.partial() {
            Partial::Pager => {
                // Answer `c`: the rest without stopping (what automation tools send).
                if let Err(e) = self.send(b"c").await {
                    return Some(End::Dropped(e.to_string()));
                }
                self.last_byte = Instant::now();
            }
            Partial::Login => {
                self.idle = false;
                self.login_seen = true;
                self.user_sent = false;
                if self.logoff_sent.is_some() || self.quitting {
                    // Logged off (by us, at the end, or by someone else): as we leave it.
                    return Some(End::Quit);
                }
                if self.status.login == LoginState::LoggedIn {
                    self.logged_off(events).await;
                }
                self.logoff_typed = None;
                if self.commands_since_login >= 2 {
                    // The last login was of use (a `logoff` typed after some work, an idle
                    // time-out): not a login loop.
                    self.logins.clear();
                    self.login_holds = 0;
                }
                if self.cfg.user.is_some() && self.login_attempts < 2 {
                    if let Some(until) = self.login_backoff(events).await {
                        if Instant::now() < until {
                            // Judged again on a later tick, until the hold is over.
                            self.judged = false;
                            return None;
                        }
                    }
                }
                match &self.cfg.user {
                    Some(u) if self.login_attempts < 2 => {
                        self.login_attempts += 1;
                        self.logins.push_back(Instant::now());
                        self.commands_since_login = 0;
                        self.status.login = LoginState::LoggingIn;
                        let line = format!("{u}\r");
                        if let Err(e) = self.send(line.as_bytes()).await {
                            return Some(End::Dropped(e.to_string()));
                        }
                        self.user_sent = true;
                    }
                    Some(u) => {
                        self.status.login = LoginState::Failed;
                        let _ = events.send(Event::Status(self.status.clone())).await;
                        return Some(End::Fatal(format!(
                            "login as {u} failed: the router rejected the password (check TUNNELSCOPE_PASSWORD)"
                        )));
                    }
                    None => self.status.login = LoginState::NeedsUser,
                }
                let _ = events.send(Event::Status(self.status.clone())).await;
                self.last_byte = Instant::now();
            }
            Partial::Password => {
                // At login, or the security officer's re-authentication before a command.
                let at_login = self.status.login != LoginState::LoggedIn || self.after_login_line;
                if at_login {
                    self.login_seen = true;
                    if self.quitting || self.logoff_sent.is_some() {
                        return Some(End::Quit);
                    }
                    if self.status.login == LoginState::LoggedIn {
                        self.logged_off(events).await;
                    }
                    if self.cfg.user.is_none() {
                        // The user logs in by hand.
                        self.status.login = LoginState::NeedsUser;
                        let _ = events.send(Event::Status(self.status.clone())).await;
                        return None;
                    }
                    if !std::mem::take(&mut self.user_sent) {
                        // Not our user name: something else (a command that crossed a
                        // logoff, a stray line) was taken as one. An empty password ends that
                        // try; the login prompt after it gets our user name.
                        if let Err(e) = self.send(b"\r").await {
                            return Some(End::Dropped(e.to_string()));
                        }
                        self.last_byte = Instant::now();
                        return None;
                    }
                } else if !self.reauth_expected() {
                    // Not a login, and not the security officer's re-authentication before a
                    // command of ours (`set password` asks `Old password:`; a line typed in
                    // passthrough is the user's to answer): the stored password is not sent.
                    let asked = self.reader.cleaner.pending().trim().to_string();
                    let after = match self.in_flight.take() {
                        Some(f) => format!("`{}`", f.cmd.text),
                        None => "a line typed in passthrough".to_string(),
                    };
                    self.idle = false;
                    self.declined = true;
                    let _ = events
                        .send(Event::Mark(format!(
                            "the router asks `{asked}` after {after}: not answered with the stored password (answer it in passthrough, Ctrl-t)"
                        )))
                        .await;
                    return None;
                }
                let Some(pw) = &self.cfg.password else {
                    self.status.login = LoginState::NeedsPassword;
                    let _ = events.send(Event::Status(self.status.clone())).await;
                    return None;
                };
                if self
                    .password_sent_at
                    .is_some_and(|t| t.elapsed() < Duration::from_secs(2))
                {
                    // Asked again at once: the password was wrong.
                    self.status.login = LoginState::Failed;
                    let _ = events.send(Event::Status(self.status.clone())).await;
                    return Some(End::Fatal(
                        "the router rejected the password (check TUNNELSCOPE_PASSWORD)".into(),
                    ));
                }
                let mut line = pw.expose().as_bytes().to_vec();
                line.push(b'\r');
                self.password_sent_at = Some(Instant::now());
                if let Err(e) = self.send_as(&line, true).await {
                    return Some(End::Dropped(e.to_string()));
                }
                self.last_byte = Instant::now();
            }
            Partial::Prompt(p) => {
                let line = self.reader.cleaner.line_number();
                self.reader.transcript.prompt_seen(&p, line, items);
                self.at_prompt(&p, events).await;
            }
            Partial::Empty | Partial::Text(_) => {}
        }
        None
    }

    /// Whether a password prompt now is the security officer's re-authentication before a
    /// command of ours (a poll or a `:` command): a bare `Password:` while that command is in
    /// flight, with a security officer's prompt (or the user's own prompt pattern, whose level
    /// is unknown). A manager or user is never asked again.
    fn reauth_expected(&self) -> bool {
        self.in_flight.is_some()
            && matches!(
                self.status.privilege,
                Some(Privilege::SecurityOfficer | Privilege::Unknown)
            )
            && prompt::is_bare_password_prompt(self.reader.cleaner.pending())
    }

    /// The back-off of logins: `Some(until)` while the next login must wait (said once, in a
    /// mark, when the hold starts).
    async fn login_backoff(&mut self, events: &mpsc::Sender<Event>) -> Option<Instant> {
        let now = Instant::now();
        if let Some(until) = self.login_hold {
            if now < until {
                return Some(until);
            }
            self.login_hold = None;
            return None;
        }
        if self
            .logins
            .back()
            .is_none_or(|t| now.duration_since(*t) > LOGIN_CALM)
        {
            self.login_holds = 0;
        }
        while self
            .logins
            .front()
            .is_some_and(|t| now.duration_since(*t) > LOGIN_WINDOW)
        {
            self.logins.pop_front();
        }
        let recent = self.logins.len();
        if recent < LOGINS_BEFORE_BACKOFF && self.login_holds == 0 {
            return None;
        }
        let wait = LOGIN_BACKOFF_BASE
            .saturating_mul(1u32 << self.login_holds.min(8))
            .min(LOGIN_BACKOFF_MAX);
        self.login_holds += 1;
        let until = now + wait;
        self.login_hold = Some(until);
        let _ = events
            .send(Event::Mark(format!(
                "{recent} logins in the last minute: waiting {} s before logging in again (so the account is not locked)",
                wait.as_secs()
            )))
            .await;
        Some(until)
    }

    async fn at_prompt(&mut self, p: &PromptMatch, events: &mpsc::Sender<Event>) {
        let first_login = self.status.login != LoginState::LoggedIn;
        if first_login && std::mem::take(&mut self.login_seen) {
            self.logged_in_here = true;
            self.login_attempts = 0;
        }
        self.idle = true;
        self.declined = false;
        self.password_sent_at = None;
        self.user_sent = false;
        if self.in_flight.is_some() {
            if let Some(t) = self.logoff_typed.as_mut() {
                // The router runs a typed-ahead `logoff` after this command: wait from now.
                *t = Instant::now();
            }
        }
        if first_login {
            tracing::info!(target = %self.cfg.target, privilege = ?p.privilege, "at the prompt");
        }
        self.status.login = LoginState::LoggedIn;
        self.status.privilege = Some(p.privilege);
        if p.system_name.is_some() {
            self.status.system_name = p.system_name.clone();
        }
        if let Some(f) = self.in_flight.take() {
            self.commands_since_login = self.commands_since_login.saturating_add(1);
            let secs = f.started.elapsed().as_secs_f64();
            if !f.cmd.user {
                // Line time: the bytes at the line's rate, or the time taken on a network.
                // Time spent waiting for a prompt that was lost (until the CR that brought
                // it back) was no use of the line.
                let secs = f.nudged.map_or(secs, |t| t.elapsed().as_secs_f64());
                let cost = match self.link.bytes_per_sec {
                    Some(r) if r > 0 => (f.bytes as f64 / f64::from(r))
                        .max(secs.min(f.bytes as f64 / f64::from(r) * 2.0)),
                    _ => secs,
                };
                let share = self.cfg.poll.share.clamp(0.01, 1.0);
                // Whatever came with one command (a flood, garbage), polling pauses at most
                // MAX_POLL_PAUSE: the tables must not go stale for minutes.
                let pause = (cost * (1.0 / share - 1.0)).min(MAX_POLL_PAUSE.as_secs_f64());
                self.poll_gate = Instant::now() + Duration::from_secs_f64(pause);
                self.poll_cost.push_back((Instant::now(), cost));
                self.status.last_poll = Some(Instant::now());
                let _ = events
                    .send(Event::Measure {
                        command: f.cmd.text.clone(),
                        bytes: f.bytes,
                        secs,
                    })
                    .await;
            }
            let d = self.cfg.dialect;
            if f.cmd.text == d.command(&Cmd::Debug(true)) {
                self.status.debug_on = true;
                self.debug_ours = true;
            } else if f.cmd.text == d.command(&Cmd::Debug(false)) {
                self.status.debug_on = false;
                self.debug_ours = false;
            }
        }
        let minute = Instant::now().checked_sub(Duration::from_secs(60));
        while self
            .poll_cost
            .front()
            .is_some_and(|(t, _)| minute.is_some_and(|m| *t < m))
        {
            self.poll_cost.pop_front();
        }
        self.status.line_share = self.poll_cost.iter().map(|(_, c)| c).sum::<f64>() / 60.0;
        if first_login && self.debug_wanted && !self.status.debug_on {
            // After a reconnect or a reboot: debug back on as the user had it.
            self.queue.push_front(Queued {
                text: self.cfg.dialect.command(&Cmd::Debug(true)),
                user: true,
            });
        }
        let _ = events.send(Event::Status(self.status.clone())).await;
    }

    /// Start the next command when the router is idle: the user's first, then a due poll
    /// when the line budget allows.
    async fn next_command(&mut self, _events: &mpsc::Sender<Event>) -> Result<(), WriteError> {
        if !self.idle || self.in_flight.is_some() || self.status.login != LoginState::LoggedIn {
            return Ok(());
        }
        if self.logoff_sent.is_some() {
            return Ok(());
        }
        if !self.typed.is_empty() {
            // The user is typing a line in passthrough: a command now would land in the
            // middle of it at the router (`lo` + `show isakmp sa` + `goff`).
            return Ok(());
        }
        if let Some(t) = self.logoff_typed {
            if t.elapsed() < LOGOFF_WAIT {
                return Ok(());
            }
            // The router stayed at its prompt: it did not log off.
            self.logoff_typed = None;
        }
        // A login or password prompt came after the prompt we judged: nothing is typed there.
        let pending = self.reader.cleaner.pending();
        if prompt::match_login(pending).is_some() || prompt::is_password_prompt(pending) {
            self.idle = false;
            return Ok(());
        }
        let now = Instant::now();
        let cmd = if let Some(q) = self.queue.pop_front() {
            Some(q)
        } else if !self.quitting && now >= self.poll_gate {
            self.polls
                .iter_mut()
                .filter(|p| p.next <= now)
                .min_by_key(|p| p.next)
                .map(|p| {
                    p.next = now + p.every;
                    Queued {
                        text: p.command.clone(),
                        user: false,
                    }
                })
        } else {
            None
        };
        let Some(cmd) = cmd else { return Ok(()) };
        if self.cfg.dialect.is_logoff(&cmd.text) {
            self.logoff_typed = Some(now);
        }
        self.idle = false;
        if let Some(p) = self.reader.transcript.last_prompt.clone() {
            self.reader.transcript.expect_echo(&cmd.text, p);
        }
        let line = format!("{}\r", cmd.text);
        self.in_flight = Some(InFlight {
            cmd,
            started: now,
            bytes: 0,
            nudged: None,
        });
        self.send(line.as_bytes()).await
    }
}
