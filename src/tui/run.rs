//! The screen's event loop: terminal set-up and restore (also on panic and on SIGTERM, SIGINT,
//! SIGQUIT and SIGHUP), keys from a reader thread, session events from the routers, pings, and
//! redraws only when something changed (at most 30 a second, and once a second for the clocks
//! when idle); the way out (debug off, logoff) bounded for routers that stopped answering.

use super::app::{App, PingFrom};
use super::input;
use super::keymap::Keymap;
use super::router::RouterView;
use super::ui;
use crate::console::session::{self, Event, LoginState, Request, SessionConfig};
use crate::link::{Link, LinkError};
use crate::ping::{spawn_system_ping, PingEvent, PingHandle};
use crate::sim::serve::SharedNet;
use crate::sim::{ConsoleConfig, Scenario, Start};
use std::io::Stdout;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;

type Term = ratatui::Terminal<ratatui::backend::CrosstermBackend<Stdout>>;

/// After a quit, a router that sent nothing back for this long is not waited for any more:
/// it has stopped answering, and the logoff it could not read is not worth the wait.
pub const QUIT_SILENCE: Duration = Duration::from_secs(2);
/// The longest wait for the sessions' way out (debug off, logoff) after a quit.
pub const QUIT_WAIT: Duration = Duration::from_secs(5);

/// The signals that end the screen (and `snapshot`): handled, not left to kill the process,
/// so that the terminal is restored and the console logged off first. `kill -INT` is one of
/// them: the screen reads keys raw, so Ctrl-C is a key, and SIGINT comes only when sent.
pub(crate) struct Stops {
    term: Signal,
    int: Signal,
    quit: Signal,
    hup: Signal,
}

impl Stops {
    pub(crate) fn new() -> std::io::Result<Stops> {
        Ok(Stops {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// The number of the next signal that comes.
    pub(crate) async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.term.recv() => libc::SIGTERM,
            _ = self.int.recv() => libc::SIGINT,
            _ = self.quit.recv() => libc::SIGQUIT,
            _ = self.hup.recv() => libc::SIGHUP,
        }
    }
}

/// What the screen is opened on.
pub enum Source {
    /// A live router.
    Live(Box<SessionConfig>),
    /// The two simulated peers, in process.
    Demo(Scenario),
    /// A capture played back.
    Replay(PathBuf, super::replay::Pace),
}

/// Where a session's capture goes.
#[derive(Debug, Clone)]
pub enum CaptureChoice {
    /// The data directory, named from the router and the date and time.
    Default,
    Path(PathBuf),
    Off,
}

pub struct Options {
    pub keymap: Keymap,
    pub scrollback: usize,
    pub ping_target: Option<String>,
    /// Ping from the router itself instead of this machine (`connect`).
    pub ping_from_router: bool,
    pub capture: CaptureChoice,
    pub keep_secrets: bool,
}

/// The capture file of router `i` of `n`.
fn capture_path(choice: &CaptureChoice, label: &str, i: usize, n: usize) -> Option<PathBuf> {
    match choice {
        CaptureChoice::Off => None,
        CaptureChoice::Default => Some(crate::capture::default_path(label)),
        CaptureChoice::Path(p) if n > 1 && i > 0 => {
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ext = p
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_default();
            Some(p.with_file_name(format!("{stem}-{}{ext}", label.to_ascii_lowercase())))
        }
        CaptureChoice::Path(p) => Some(p.clone()),
    }
}

/// Refuse a `--capture` file that is there already (a file, a link, anything): a capture never
/// replaces or follows one, and saying so before the screen starts beats recording nothing.
/// `labels` are the routers' (a second router's capture is named after it).
pub fn check_capture(choice: &CaptureChoice, labels: &[String]) -> anyhow::Result<()> {
    if !matches!(choice, CaptureChoice::Path(_)) {
        return Ok(());
    }
    for (i, label) in labels.iter().enumerate() {
        if let Some(p) = capture_path(choice, label, i, labels.len()) {
            if std::fs::symlink_metadata(&p).is_ok() {
                anyhow::bail!(
                    "--capture {}: the file is there already (a capture never overwrites or \
                     follows one); give a new name",
                    p.display()
                );
            }
        }
    }
    Ok(())
}

/// The routers' labels a source shows (as `start` names them).
fn source_labels(source: &Source) -> Vec<String> {
    match source {
        Source::Replay(..) => Vec::new(),
        Source::Live(cfg) => vec![cfg.target.to_string()],
        Source::Demo(_) => vec!["Peer1".into(), "Peer2".into()],
    }
}

/// The commands `show debug ipsec` runs, for software older than 2.9.1 (How To Note), with
/// the per-SA and per-policy ones expanded from what was read.
fn show_debug_fallback(r: &RouterView) -> Vec<String> {
    let mut v: Vec<String> = [
        "show system",
        "show file",
        "show install",
        "show feature",
        "show release",
        "show config dynamic",
        "show buffer scan",
        "show cpu",
        "show log",
        "show exception",
        "show ipsec policy sabundle",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for sa in &r.state.snapshot.ipsec_sas {
        v.push(format!("show ipsec sa={}", sa.sa_id));
    }
    v.push("show ipsec sa counters".into());
    v.push("show ipsec counters".into());
    for p in r.state.snapshot.config.encrypting_policies() {
        v.push(session::counters_command(&p));
    }
    for c in [
        "show enco",
        "show enco channel",
        "show enco counters",
        "show isakmp sa",
        "show isakmp exchange",
        "show isakmp exchange detail",
        "show isakmp sa detail",
        "show isakmp counters",
        "show ffile check",
    ] {
        v.push(c.to_string());
    }
    v
}

fn restore() {
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

fn setup() -> std::io::Result<Term> {
    // Restore the terminal before a panic message is printed, so it is readable.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        hook(info);
    }));
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::cursor::Hide
    )?;
    ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))
}

/// Keys (and resizes) from a thread, so the loop never blocks on the terminal.
fn key_reader(tx: mpsc::Sender<Option<crossterm::event::KeyEvent>>) {
    std::thread::spawn(move || loop {
        match crossterm::event::read() {
            Ok(crossterm::event::Event::Key(k)) => {
                if tx.blocking_send(Some(k)).is_err() {
                    return;
                }
            }
            Ok(crossterm::event::Event::Resize(..)) => {
                if tx.blocking_send(None).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    });
}

struct Routers {
    requests: Vec<mpsc::Sender<Request>>,
}

/// Start the sessions for a source; events come tagged with the router's index.
fn start(
    source: &Source,
    net: &mut Option<SharedNet>,
    events: &mpsc::Sender<(usize, Event)>,
) -> (Routers, Vec<String>) {
    let mut requests = Vec::new();
    let mut labels = Vec::new();
    let cfgs: Vec<(SessionConfig, Option<(SharedNet, u8)>)> = match source {
        Source::Replay(path, _) => {
            // No session: the replay task sends router 0's events.
            let (req_tx, _req_rx) = mpsc::channel(64);
            return (
                Routers {
                    requests: vec![req_tx],
                },
                vec![path.display().to_string()],
            );
        }
        Source::Live(cfg) => vec![((**cfg).clone(), None)],
        Source::Demo(s) => {
            let n = SharedNet::new(*s);
            *net = Some(n.clone());
            (1..=2u8)
                .map(|peer| {
                    let cfg = SessionConfig {
                        target: crate::link::Target::Sim {
                            scenario: s.name().into(),
                            peer,
                        },
                        link: Default::default(),
                        user: Some("secoff".into()),
                        password: Some(crate::link::Secret::new("secoff")),
                        prompt: Default::default(),
                        poll: Default::default(),
                        reconnect: true,
                    };
                    (cfg, Some((n.clone(), peer)))
                })
                .collect()
        }
    };
    for (i, (cfg, sim)) in cfgs.into_iter().enumerate() {
        labels.push(match &sim {
            Some((_, p)) => format!("Peer{p}"),
            None => cfg.target.to_string(),
        });
        let (req_tx, req_rx) = mpsc::channel(64);
        let (ev_tx, mut ev_rx) = mpsc::channel(1024);
        requests.push(req_tx);
        let out = events.clone();
        tokio::spawn(async move {
            while let Some(e) = ev_rx.recv().await {
                if out.send((i, e)).await.is_err() {
                    return;
                }
            }
        });
        match sim {
            Some((n, peer)) => {
                tokio::spawn(session::run_with(cfg, req_rx, ev_tx, move || {
                    let l: Result<Link, LinkError> = Ok(crate::link::sim::open_sim_on(
                        &n,
                        peer,
                        Start::Login,
                        ConsoleConfig::default(),
                    ));
                    std::future::ready(l)
                }));
            }
            None => {
                tokio::spawn(session::run(cfg, req_rx, ev_tx));
            }
        }
    }
    (Routers { requests }, labels)
}

/// Ping from the simulated PC on a peer's LAN: a reply when the packet made it through the
/// tunnel and back.
fn sim_ping(
    net: SharedNet,
    peer: usize,
    target: String,
    count: u32,
) -> (mpsc::Receiver<PingEvent>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(64);
    let task = tokio::spawn(async move {
        let _ = tx
            .send(PingEvent::Started {
                command: format!("ping {target} (from the simulated LAN PC)"),
                pid: None,
            })
            .await;
        let mut received = 0;
        for seq in 1..=count {
            let ok = {
                let now = net.now();
                let mut g = net.net.lock().unwrap_or_else(|e| e.into_inner());
                g.advance(now);
                g.lan_ping(peer, &target)
            };
            let ev = if ok {
                received += 1;
                PingEvent::Reply {
                    seq,
                    time_ms: Some(12.0 + f64::from(seq % 5)),
                }
            } else {
                tokio::time::sleep(Duration::from_millis(900)).await;
                PingEvent::Lost { seq, reason: None }
            };
            if tx.send(ev).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(if ok { 1000 } else { 100 })).await;
        }
        let _ = tx
            .send(PingEvent::Summary {
                sent: count,
                received,
            })
            .await;
        let _ = tx
            .send(PingEvent::Finished {
                exit: Some(0),
                stopped: false,
            })
            .await;
    });
    (rx, task)
}

enum Pinger {
    System(PingHandle),
    Sim(tokio::task::JoinHandle<()>),
}

impl Pinger {
    fn stop(&mut self) {
        match self {
            Pinger::System(h) => h.stop(),
            Pinger::Sim(t) => t.abort(),
        }
    }
}

/// How the screen ended: the exit status follows it (128 + the signal's number, as a shell
/// reports a process ended by that signal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The user quit.
    Quit,
    /// SIGTERM, SIGINT, SIGQUIT or SIGHUP (the terminal closed): the number of the signal.
    Signal(i32),
}

impl Ending {
    /// The process exit status: 0 after a quit, 143 after SIGTERM, 130 after SIGINT, 131
    /// after SIGQUIT, 129 after SIGHUP.
    pub fn exit_status(self) -> u8 {
        match self {
            Ending::Quit => 0,
            Ending::Signal(n) => u8::try_from(128 + n).unwrap_or(255),
        }
    }
}

/// Run the screen until the user quits or a signal ends it.
pub async fn run(source: Source, opts: Options) -> anyhow::Result<Ending> {
    check_capture(&opts.capture, &source_labels(&source))?;
    // Before the terminal is taken: from then on a signal restores it.
    let stops = Stops::new()?;
    let mut term = setup()?;
    let result = event_loop(&mut term, source, opts, stops).await;
    restore();
    match result {
        Ok((ending, terminal_gone)) => {
            if terminal_gone {
                // Dropping the terminal would print "Failed to show the cursor" to a closed
                // terminal, and printing there panics: there is nothing left to restore.
                std::mem::forget(term);
            }
            Ok(ending)
        }
        Err(e) => Err(e),
    }
}

/// Write what crossed router `i`'s line (both ways, and marks) to its capture.
fn record(writers: &mut [Option<crate::capture::CaptureWriter>], i: usize, e: &Event) {
    if let Some(Some(w)) = writers.get_mut(i) {
        match e {
            Event::Bytes(b) => w.received(b),
            Event::Sent { bytes, secret } => w.sent(bytes, *secret),
            Event::Mark(m) => w.mark(m),
            _ => {}
        }
    }
}

/// Apply a ping event to the app.
fn on_ping(app: &mut App, idx: usize, ev: PingEvent) {
    let at = app.clock();
    let p = &mut app.ping[idx];
    match ev {
        PingEvent::Started { .. } => {}
        PingEvent::Reply { time_ms, .. } => {
            p.sent += 1;
            p.replied += 1;
            if let Some(t) = time_ms {
                p.times_ms.push(t);
            }
        }
        PingEvent::Lost { .. } => p.sent += 1,
        PingEvent::Summary { .. } => {}
        PingEvent::Error(e) => p.error = Some(e),
        PingEvent::Finished { .. } => {
            p.running = false;
            p.ended = Some(at);
        }
    }
}

/// The loop; it ends with how it ended, and whether the terminal is gone.
async fn event_loop(
    term: &mut Term,
    source: Source,
    opts: Options,
    mut stops: Stops,
) -> anyhow::Result<(Ending, bool)> {
    let (key_tx, mut keys) = mpsc::channel(64);
    key_reader(key_tx);
    let (ev_tx, mut events) = mpsc::channel::<(usize, Event)>(4096);
    let mut net = None;
    let mut source = source;
    let (mut routers, labels) = start(&source, &mut net, &ev_tx);
    let views = labels
        .iter()
        .map(|l| RouterView::new(l.clone(), opts.scrollback))
        .collect();
    let mut app = App::new(views, opts.keymap.clone());
    if let Source::Demo(s) = &source {
        app.scenario = Some(s.name().to_string());
        app.scenarios = Scenario::ALL
            .iter()
            .map(|s| (s.name().to_string(), s.describe().to_string()))
            .collect();
        app.ping_from = PingFrom::SimLan;
    }
    // Captures, one per router, unless replaying.
    let n_routers = app.routers.len();
    let mut writers: Vec<Option<crate::capture::CaptureWriter>> = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let path = match &source {
            Source::Replay(..) => None,
            _ => capture_path(&opts.capture, label, i, n_routers),
        };
        let w = path.and_then(|p| {
            let header = crate::capture::Header {
                router: Some(label.clone()),
                link: Some(match &source {
                    Source::Live(c) => c.target.to_string(),
                    _ => format!("demo {label}"),
                }),
                started: Some(crate::capture::iso_now()),
            };
            match crate::capture::CaptureWriter::create(&p, &header, opts.keep_secrets) {
                Ok(w) => Some(w),
                Err(e) => {
                    app.routers[i]
                        .errors
                        .push(format!("no capture: cannot write {}: {e}", p.display()));
                    None
                }
            }
        });
        writers.push(w);
    }
    app.capture = writers
        .first()
        .and_then(|w| w.as_ref())
        .map(|w| w.path().display().to_string());
    // A replay runs as a task that sends router 0's events.
    let (replay_tx, replay_rx) = mpsc::channel(16);
    let (replay_progress_tx, mut replay_progress) = mpsc::channel::<String>(16);
    if let Source::Replay(path, pace) = &source {
        app.replaying = true;
        tokio::spawn(super::replay::run(
            path.clone(),
            *pace,
            ev_tx.clone(),
            replay_rx,
            replay_progress_tx,
        ));
    }
    // `show debug ipsec` in progress per router: its clean lines, and the last command it needs.
    let mut show_debug: Vec<Option<(crate::console::text::TextCleaner, Vec<String>, String)>> =
        (0..n_routers).map(|_| None).collect();
    if opts.ping_from_router && !matches!(source, Source::Demo(_)) {
        app.ping_from = PingFrom::Router;
    }
    // A ping run on the router: the command line sent, per router, read when it ends.
    let mut router_ping: Vec<Option<(u64, String)>> = vec![None; n_routers];
    let mut config_asked = vec![false; app.routers.len()];
    let mut policies_set: Vec<Option<String>> = vec![None; app.routers.len()];
    let (ping_tx, mut pings) = mpsc::channel::<(usize, u64, PingEvent)>(256);
    let mut pinger: Option<(usize, u64, Pinger)> = None;
    let mut ping_gen = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    let mut dirty = true;
    let mut signal: Option<i32> = None;
    let mut terminal_gone = false;
    loop {
        if dirty && !terminal_gone && last_draw.elapsed() >= Duration::from_millis(33) {
            // A terminal gone (closed window, SIGHUP on its way) is no reason to leave
            // without turning off the debug: quit as after `q`, drawing no more.
            if term.draw(|f| ui::draw(f, &app)).is_err() {
                terminal_gone = true;
                app.quit = true;
            }
            last_draw = Instant::now();
            dirty = false;
        }
        tokio::select! {
            k = keys.recv() => {
                match k {
                    Some(Some(k)) => {
                        if let Some(key) = input::from_crossterm(k) {
                            app.on_key(key);
                        }
                    }
                    Some(None) => { let _ = term.autoresize(); }
                    // The key reader ended: the terminal is gone.
                    None => {
                        terminal_gone = true;
                        app.quit = true;
                    }
                }
                dirty = true;
            }
            Some(p) = replay_progress.recv() => {
                app.replay_status = Some(p);
                dirty = true;
            }
            Some((i, e)) = events.recv() => {
                let login = matches!(&e, Event::Status(s) if s.login == LoginState::LoggedIn);
                record(&mut writers, i, &e);
                if i == 0 && writers.first().and_then(|w| w.as_ref()).is_some_and(|w| w.limit_reached()) {
                    if let Some(c) = app.capture.as_mut().filter(|c| !c.ends_with(" (limit reached)")) {
                        c.push_str(" (limit reached)");
                    }
                }
                // `show debug ipsec` being read: keep its lines; at its end, save and fall
                // back to its list of commands when the router does not know it.
                if let (Event::Bytes(b), Some(Some((cl, lines, _)))) = (&e, show_debug.get_mut(i)) {
                    let mut tev = Vec::new();
                    cl.feed(b, &mut tev);
                    for t in tev {
                        if let crate::console::text::TextEvent::Line(l) = t {
                            // Bounded in lines and in each line's length (at most ~50 MB): a
                            // router flooding the line during the read must not grow memory.
                            if lines.len() < 100_000 {
                                let mut t = l.text;
                                if t.len() > 512 {
                                    let mut end = 512;
                                    while !t.is_char_boundary(end) {
                                        end -= 1;
                                    }
                                    t.truncate(end);
                                }
                                lines.push(t);
                            }
                        }
                    }
                }
                // The router's own ping: its block, when it ends.
                let (router_ping_block, mut router_ping_lines) = match &e {
                    Event::Item(crate::console::transcript::Item::Block(b), _) => (
                        Some(b.command.typed.clone()),
                        b.lines.iter().map(|l| l.text.clone()).collect::<Vec<_>>(),
                    ),
                    _ => (None, Vec::new()),
                };
                let finished_show_debug = match (&e, show_debug.get(i)) {
                    (Event::Item(crate::console::transcript::Item::Block(b), _), Some(Some((_, _, last)))) => {
                        b.command.canonical == *last || (last == "show debug ipsec" && b.command.display == crate::alliedware::commands::Display::DebugIpsec)
                    }
                    _ => false,
                };
                if let Some(r) = app.routers.get_mut(i) {
                    r.on_event(e);
                }
                // Once logged in: read the configuration (for the policies), then poll the
                // chosen policy's counters.
                if login && !config_asked[i] {
                    config_asked[i] = true;
                    if let Some(tx) = routers.requests.get(i) {
                        let _ = tx.send(Request::Command("show config dynamic".into())).await;
                    }
                }
                if let Some(p) = app.chosen_policy(i) {
                    if policies_set[i].as_ref() != Some(&p) {
                        policies_set[i] = Some(p.clone());
                        if let Some(tx) = routers.requests.get(i) {
                            let _ = tx.send(Request::SetPolicies(vec![p])).await;
                        }
                    }
                }
                app.refresh_counters(i);
                if let (Some(cmd), Some(Some((gen, sent)))) = (&router_ping_block, router_ping.get(i)) {
                    if cmd == sent && *gen == ping_gen {
                        let mut parser = crate::ping::PingParser::new(crate::ping::PingForm::Router);
                        for l in router_ping_lines.drain(..) {
                            for ev in parser.feed(&l) {
                                on_ping(&mut app, i, ev);
                            }
                        }
                        on_ping(&mut app, i, PingEvent::Finished { exit: Some(0), stopped: false });
                        router_ping[i] = None;
                    }
                }
                if finished_show_debug {
                    if let Some(Some((_, lines, last))) = show_debug.get_mut(i).map(|x| x.take()) {
                        let unknown = last == "show debug ipsec"
                            && lines.iter().take(6).any(|l| {
                                let l = l.to_ascii_lowercase();
                                l.contains("unknown command") || l.contains("invalid") || l.starts_with("error")
                            });
                        if unknown {
                            // Older software: run the commands it would have run.
                            let list = show_debug_fallback(&app.routers[i]);
                            let last = list.last().cloned().unwrap_or_default();
                            let last = crate::alliedware::commands::recognise(&last).canonical;
                            for c in list {
                                if let Some(tx) = routers.requests.get(i) {
                                    let _ = tx.send(Request::Command(c)).await;
                                }
                            }
                            show_debug[i] = Some((crate::console::text::TextCleaner::default(), Vec::new(), last));
                            app.message = Some(("this router has no show debug ipsec: running its commands one by one".into(), Instant::now()));
                        } else {
                            let base = writers.get(i).and_then(|w| w.as_ref()).map(|w| w.path().to_path_buf())
                                .unwrap_or_else(|| crate::capture::default_path(&app.routers[i].label));
                            let stem = base.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                            let out = base.with_file_name(format!("{stem}-show-debug-ipsec.txt"));
                            let mut text = lines.join("\n");
                            text.push('\n');
                            let msg = match crate::fsutil::write_replace(&out, text.as_bytes()) {
                                Ok(()) => format!("show debug ipsec saved to {}", out.display()),
                                Err(e) => format!("cannot save show debug ipsec: {e}"),
                            };
                            app.routers[i].saved.push(out.display().to_string());
                            app.message = Some((msg, Instant::now()));
                        }
                    }
                }
                dirty = true;
            }
            Some((i, gen, ev)) = pings.recv() => {
                if gen == ping_gen {
                    on_ping(&mut app, i, ev);
                    dirty = true;
                }
            }
            _ = tick.tick() => {
                for r in &mut app.routers { r.tick(); }
                // The clocks on screen move once a second.
                if last_draw.elapsed() >= Duration::from_secs(1) { dirty = true; }
            }
            n = stops.recv() => {
                signal.get_or_insert(n);
                app.quit = true;
            }
        }
        for (i, r) in app.outbox.drain(..) {
            if let Some(tx) = routers.requests.get(i) {
                let _ = tx.send(r).await;
            }
        }
        for c in app.replay_commands.drain(..) {
            let _ = replay_tx.try_send(c);
        }
        if std::mem::take(&mut app.show_debug_request) {
            let i = app.current;
            if let Some(tx) = routers.requests.get(i) {
                let _ = tx.send(Request::Command("show debug ipsec".into())).await;
                show_debug[i] = Some((
                    crate::console::text::TextCleaner::default(),
                    Vec::new(),
                    "show debug ipsec".into(),
                ));
            }
        }
        if std::mem::take(&mut app.bundle_request) {
            let i = app.current;
            let cap = writers
                .get(i)
                .and_then(|w| w.as_ref())
                .map(|w| w.path().to_path_buf());
            let msg = match super::evidence::bundle(&app, i, cap.as_deref()) {
                Ok(p) => format!("evidence bundle written: {}", p.display()),
                Err(e) => format!("cannot write the bundle: {e}"),
            };
            app.message = Some((msg, Instant::now()));
            dirty = true;
        }
        if let Some((idx, start_it)) = app.ping_request.take() {
            if let Some((_, _, mut p)) = pinger.take() {
                p.stop();
                app.ping[idx].running = false;
                app.ping[idx].ended = Some(app.clock());
            }
            if start_it {
                ping_gen += 1;
                let target = opts
                    .ping_target
                    .clone()
                    .unwrap_or_else(|| "192.168.2.100".into());
                let at = app.clock();
                app.ping[idx] = super::app::PingState {
                    target: target.clone(),
                    running: true,
                    started: Some(at),
                    ..Default::default()
                };
                let gen = ping_gen;
                let (mut rx, p) = match (&net, app.ping_from) {
                    (_, PingFrom::Router) => {
                        let req = crate::ping::PingRequest::new(target.clone(), Some(10));
                        match (crate::ping::PingTarget::Router { source: None }).command(&req) {
                            Ok(c) => {
                                let line = format!("{} {}", c.program, c.args.join(" "));
                                if let Some(tx) = routers.requests.get(idx) {
                                    let _ = tx.send(Request::Command(line.clone())).await;
                                }
                                router_ping[idx] = Some((ping_gen, line));
                            }
                            Err(e) => app.ping[idx].error = Some(e.to_string()),
                        }
                        let (_tx, rx) = mpsc::channel(1);
                        (rx, Pinger::Sim(tokio::spawn(async {})))
                    }
                    (Some(n), PingFrom::SimLan) => {
                        let peer = idx.min(1);
                        let t = if peer == 1 {
                            "192.168.1.100".to_string()
                        } else {
                            target.clone()
                        };
                        app.ping[idx].target = t.clone();
                        let (rx, task) = sim_ping(n.clone(), peer, t, 10);
                        (rx, Pinger::Sim(task))
                    }
                    _ => {
                        let (rx, h) = spawn_system_ping(&target, Some(10), Duration::from_secs(1));
                        (rx, Pinger::System(h))
                    }
                };
                let tx = ping_tx.clone();
                tokio::spawn(async move {
                    while let Some(ev) = rx.recv().await {
                        if tx.send((idx, gen, ev)).await.is_err() {
                            return;
                        }
                    }
                });
                pinger = Some((idx, gen, p));
            }
            dirty = true;
        }
        if let Some(name) = app.switch_to.take() {
            if let (Source::Demo(_), Ok(s)) = (&source, name.parse::<Scenario>()) {
                // Debug stays as the user had it across the switch.
                let debug_was_on: Vec<bool> = app
                    .routers
                    .iter()
                    .map(|r| r.status.as_ref().is_some_and(|s| s.debug_on))
                    .collect();
                for tx in &routers.requests {
                    let _ = tx.send(Request::Quit).await;
                }
                if let Some((_, _, mut p)) = pinger.take() {
                    p.stop();
                }
                source = Source::Demo(s);
                let (r, labels) = start(&source, &mut net, &ev_tx);
                routers = r;
                let keymap = app.keymap.clone();
                let scenarios = std::mem::take(&mut app.scenarios);
                app = App::new(
                    labels
                        .iter()
                        .map(|l| RouterView::new(l.clone(), opts.scrollback))
                        .collect(),
                    keymap,
                );
                app.scenario = Some(s.name().to_string());
                app.scenarios = scenarios;
                app.ping_from = PingFrom::SimLan;
                config_asked = vec![false; app.routers.len()];
                policies_set = vec![None; app.routers.len()];
                for (tx, on) in routers.requests.iter().zip(debug_was_on) {
                    if on {
                        let _ = tx.send(Request::Debug(true)).await;
                    }
                }
                dirty = true;
            }
        }
        if app.quit {
            if let Some((_, _, mut p)) = pinger.take() {
                p.stop();
            }
            // Each session turns off the debug it turned on before it ends.
            for tx in &routers.requests {
                let _ = tx.send(Request::Quit).await;
            }
            let deadline = Instant::now() + QUIT_WAIT;
            // A replay has no session to wait for: it quits at once.
            let mut ended = vec![app.replaying; routers.requests.len()];
            // When each router last sent anything: one silent for `QUIT_SILENCE` has stopped
            // answering, and is not waited for (one that answers, however slowly, is).
            let mut heard = vec![Instant::now(); routers.requests.len()];
            let waiting = |ended: &[bool], heard: &[Instant]| {
                ended
                    .iter()
                    .zip(heard)
                    .any(|(e, h)| !e && h.elapsed() < QUIT_SILENCE)
            };
            while waiting(&ended, &heard) && Instant::now() < deadline {
                match tokio::time::timeout(Duration::from_millis(100), events.recv()).await {
                    Ok(Some((i, Event::Ended))) => {
                        if let Some(e) = ended.get_mut(i) {
                            *e = true;
                        }
                    }
                    // What goes over the line on the way out (debug off, logoff) is captured
                    // as everything before it was.
                    Ok(Some((i, e))) => {
                        if let (Event::Bytes(_), Some(h)) = (&e, heard.get_mut(i)) {
                            *h = Instant::now();
                        }
                        record(&mut writers, i, &e);
                    }
                    Ok(None) => break,
                    Err(_) => {}
                }
            }
            // A closed terminal comes with a SIGHUP that may land just after the key reader
            // saw the end: give it a moment, so the exit status tells what happened.
            let grace = if terminal_gone {
                Duration::from_millis(200)
            } else {
                Duration::ZERO
            };
            if signal.is_none() {
                tokio::select! {
                    biased;
                    n = stops.recv() => signal = Some(n),
                    _ = tokio::time::sleep(grace) => {}
                }
            }
            // A terminal that went away without a signal was hung up all the same (a window
            // closed where the shell got the SIGHUP): say so by the status, as no message
            // can be shown.
            let ending = match (signal, terminal_gone) {
                (Some(n), _) => Ending::Signal(n),
                (None, true) => Ending::Signal(libc::SIGHUP),
                (None, false) => Ending::Quit,
            };
            return Ok((ending, terminal_gone));
        }
    }
}
