//! The screen's event loop: terminal set-up and restore (also on panic and on SIGTERM/SIGHUP),
//! keys from a reader thread, session events from the routers, pings, and redraws only when
//! something changed (at most 30 a second, and once a second for the clocks when idle).

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
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

type Term = ratatui::Terminal<ratatui::backend::CrosstermBackend<Stdout>>;

/// What the screen is opened on.
pub enum Source {
    /// A live router.
    Live(Box<SessionConfig>),
    /// The two simulated peers, in process.
    Demo(Scenario),
}

pub struct Options {
    pub keymap: Keymap,
    pub scrollback: usize,
    pub ping_target: Option<String>,
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

/// Run the screen until the user quits.
pub async fn run(source: Source, opts: Options) -> anyhow::Result<()> {
    let mut term = setup()?;
    let result = event_loop(&mut term, source, opts).await;
    restore();
    result
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

async fn event_loop(term: &mut Term, source: Source, opts: Options) -> anyhow::Result<()> {
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
    let mut config_asked = vec![false; app.routers.len()];
    let mut policies_set: Vec<Option<String>> = vec![None; app.routers.len()];
    let (ping_tx, mut pings) = mpsc::channel::<(usize, u64, PingEvent)>(256);
    let mut pinger: Option<(usize, u64, Pinger)> = None;
    let mut ping_gen = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    let mut dirty = true;
    let mut term_sig = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hup_sig = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    loop {
        if dirty && last_draw.elapsed() >= Duration::from_millis(33) {
            term.draw(|f| ui::draw(f, &app))?;
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
                    None => app.quit = true,
                }
                dirty = true;
            }
            Some((i, e)) = events.recv() => {
                let login = matches!(&e, Event::Status(s) if s.login == LoginState::LoggedIn);
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
            _ = term_sig.recv() => app.quit = true,
            _ = hup_sig.recv() => app.quit = true,
        }
        for (i, r) in app.outbox.drain(..) {
            if let Some(tx) = routers.requests.get(i) {
                let _ = tx.send(r).await;
            }
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
            let deadline = Instant::now() + Duration::from_secs(5);
            let mut ended = vec![false; routers.requests.len()];
            while ended.iter().any(|e| !e) && Instant::now() < deadline {
                match tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
                    Ok(Some((i, Event::Ended))) => {
                        if let Some(e) = ended.get_mut(i) {
                            *e = true;
                        }
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(_) => {}
                }
            }
            return Ok(());
        }
    }
}
