//! The session driver against the simulated router, with faults put on the line between them:
//! the pager, debug bursts and re-authentication in the middle of tables, a cut link, a
//! rebooted router, garbage as at a wrong baud rate, a wrong password.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc;
use tunnelscope::alliedware::commands::Display;
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::prompt::{Privilege, PromptMatcher};
use tunnelscope::analyze::{Options, State};
use tunnelscope::console::session::{self, Event, LoginState, PollConfig, Request, SessionConfig};
use tunnelscope::console::transcript::Item;
use tunnelscope::link::{Link, LinkError, LinkOptions, Secret, Target};
use tunnelscope::sim::serve::{serve, SharedNet};
use tunnelscope::sim::{ConsoleConfig, Scenario, Start};

fn config(password: &str, poll_secs: u64) -> SessionConfig {
    let every = Duration::from_secs(poll_secs);
    SessionConfig {
        target: Target::Sim {
            scenario: "healthy".into(),
            peer: 1,
        },
        link: LinkOptions::default(),
        user: Some("secoff".into()),
        password: Some(Secret::new(password)),
        prompt: PromptMatcher::default(),
        poll: PollConfig {
            isakmp_sa: every,
            exchanges: every,
            ipsec_sa: every,
            counters: every,
            policies: vec!["wiz_Peer1 to Peer2".into()],
            share: 0.3,
            enabled: poll_secs > 0,
        },
        reconnect: true,
    }
}

/// A console of `net` on an in-memory cable, with `wrap` put on the router-to-us direction.
fn sim_link(
    net: &SharedNet,
    cfg: ConsoleConfig,
    rate: Option<u32>,
    wrap: impl FnOnce(Box<dyn AsyncRead + Send + Unpin>) -> Box<dyn AsyncRead + Send + Unpin>,
) -> Link {
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    let console = net.console(0, Start::Login, cfg);
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

/// Collects everything a session sends, applying blocks to a State as a screen would.
struct Run {
    req: mpsc::Sender<Request>,
    ev: mpsc::Receiver<Event>,
    state: State,
    blocks: Vec<(String, usize, bool)>,
    marks: Vec<String>,
    errors: Vec<String>,
    statuses: Vec<session::Status>,
    passwords: usize,
    pagers: usize,
    unsolicited: Vec<String>,
    measures: Vec<(String, usize, f64)>,
    ended: bool,
}

impl Run {
    fn start<F, Fut>(cfg: SessionConfig, open: F) -> Run
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Link, LinkError>> + Send + 'static,
    {
        let (req, rx) = mpsc::channel(64);
        let (tx, ev) = mpsc::channel(4096);
        tokio::spawn(session::run_with(cfg, rx, tx, open));
        Run {
            req,
            ev,
            state: State::default(),
            blocks: Vec::new(),
            marks: Vec::new(),
            errors: Vec::new(),
            statuses: Vec::new(),
            passwords: 0,
            pagers: 0,
            unsolicited: Vec::new(),
            measures: Vec::new(),
            ended: false,
        }
    }

    fn last_status(&self) -> Option<&session::Status> {
        self.statuses.last()
    }

    /// Take events until `done` holds or `limit` passes; false on time-out.
    async fn until(&mut self, limit: Duration, mut done: impl FnMut(&Run) -> bool) -> bool {
        let end = Instant::now() + limit;
        while !done(self) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() || self.ended {
                return done(self);
            }
            match tokio::time::timeout(left, self.ev.recv()).await {
                Ok(Some(e)) => self.take(e),
                Ok(None) => {
                    self.ended = true;
                }
                Err(_) => return done(self),
            }
        }
        true
    }

    fn take(&mut self, e: Event) {
        match e {
            Event::Status(s) => self.statuses.push(s),
            Event::Item(item, _) => {
                match &item {
                    Item::Block(b) => self.blocks.push((
                        b.command.canonical.clone(),
                        b.lines.len(),
                        b.command.display != Display::Other,
                    )),
                    Item::Password(_) => self.passwords += 1,
                    Item::Pager => self.pagers += 1,
                    Item::Unsolicited(l, _) => self.unsolicited.push(l.text.clone()),
                    _ => {}
                }
                self.state
                    .apply(item, Classifier::builtin(), Options::default(), None);
            }
            Event::Mark(m) => self.marks.push(m),
            Event::Error(e) => self.errors.push(e),
            Event::Measure {
                command,
                bytes,
                secs,
            } => self.measures.push((command, bytes, secs)),
            Event::Bytes(_) | Event::Sent { .. } | Event::Clock(_) => {}
            Event::Ended => self.ended = true,
        }
    }

    fn count(&self, command: &str) -> usize {
        self.blocks.iter().filter(|b| b.0 == command).count()
    }
}

fn opener(
    net: SharedNet,
    cfg: ConsoleConfig,
) -> impl FnMut() -> std::future::Ready<Result<Link, LinkError>> + Send + 'static {
    move || std::future::ready(Ok(sim_link(&net, cfg.clone(), None, |r| r)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_in_polls_and_answers_the_pager() {
    let net = SharedNet::new(Scenario::Healthy);
    let ccfg = ConsoleConfig {
        page_lines: 4,
        ..Default::default()
    };
    let mut run = Run::start(config("secoff", 1), opener(net, ccfg));
    let ok = run
        .until(Duration::from_secs(15), |r| {
            r.count("show ipsec sa") >= 2
                && r.count("show ipsec policy=\"wiz_Peer1 to Peer2\" counters") >= 1
        })
        .await;
    assert!(ok, "blocks: {:?} errors: {:?}", run.blocks, run.errors);
    let s = run.last_status().unwrap();
    assert_eq!(s.login, LoginState::LoggedIn);
    assert_eq!(s.privilege, Some(Privilege::SecurityOfficer));
    assert_eq!(s.system_name.as_deref(), Some("Peer1"));
    assert!(run.pagers > 0, "the pager was answered");
    let snap = &run.state.snapshot;
    assert_eq!(snap.ike_sas.len(), 1);
    assert!(snap.ike_sas[0].established);
    assert_eq!(snap.ipsec_sas.len(), 1);
    assert_eq!(snap.ipsec_sas[0].out_spi, Some(1_612_248_718));
    assert!(snap
        .counters
        .iter()
        .any(|c| c.name == "outProcessDone" && c.value >= 120));
    assert!(snap.raw.is_empty(), "nothing misunderstood: {:?}", snap.raw);
    assert!(
        run.unsolicited.iter().all(|l| !l.contains("More")),
        "{:?}",
        run.unsolicited
    );
    let _ = run.req.send(Request::Quit).await;
    assert!(run.until(Duration::from_secs(5), |r| r.ended).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reauthentication_in_the_middle_of_polls() {
    let net = SharedNet::new(Scenario::Healthy);
    let ccfg = ConsoleConfig {
        // Shorter than the spacing of polls, so nearly every poll asks for the password.
        securedelay: Duration::from_millis(300),
        ..Default::default()
    };
    let mut run = Run::start(config("secoff", 2), opener(net, ccfg));
    let ok = run
        .until(Duration::from_secs(20), |r| {
            r.passwords >= 3 && r.count("show ipsec sa") >= 3
        })
        .await;
    assert!(ok, "passwords {} blocks {:?}", run.passwords, run.blocks);
    // Every table still parsed whole, under its own command.
    assert_eq!(run.state.snapshot.ipsec_sas.len(), 1);
    assert_eq!(run.state.snapshot.ike_sas.len(), 1);
    assert!(
        run.state.snapshot.raw.is_empty(),
        "{:?}",
        run.state.snapshot.raw
    );
    assert!(run.errors.is_empty(), "{:?}", run.errors);
}

/// Puts `text` into the stream after the first line containing `after` (once per link).
struct Inject {
    inner: Box<dyn AsyncRead + Send + Unpin>,
    after: &'static str,
    text: Vec<u8>,
    /// End the stream here instead of injecting.
    cut: bool,
    seen: Vec<u8>,
    pending: Vec<u8>,
    done: bool,
}

impl AsyncRead for Inject {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let me = &mut *self;
        if !me.pending.is_empty() {
            let n = me.pending.len().min(buf.remaining());
            buf.put_slice(&me.pending[..n]);
            me.pending.drain(..n);
            return Poll::Ready(Ok(()));
        }
        if me.done && me.cut {
            return Poll::Ready(Ok(())); // EOF: the cable was pulled
        }
        let mut tmp = [0u8; 512];
        let mut rb = ReadBuf::new(&mut tmp);
        match Pin::new(&mut me.inner).poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => {
                let got = rb.filled().to_vec();
                if me.done {
                    me.pending = got;
                } else {
                    me.seen.extend_from_slice(&got);
                    let hay = String::from_utf8_lossy(&me.seen).into_owned();
                    if let Some(i) = hay.find(me.after) {
                        if let Some(nl) = hay[i..].find('\n') {
                            // Split what arrived at the end of that line.
                            let cut_at = i + nl + 1 - (me.seen.len() - got.len()).min(i + nl + 1);
                            let cut_at = cut_at.min(got.len());
                            me.done = true;
                            me.pending = got[..cut_at].to_vec();
                            if !me.cut {
                                me.pending.extend_from_slice(&me.text);
                                me.pending.extend_from_slice(&got[cut_at..]);
                            }
                        } else {
                            me.pending = got;
                        }
                    } else {
                        me.pending = got;
                    }
                    if me.seen.len() > 1 << 16 {
                        me.seen.drain(..me.seen.len() - 4096);
                    }
                }
                let n = me.pending.len().min(buf.remaining());
                buf.put_slice(&me.pending[..n]);
                me.pending.drain(..n);
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

fn injecting(
    net: SharedNet,
    after: &'static str,
    text: &'static str,
    cut: bool,
    first_only: bool,
) -> impl FnMut() -> std::future::Ready<Result<Link, LinkError>> + Send + 'static {
    let calls = Arc::new(AtomicUsize::new(0));
    move || {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let active = !first_only || n == 0;
        std::future::ready(Ok(sim_link(&net, ConsoleConfig::default(), None, |r| {
            if !active {
                return r;
            }
            Box::new(Inject {
                inner: r,
                after,
                text: text.as_bytes().to_vec(),
                cut,
                seen: Vec::new(),
                pending: Vec::new(),
                done: false,
            })
        })))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_burst_in_the_middle_of_a_table() {
    let net = SharedNet::new(Scenario::Healthy);
    let burst = "ISAKMP: Exchange 901: phase 1 main mode retransmitting MM1 to 200.200.200.9\r\n\
                 ISAKMP: Exchange 901: received notify NO-PROPOSAL-CHOSEN (14) from 200.200.200.9\r\n";
    let mut run = Run::start(
        config("secoff", 1),
        injecting(net, "OutSPI", burst, false, true),
    );
    assert!(
        run.until(Duration::from_secs(15), |r| r.count("show ipsec sa") >= 1
            && r.unsolicited.len() >= 2)
            .await
    );
    assert_eq!(
        run.state.snapshot.ipsec_sas.len(),
        1,
        "the table parsed whole"
    );
    assert!(
        run.unsolicited.iter().any(|l| l.contains("Exchange 901")),
        "{:?}",
        run.unsolicited
    );
    assert!(run.state.debug.failures >= 1);
    assert!(
        run.state.snapshot.raw.is_empty(),
        "{:?}",
        run.state.snapshot.raw
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_cut_in_the_middle_of_a_table_reconnects() {
    let net = SharedNet::new(Scenario::Healthy);
    let mut run = Run::start(
        config("secoff", 1),
        injecting(net, "OutSPI", "", true, true),
    );
    let ok = run
        .until(Duration::from_secs(20), |r| {
            r.marks.iter().any(|m| m.contains("link back")) && r.count("show ipsec sa") >= 1
        })
        .await;
    assert!(ok, "marks {:?} blocks {:?}", run.marks, run.blocks);
    assert!(
        run.marks.iter().any(|m| m.contains("cut off by the drop")),
        "{:?}",
        run.marks
    );
    assert!(
        run.marks.iter().any(|m| m.contains("link lost at")),
        "{:?}",
        run.marks
    );
    // The table came whole from the next poll, never half.
    assert_eq!(run.state.snapshot.ipsec_sas.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_reboot_logs_in_again_and_restores_debug() {
    let net = SharedNet::new(Scenario::Healthy);
    let mut run = Run::start(
        config("secoff", 3),
        opener(net.clone(), ConsoleConfig::default()),
    );
    assert!(
        run.until(Duration::from_secs(10), |r| r
            .last_status()
            .is_some_and(|s| s.login == LoginState::LoggedIn))
            .await
    );
    run.req.send(Request::Debug(true)).await.unwrap();
    assert!(
        run.until(Duration::from_secs(10), |r| r
            .last_status()
            .is_some_and(|s| s.debug_on))
            .await
    );
    run.req
        .send(Request::Command("restart reboot".into()))
        .await
        .unwrap();
    let ok = run
        .until(Duration::from_secs(20), |r| {
            r.marks.iter().any(|m| m.contains("login again"))
                && r.last_status()
                    .is_some_and(|s| s.login == LoginState::LoggedIn && s.debug_on)
        })
        .await;
    assert!(ok, "marks {:?} last {:?}", run.marks, run.last_status());
    let n2 = net.clone();
    let restored = run
        .until(Duration::from_secs(10), move |_| {
            n2.net.lock().unwrap().peers[0].debug_listeners == 1
        })
        .await;
    assert!(restored, "debug is on again on the router");
    // Quit turns off the debug this session turned on.
    run.req.send(Request::Quit).await.unwrap();
    assert!(run.until(Duration::from_secs(10), |r| r.ended).await);
    assert_eq!(
        net.net.lock().unwrap().peers[0].debug_listeners,
        0,
        "marks {:?} errors {:?} blocks {:?}",
        run.marks,
        run.errors,
        &run.blocks[run.blocks.len().saturating_sub(6)..]
    );
}

/// A line that only ever carries noise, as a console at the wrong baud rate shows it.
struct Garbage(u64);

impl AsyncRead for Garbage {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let mut out = [0u8; 64];
        for b in out.iter_mut() {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (self.0 >> 56) as u8;
        }
        buf.put_slice(&out[..buf.remaining().min(64)]);
        // A little at a time, as a slow line delivers it.
        let w = cx.waker().clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            w.wake();
        });
        Poll::Ready(Ok(()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_at_the_wrong_baud_rate_never_logs_in_and_never_panics() {
    let mut cfg = config("secoff", 1);
    cfg.reconnect = false;
    let mut run = Run::start(cfg, || {
        std::future::ready(Ok(Link {
            reader: Box::new(Garbage(7)),
            writer: Box::new(tokio::io::sink()),
            description: "noise".into(),
            bytes_per_sec: Some(960),
            authenticated: false,
        }))
    });
    run.until(Duration::from_secs(3), |_| false).await;
    assert!(run
        .last_status()
        .is_none_or(|s| s.login != LoginState::LoggedIn));
    assert!(
        run.blocks.iter().all(|b| !b.2),
        "no table invented from noise: {:?}",
        run.blocks
    );
    run.req.send(Request::Quit).await.unwrap();
    assert!(
        run.until(Duration::from_secs(5), |r| r.ended).await,
        "quits cleanly"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_a_clear_error() {
    let net = SharedNet::new(Scenario::Healthy);
    let mut run = Run::start(
        config("not-the-password", 1),
        opener(net, ConsoleConfig::default()),
    );
    assert!(run.until(Duration::from_secs(15), |r| r.ended).await);
    assert!(
        run.errors
            .iter()
            .any(|e| e.contains("rejected the password")),
        "{:?}",
        run.errors
    );
    assert!(
        run.errors.iter().all(|e| !e.contains("not-the-password")),
        "never shown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_keeps_to_its_share_of_a_slow_line() {
    // A 9600-baud line: 960 characters a second, paced by the simulator.
    let net = SharedNet::new(Scenario::Healthy);
    let n2 = net.clone();
    let mut run = Run::start(config("secoff", 1), move || {
        std::future::ready(Ok(sim_link(
            &n2,
            ConsoleConfig::default(),
            Some(960),
            |r| r,
        )))
    });
    let started = Instant::now();
    run.until(Duration::from_secs(14), |_| false).await;
    let secs = started.elapsed().as_secs_f64();
    let line_time: f64 = run.measures.iter().map(|m| m.1 as f64 / 960.0).sum();
    assert!(run.measures.len() >= 3, "{:?}", run.measures);
    // Login and the first polls start at once; after that the gate holds polling to 30%.
    assert!(
        line_time / secs <= 0.40,
        "polling used {:.0}% of the line",
        100.0 * line_time / secs
    );
    // A user command still goes ahead at once.
    run.req
        .send(Request::Command("show system".into()))
        .await
        .unwrap();
    let t = Instant::now();
    assert!(
        run.until(Duration::from_secs(10), |r| r.count("show system") == 1)
            .await
    );
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
}
