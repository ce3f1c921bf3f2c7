//! Putting a simulated console on a real byte stream: stdin/stdout (an sshd `ForceCommand` or
//! a telnetd login program), a tty device, or TCP. Output is paced to the line's rate where
//! the line is slow (serial), so a 9600-baud console behaves like one.

use super::console::{Console, ConsoleConfig, Start};
use super::network::Network;
use super::scenario::Scenario;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How often time advances and output is sent.
const TICK: Duration = Duration::from_millis(25);

/// A network whose clock is the wall clock from `start`.
#[derive(Clone)]
pub struct SharedNet {
    pub net: Arc<Mutex<Network>>,
    pub start: Instant,
    /// How many of the consoles served are logged in (a port left logged in is what the next
    /// person at the cable finds).
    logged_in: Arc<AtomicUsize>,
}

impl SharedNet {
    pub fn new(scenario: Scenario) -> Self {
        SharedNet {
            net: Arc::new(Mutex::new(Network::new(scenario))),
            start: Instant::now(),
            logged_in: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn console(&self, peer: usize, start: Start, cfg: ConsoleConfig) -> Console {
        Console::new(self.net.clone(), peer, start, cfg)
    }

    pub fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// How many served consoles are logged in (not at their login prompt) right now, or were
    /// when their link ended.
    pub fn consoles_logged_in(&self) -> usize {
        self.logged_in.load(Ordering::SeqCst)
    }
}

/// Keeps `SharedNet::consoles_logged_in` true to `console` while it is served; a console
/// logged in when its link ended stays counted (it was left logged in).
fn publish_login(console: &mut Console, count: &AtomicUsize) {
    let now = console.logged_in();
    if now != console.counted_logged_in {
        if now {
            count.fetch_add(1, Ordering::SeqCst);
        } else {
            count.fetch_sub(1, Ordering::SeqCst);
        }
        console.counted_logged_in = now;
    }
}

/// Serve one console until the other end closes (or the console is logged off for good).
/// `bytes_per_sec` paces output (serial); `None` sends as fast as the stream takes it.
pub async fn serve<R, W>(
    mut console: Console,
    net: &SharedNet,
    reader: R,
    writer: W,
    bytes_per_sec: Option<u32>,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    serve_mut(&mut console, net, reader, writer, bytes_per_sec).await
}

/// `serve` for a console that outlives the link: a console port whose cable is pulled and
/// plugged in again is still where it was (logged in, or at its login prompt).
pub async fn serve_mut<R, W>(
    console: &mut Console,
    net: &SharedNet,
    mut reader: R,
    mut writer: W,
    bytes_per_sec: Option<u32>,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = [0u8; 1024];
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut budget: f64 = 0.0;
    let mut last = Instant::now();
    loop {
        publish_login(console, &net.logged_in);
        // Send what the line allows now.
        let max = match bytes_per_sec {
            Some(rate) => {
                let now = Instant::now();
                budget = (budget + now.duration_since(last).as_secs_f64() * f64::from(rate))
                    .min(f64::from(rate) / 10.0);
                last = now;
                budget.floor() as usize
            }
            None => 64 * 1024,
        };
        if max > 0 {
            let out = console.take_output(max);
            if !out.is_empty() {
                budget -= out.len() as f64;
                writer.write_all(&out).await?;
                writer.flush().await?;
            }
        }
        if console.closed() {
            return Ok(());
        }
        tokio::select! {
            r = reader.read(&mut buf) => {
                match r {
                    // The other end went away (EOF, or a pty whose master closed).
                    Ok(0) => return Ok(()),
                    Ok(n) => console.input(&buf[..n], net.now()),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            _ = tick.tick() => console.tick(net.now()),
        }
    }
}

/// Raw mode on a terminal (no echo, no line buffering) while the guard lives, so the
/// simulated router does its own echo and line editing as the real one does.
pub struct RawTerminal {
    fd: i32,
    saved: Option<libc::termios>,
}

impl RawTerminal {
    pub fn enable(fd: i32) -> RawTerminal {
        // SAFETY: tcgetattr/tcsetattr only read and write the termios struct we own; a
        // descriptor that is not a terminal makes tcgetattr fail, and we then change nothing.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::isatty(fd) != 1 || libc::tcgetattr(fd, &mut t) != 0 {
                return RawTerminal { fd, saved: None };
            }
            let saved = t;
            libc::cfmakeraw(&mut t);
            if libc::tcsetattr(fd, libc::TCSANOW, &t) != 0 {
                return RawTerminal { fd, saved: None };
            }
            RawTerminal {
                fd,
                saved: Some(saved),
            }
        }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        if let Some(t) = self.saved {
            // SAFETY: restores the settings read in `enable` on the same descriptor.
            unsafe {
                libc::tcsetattr(self.fd, libc::TCSANOW, &t);
            }
        }
    }
}

/// `tunnelscope sim` on stdin/stdout.
pub async fn serve_stdio(
    net: SharedNet,
    peer: usize,
    start: Start,
    cfg: ConsoleConfig,
) -> std::io::Result<()> {
    let _raw = RawTerminal::enable(0);
    let console = net.console(peer, start, cfg);
    serve(console, &net, tokio::io::stdin(), tokio::io::stdout(), None).await
}

/// `tunnelscope sim --serial PATH`: a console port on a tty device, at `baud`.
pub async fn serve_serial(
    net: SharedNet,
    peer: usize,
    path: &str,
    baud: u32,
    cfg: ConsoleConfig,
) -> std::io::Result<()> {
    use tokio_serial::SerialPortBuilderExt;
    let port = tokio_serial::new(path, baud)
        .open_native_async()
        .map_err(|e| std::io::Error::other(format!("cannot open {path}: {e}")))?;
    let (r, w) = tokio::io::split(port);
    let console = net.console(peer, Start::Login, cfg);
    // 10 bits per character on the wire (start, 8 data, stop).
    serve(console, &net, r, w, Some(baud / 10)).await
}

/// `tunnelscope sim --telnet ADDR:PORT`: every connection is a console of the same router
/// (same network), starting at the login prompt, with telnet negotiation.
pub async fn serve_telnet(
    net: SharedNet,
    peer: usize,
    addr: &str,
    cfg: ConsoleConfig,
    ready: impl FnOnce(std::net::SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    ready(listener.local_addr()?);
    loop {
        let (tcp, _) = listener.accept().await?;
        let net = net.clone();
        let cfg = cfg.clone();
        tokio::spawn(async move {
            let stream = crate::telnet_codec::TelnetStream::server(tcp);
            let (r, w) = tokio::io::split(stream);
            let console = net.console(peer, Start::Login, cfg);
            // A dropped connection ends only that console.
            let _ = serve(console, &net, r, w, None).await;
        });
    }
}
