//! A simulated router and a console session against it: the session's configuration for the
//! simulator's peer 1, the simulator's console served on an in-memory cable or on a real pty,
//! and the session task started with its request and event channels.

use std::future::Future;
use std::time::Duration;
use tokio::io::AsyncRead;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tunnelscope::alliedware::prompt::PromptMatcher;
use tunnelscope::console::session::{self, Event, PollConfig, Request, SessionConfig};
use tunnelscope::link::{Link, LinkError, LinkOptions, Secret, Target};
use tunnelscope::sim::serve::{serve, SharedNet};
use tunnelscope::sim::{ConsoleConfig, Scenario, Start};

use super::pty;

/// The simulator's IPsec policy between its two peers: the one whose counters are polled.
pub const POLICY: &str = "wiz_Peer1 to Peer2";

/// A reader of the router's output, as a link holds it.
pub type BoxRead = Box<dyn AsyncRead + Send + Unpin>;

/// A session for peer 1 of `scenario`, logging in as `user` with `password`, polling at the
/// default pace (the counters of `POLICY` too), reconnecting when the link drops.
pub fn config(scenario: Scenario, user: &str, password: &str) -> SessionConfig {
    SessionConfig {
        target: Target::Sim {
            scenario: scenario.name().into(),
            peer: 1,
        },
        link: LinkOptions::default(),
        user: Some(user.into()),
        password: Some(Secret::new(password)),
        prompt: PromptMatcher::default(),
        poll: PollConfig {
            policies: vec![POLICY.into()],
            ..PollConfig::default()
        },
        reconnect: true,
        dialect: tunnelscope::alliedware::dialect::dialect(),
        rules: tunnelscope::alliedware::debug::Classifier::builtin(),
    }
}

/// Every display polled every `every`; a zero `every` turns polling off.
pub fn poll_every(cfg: &mut SessionConfig, every: Duration) {
    let p = &mut cfg.poll;
    (p.isakmp_sa, p.exchanges, p.ipsec_sa, p.counters) = (every, every, every, every);
    p.enabled = !every.is_zero();
}

/// Peer 1's console of `net`, starting as `start`, served at the far end of an in-memory
/// cable paced at `rate` characters a second (`None`: as fast as the pipe takes them). Our
/// end is the link; `wrap` may put something on the router-to-us direction.
pub fn cable(
    net: &SharedNet,
    start: Start,
    console: ConsoleConfig,
    rate: Option<u32>,
    wrap: impl FnOnce(BoxRead) -> BoxRead,
) -> Link {
    cable_of(net, 0, start, console, rate, wrap)
}

/// `cable` to the console of `net`'s peer `peer` (0: Peer1, 1: Peer2): the far end of a
/// tunnel on its own cable.
pub fn cable_of(
    net: &SharedNet,
    peer: usize,
    start: Start,
    console: ConsoleConfig,
    rate: Option<u32>,
    wrap: impl FnOnce(BoxRead) -> BoxRead,
) -> Link {
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    let console = net.console(peer, start, console);
    let n = net.clone();
    tokio::spawn(async move {
        let (r, w) = tokio::io::split(theirs);
        let _ = serve(console, &n, r, w, rate).await;
    });
    let (r, w) = tokio::io::split(ours);
    Link {
        reader: wrap(Box::new(r)),
        writer: Box::new(w),
        description: "test cable".into(),
        bytes_per_sec: rate,
        authenticated: false,
    }
}

/// A link over `reader` and `writer` as they are: not paced, not authenticated by the link.
pub fn link_over(
    reader: impl AsyncRead + Send + Unpin + 'static,
    writer: impl tokio::io::AsyncWrite + Send + Unpin + 'static,
    description: &str,
) -> Link {
    Link {
        reader: Box::new(reader),
        writer: Box::new(writer),
        description: description.into(),
        bytes_per_sec: None,
        authenticated: false,
    }
}

/// `cable` at its plainest: a console at its login prompt, nothing on the line.
pub fn link(net: &SharedNet, rate: Option<u32>) -> Link {
    cable(net, Start::Login, ConsoleConfig::default(), rate, |r| r)
}

/// `link` to peer `peer` (0: Peer1, 1: Peer2) of `net`.
pub fn link_of(net: &SharedNet, peer: usize, rate: Option<u32>) -> Link {
    cable_of(
        net,
        peer,
        Start::Login,
        ConsoleConfig::default(),
        rate,
        |r| r,
    )
}

/// Peer 1's console of `net`, at its login prompt, served on the master of a fresh pty (at
/// `rate` characters a second): the pty's slave path is the serial device to open. The
/// console is served on `rt` (a runtime of the test's, or the current one when `None`)
/// until the pty is dropped or the task aborted.
pub fn console_on_pty(
    net: &SharedNet,
    rate: Option<u32>,
    rt: Option<&tokio::runtime::Runtime>,
) -> (pty::Pty, JoinHandle<()>) {
    let p = pty::open();
    let (r, w) = pty::master_halves(&p);
    let n = net.clone();
    let serving = async move {
        let console = n.console(0, Start::Login, ConsoleConfig::default());
        let _ = serve(console, &n, r, w, rate).await;
    };
    let task = match rt {
        Some(rt) => rt.spawn(serving),
        None => tokio::spawn(serving),
    };
    (p, task)
}

/// A running session: its request and event channels and its task.
pub struct Session {
    pub req: mpsc::Sender<Request>,
    pub ev: mpsc::Receiver<Event>,
    pub task: JoinHandle<()>,
}

/// Starts a session (on the current runtime) that opens its link with `open` each time it
/// connects.
pub fn start<F, Fut>(cfg: SessionConfig, open: F) -> Session
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<Link, LinkError>> + Send + 'static,
{
    let (req, rx) = mpsc::channel(64);
    let (tx, ev) = mpsc::channel(4096);
    let task = tokio::spawn(session::run_with(cfg, rx, tx, open));
    Session { req, ev, task }
}

/// Starts a session on its configuration's own target (a real link: serial, telnet, SSH).
pub fn start_on_target(cfg: SessionConfig) -> Session {
    let (req, rx) = mpsc::channel(64);
    let (tx, ev) = mpsc::channel(4096);
    let task = tokio::spawn(session::run(cfg, rx, tx));
    Session { req, ev, task }
}

/// Starts a session against peer 1 of `net`: a fresh console at its login prompt on every
/// connect, on an in-memory cable paced at `rate`.
pub fn start_on(net: &SharedNet, cfg: SessionConfig, rate: Option<u32>) -> Session {
    let n = net.clone();
    start(cfg, move || std::future::ready(Ok(link(&n, rate))))
}

/// `start_on` against peer `peer` (0: Peer1, 1: Peer2) of `net`, its session's target
/// naming that peer.
pub fn start_on_peer(
    net: &SharedNet,
    peer: usize,
    mut cfg: SessionConfig,
    rate: Option<u32>,
) -> Session {
    if let Target::Sim { peer: p, .. } = &mut cfg.target {
        *p = u8::try_from(peer + 1).unwrap_or(2);
    }
    let n = net.clone();
    start(cfg, move || std::future::ready(Ok(link_of(&n, peer, rate))))
}

/// `inner` until `at`, then the end of the stream: a cable pulled at that moment.
pub fn cut_at(inner: BoxRead, at: tokio::time::Instant) -> BoxRead {
    Box::new(Cut {
        inner,
        sleep: Box::pin(tokio::time::sleep_until(at)),
    })
}

struct Cut {
    inner: BoxRead,
    sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl AsyncRead for Cut {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.sleep.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(Ok(())); // EOF: the cable was pulled
        }
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}
