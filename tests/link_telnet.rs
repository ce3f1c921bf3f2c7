//! Tests of the telnet link (`src/link/telnet.rs`): the protocol layer over in-memory pipes
//! (escaping, NVT carriage returns, negotiation answers, split and hostile input), and the
//! link against real telnet peers from Debian's packages:
//! - our client against inetutils `telnetd` (package `inetutils-telnetd`), started the way inetd
//!   starts it (the accepted socket as its stdin and stdout) with a small script as its login
//!   program playing the router;
//! - Debian's `telnet` client (package `inetutils-telnet` or `telnet`) against our server role.
//! - `tunnelscope connect telnet://` on a terminal (`script`) against a server that takes one
//!   connection: one connection, the login on it, and its ping started with a clean environment.
//!
//! A missing program fails the test with what to install: these tests never skip.

mod support;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{require, Deadline, Rng};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::net::TcpListener;
use tunnelscope::link::telnet::{
    cmd::*, open_telnet, open_telnet_within, opt, TelnetStream, MAX_SUBNEGOTIATION,
};
use tunnelscope::link::{LinkError, LinkOptions};

const SHORT: Duration = Duration::from_millis(50);
const LONG: Duration = Duration::from_secs(10);

/// The client's opening requests, in the order it queues them.
const CLIENT_HELLO: [u8; 12] = [
    IAC,
    DO,
    opt::SUPPRESS_GO_AHEAD,
    IAC,
    DO,
    opt::ECHO,
    IAC,
    WILL,
    opt::TERMINAL_TYPE,
    IAC,
    WILL,
    opt::NAWS,
];

const SERVER_HELLO: [u8; 9] = [
    IAC,
    WILL,
    opt::ECHO,
    IAC,
    WILL,
    opt::SUPPRESS_GO_AHEAD,
    IAC,
    DO,
    opt::SUPPRESS_GO_AHEAD,
];

/// Bytes weighted towards the ones telnet treats specially.
fn telnet_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    const SPECIAL: [u8; 13] = [
        IAC, IAC, IAC, SB, SE, WILL, WONT, DO, DONT, b'\r', b'\n', 0, 24,
    ];
    (0..len)
        .map(|_| {
            if rng.below(2) == 0 {
                SPECIAL[rng.below(SPECIAL.len())]
            } else {
                rng.next() as u8
            }
        })
        .collect()
}

/// Hands the stream at most one byte per read, so every command is split across reads.
struct Trickle(DuplexStream);

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let mut one = [0u8; 1];
        let mut small = ReadBuf::new(&mut one);
        let r = std::pin::Pin::new(&mut self.0).poll_read(cx, &mut small);
        if r.is_ready() {
            buf.put_slice(small.filled());
        }
        r
    }
}

impl AsyncWrite for Trickle {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// Reads exactly `n` bytes from a raw peer, or fails saying what did arrive.
async fn read_exact_raw(peer: &mut (impl AsyncRead + Unpin), n: usize) -> Vec<u8> {
    let mut got = vec![0u8; n];
    match tokio::time::timeout(LONG, peer.read_exact(&mut got)).await {
        Ok(Ok(_)) => got,
        other => panic!("expected {n} bytes from the stream: {other:?}"),
    }
}

/// Nothing more arrives from a raw peer for a short while.
async fn assert_quiet(peer: &mut (impl AsyncRead + Unpin)) {
    let mut b = [0u8; 64];
    if let Ok(r) = tokio::time::timeout(SHORT, peer.read(&mut b)).await {
        let n = r.expect("read");
        assert_eq!(n, 0, "unexpected bytes: {}", show(&b[..n]));
    }
}

/// Reads from a telnet stream until `want` bytes of data have arrived.
async fn read_data(s: &mut (impl AsyncRead + Unpin), want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let mut b = [0u8; 512];
    while got.len() < want {
        match tokio::time::timeout(LONG, s.read(&mut b)).await {
            Ok(Ok(0)) => panic!("end of stream after {}", show(&got)),
            Ok(Ok(n)) => got.extend_from_slice(&b[..n]),
            other => panic!("after {}: {other:?}", show(&got)),
        }
    }
    got
}

/// Reads until `needle` has arrived; returns everything read. Fails with the transcript.
async fn read_until(s: &mut (impl AsyncRead + Unpin), needle: &str, sofar: &mut Vec<u8>) {
    let end = Deadline::after(LONG);
    let mut b = [0u8; 1024];
    while !String::from_utf8_lossy(sofar).contains(needle) {
        match tokio::time::timeout(end.left(), s.read(&mut b)).await {
            Ok(Ok(0)) => panic!("end of stream waiting for {needle:?}; got {}", show(sofar)),
            Ok(Ok(n)) => sofar.extend_from_slice(&b[..n]),
            Ok(Err(e)) => panic!("error waiting for {needle:?}: {e}; got {}", show(sofar)),
            Err(_) => panic!("timed out waiting for {needle:?}; got {}", show(sofar)),
        }
    }
}

/// A fresh temporary directory for one test (no tempfile crate: pid and a counter), removed
/// when dropped, also when the test fails.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tunnelscope-telnet-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// The protocol layer over in-memory pipes.

#[tokio::test]
async fn client_sends_its_requests_while_only_reading() {
    let (a, mut peer) = tokio::io::duplex(4096);
    let mut client = TelnetStream::client(a);
    // The user of the stream only reads; the requests must still go out.
    let reader = tokio::spawn(async move {
        let mut b = [0u8; 16];
        let n = client.read(&mut b).await.expect("read");
        b[..n].to_vec()
    });
    assert_eq!(read_exact_raw(&mut peer, 12).await, CLIENT_HELLO);
    peer.write_all(b"ok").await.unwrap();
    assert_eq!(reader.await.unwrap(), b"ok");
}

#[tokio::test]
async fn client_answers_a_router_negotiation() {
    let (a, mut peer) = tokio::io::duplex(4096);
    let mut client = TelnetStream::client(a);
    #[rustfmt::skip]
    peer.write_all(&[
        IAC, WILL, opt::ECHO,                // answers our DO: no reply
        IAC, WILL, opt::SUPPRESS_GO_AHEAD,   // answers our DO: no reply
        IAC, DO, opt::TERMINAL_TYPE,         // answers our WILL: no reply
        IAC, DO, opt::NAWS,                  // answers our WILL: we send our size
        IAC, SB, opt::TERMINAL_TYPE, 1, IAC, SE, // SEND: we say VT100
        IAC, DO, opt::LINEMODE,              // refused
        IAC, WILL, opt::BINARY,              // refused
        IAC, DO, opt::SUPPRESS_GO_AHEAD,     // accepted: we never send GA anyway
        IAC, NOP, IAC, GA,                   // dropped
        b'h', b'i',
    ])
    .await
    .unwrap();
    assert_eq!(read_data(&mut client, 2).await, b"hi");
    let mut expect = CLIENT_HELLO.to_vec();
    #[rustfmt::skip]
    expect.extend_from_slice(&[
        IAC, SB, opt::NAWS, 0, 80, 0, 24, IAC, SE,
        IAC, SB, opt::TERMINAL_TYPE, 0, b'V', b'T', b'1', b'0', b'0', IAC, SE,
        IAC, WONT, opt::LINEMODE,
        IAC, DONT, opt::BINARY,
        IAC, WILL, opt::SUPPRESS_GO_AHEAD,
    ]);
    assert_eq!(
        show(&read_exact_raw(&mut peer, expect.len()).await),
        show(&expect)
    );
    assert_quiet(&mut peer).await;
    assert!(client.remote_enabled(opt::ECHO));
    assert!(client.remote_enabled(opt::SUPPRESS_GO_AHEAD));
    assert!(client.local_enabled(opt::NAWS));
    assert!(client.local_enabled(opt::TERMINAL_TYPE));
    assert!(!client.local_enabled(opt::LINEMODE));
    assert!(!client.remote_enabled(opt::BINARY));
}

#[tokio::test]
async fn never_answers_twice_in_the_same_state() {
    let (a, mut peer) = tokio::io::duplex(4096);
    let mut client = TelnetStream::client(a);
    #[rustfmt::skip]
    peer.write_all(&[
        IAC, WILL, opt::ECHO,   // our request granted: silence
        IAC, WILL, opt::ECHO,   // already on: silence
        IAC, WONT, opt::ECHO,   // turned off: acknowledged once with DONT
        IAC, WONT, opt::ECHO,   // already off: silence
        IAC, WONT, opt::SUPPRESS_GO_AHEAD, // our request refused: silence
        IAC, DONT, opt::NAWS,   // our offer refused: silence
        IAC, DO, opt::NAWS,     // asked again from off: agreed, with the size
        IAC, DO, opt::NAWS,     // already on: silence
        IAC, WILL, opt::ECHO,   // offered again from off: agreed
        b'.',
    ])
    .await
    .unwrap();
    assert_eq!(read_data(&mut client, 1).await, b".");
    let mut expect = CLIENT_HELLO.to_vec();
    #[rustfmt::skip]
    expect.extend_from_slice(&[
        IAC, DONT, opt::ECHO,
        IAC, WILL, opt::NAWS, IAC, SB, opt::NAWS, 0, 80, 0, 24, IAC, SE,
        IAC, DO, opt::ECHO,
    ]);
    assert_eq!(
        show(&read_exact_raw(&mut peer, expect.len()).await),
        show(&expect)
    );
    assert_quiet(&mut peer).await;
}

#[tokio::test]
async fn server_negotiates_like_a_console_server() {
    let (a, mut peer) = tokio::io::duplex(4096);
    let mut server = TelnetStream::server(a);
    #[rustfmt::skip]
    peer.write_all(&[
        IAC, DO, opt::ECHO,
        IAC, DO, opt::SUPPRESS_GO_AHEAD,
        IAC, WILL, opt::SUPPRESS_GO_AHEAD,
        IAC, WILL, opt::TERMINAL_TYPE,
        IAC, WILL, opt::NAWS,
        IAC, SB, opt::NAWS, 0, 132, 0, 50, IAC, SE,
        IAC, SB, opt::TERMINAL_TYPE, 0, b'X', b'T', b'E', b'R', b'M', IAC, SE,
        IAC, WILL, opt::LINEMODE,
        IAC, DO, opt::TIMING_MARK,
        b'x',
    ])
    .await
    .unwrap();
    assert_eq!(read_data(&mut server, 1).await, b"x");
    let mut expect = SERVER_HELLO.to_vec();
    #[rustfmt::skip]
    expect.extend_from_slice(&[
        IAC, DO, opt::TERMINAL_TYPE, IAC, SB, opt::TERMINAL_TYPE, 1, IAC, SE,
        IAC, DO, opt::NAWS,
        IAC, DONT, opt::LINEMODE,
        IAC, WONT, opt::TIMING_MARK,
    ]);
    assert_eq!(
        show(&read_exact_raw(&mut peer, expect.len()).await),
        show(&expect)
    );
    assert_eq!(server.window_size(), Some((132, 50)));
    assert_eq!(server.terminal_type(), Some("XTERM"));
    assert!(server.local_enabled(opt::ECHO));
    assert!(server.local_enabled(opt::SUPPRESS_GO_AHEAD));
    assert!(server.remote_enabled(opt::SUPPRESS_GO_AHEAD));
}

#[tokio::test]
async fn iac_is_escaped_both_ways() {
    let (a, mut peer) = tokio::io::duplex(4096);
    let mut client = TelnetStream::client(a);
    client.write_all(&[1, 0xFF, 2, 0xFF, 0xFF]).await.unwrap();
    client.flush().await.unwrap();
    let got = read_exact_raw(&mut peer, 12 + 8).await;
    assert_eq!(got[12..], [1, IAC, IAC, 2, IAC, IAC, IAC, IAC]);
    peer.write_all(&[IAC, IAC, b'a', IAC, IAC, IAC, IAC])
        .await
        .unwrap();
    assert_eq!(read_data(&mut client, 4).await, [0xFF, b'a', 0xFF, 0xFF]);
}

#[tokio::test]
async fn carriage_returns_follow_the_nvt_rule() {
    let (a, mut peer) = tokio::io::duplex(4096);
    let mut client = TelnetStream::client(a);
    // Writing: CR LF stays, any other CR is CR NUL, also when the CR ends a write and the
    // next write or a flush decides.
    client.write_all(b"a\r\nb\rc\r").await.unwrap();
    client.write_all(b"\nd\r").await.unwrap();
    client.write_all(b"e\r").await.unwrap();
    client.flush().await.unwrap();
    let want = b"a\r\nb\r\0c\r\nd\r\0e\r\0";
    let got = read_exact_raw(&mut peer, 12 + want.len()).await;
    assert_eq!(show(&got[12..]), show(want));
    // Reading: the NUL after a CR is dropped, CR LF kept, also split across reads.
    peer.write_all(b"x\r\0y\r\nz\r").await.unwrap();
    let first = read_data(&mut client, 7).await;
    peer.write_all(b"\0w\0").await.unwrap();
    let mut all = first;
    all.extend(read_data(&mut client, 2).await);
    assert_eq!(show(&all), show(b"x\ry\r\nz\rw\0"));
}

#[tokio::test]
async fn commands_split_across_reads() {
    let (a, mut peer) = tokio::io::duplex(4096);
    let mut client = TelnetStream::client(Trickle(a));
    #[rustfmt::skip]
    peer.write_all(&[
        b'<', IAC, IAC, IAC, DO, opt::LINEMODE, b'\r', 0, IAC, DO, opt::TERMINAL_TYPE,
        IAC, SB, opt::TERMINAL_TYPE, 1, IAC, SE, IAC, IAC, IAC, WILL, opt::ECHO, b'>',
    ])
    .await
    .unwrap();
    assert_eq!(
        show(&read_data(&mut client, 5).await),
        show(&[b'<', 0xFF, b'\r', 0xFF, b'>'])
    );
    let mut expect = CLIENT_HELLO.to_vec();
    #[rustfmt::skip]
    expect.extend_from_slice(&[
        IAC, WONT, opt::LINEMODE,
        IAC, SB, opt::TERMINAL_TYPE, 0, b'V', b'T', b'1', b'0', b'0', IAC, SE,
    ]);
    assert_eq!(
        show(&read_exact_raw(&mut peer, expect.len()).await),
        show(&expect)
    );
    assert!(client.remote_enabled(opt::ECHO));
}

#[tokio::test]
async fn an_endless_subnegotiation_is_bounded() {
    let (a, mut peer) = tokio::io::duplex(64 * 1024);
    let mut client = TelnetStream::client(a);
    let mut input = vec![IAC, SB, opt::NEW_ENVIRON];
    input.extend(std::iter::repeat_n(b'A', 5000));
    input.extend_from_slice(b"tail");
    peer.write_all(&input).await.unwrap();
    peer.shutdown().await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(LONG, client.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    // The first MAX_SUBNEGOTIATION bytes (the option and the start of the payload) are
    // swallowed; past the bound the stream goes back to data rather than going silent.
    let swallowed = MAX_SUBNEGOTIATION - 1;
    let mut want = vec![b'A'; 5000 - swallowed];
    want.extend_from_slice(b"tail");
    assert_eq!(out.len(), want.len());
    assert_eq!(out, want);
    // A well-formed subnegotiation with an escaped IAC inside is read whole.
    let (a, mut peer) = tokio::io::duplex(4096);
    let mut server = TelnetStream::server(a);
    #[rustfmt::skip]
    peer.write_all(&[
        IAC, WILL, opt::NAWS,
        IAC, SB, opt::NAWS, 1, IAC, IAC, 0, 40, IAC, SE, b'!',
    ])
    .await
    .unwrap();
    assert_eq!(read_data(&mut server, 1).await, b"!");
    assert_eq!(server.window_size(), Some((0x1FF, 40)));
}

/// Random byte strings, whole and one byte per read, into both roles: no panic, output never
/// longer than input, and the stream ends cleanly.
#[tokio::test]
async fn arbitrary_bytes_never_panic() {
    let mut rng = Rng(0x7E1E_7E1E_5EED_0001);
    for round in 0..2000 {
        let len = rng.below(400);
        let input = telnet_bytes(&mut rng, len);
        let trickle = round % 3 == 0;
        let server = round % 2 == 0;
        let (a, mut peer) = tokio::io::duplex(1 << 20);
        let feed = input.clone();
        let writer = tokio::spawn(async move {
            peer.write_all(&feed).await.unwrap();
            peer.shutdown().await.unwrap();
            // Keep our end open (and drain answers) until the stream has read everything.
            let mut sink = Vec::new();
            let _ = peer.read_to_end(&mut sink).await;
        });
        let mut out = Vec::new();
        let read = async {
            match (trickle, server) {
                (true, true) => TelnetStream::server(Trickle(a)).read_to_end(&mut out).await,
                (true, false) => TelnetStream::client(Trickle(a)).read_to_end(&mut out).await,
                (false, true) => TelnetStream::server(a).read_to_end(&mut out).await,
                (false, false) => TelnetStream::client(a).read_to_end(&mut out).await,
            }
        };
        tokio::time::timeout(LONG, read)
            .await
            .unwrap_or_else(|_| panic!("round {round} hung on {}", show(&input)))
            .unwrap_or_else(|e| panic!("round {round}: {e} on {}", show(&input)));
        assert!(out.len() <= input.len(), "round {round}");
        writer.await.unwrap();
    }
}

/// Any data written by one role is read back exactly by the other, in both directions.
#[tokio::test]
async fn data_round_trips_between_client_and_server() {
    let mut rng = Rng(42);
    let (a, b) = tokio::io::duplex(1 << 16);
    let (mut cr, mut cw) = tokio::io::split(TelnetStream::client(a));
    let (mut sr, mut sw) = tokio::io::split(TelnetStream::server(b));
    for _ in 0..200 {
        let len = 1 + rng.below(300);
        let to_server = telnet_bytes(&mut rng, len);
        let to_client = telnet_bytes(&mut rng, len);
        cw.write_all(&to_server).await.unwrap();
        cw.flush().await.unwrap();
        sw.write_all(&to_client).await.unwrap();
        sw.flush().await.unwrap();
        // The stream may hold back nothing but a CR's NUL, which flush settled.
        assert_eq!(show(&read_data(&mut sr, len).await), show(&to_server));
        assert_eq!(show(&read_data(&mut cr, len).await), show(&to_client));
    }
}

// ---------------------------------------------------------------------------------------------
// open_telnet.

#[tokio::test]
async fn refused_connection_is_a_clear_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    match open_telnet("127.0.0.1", port, &LinkOptions::default()).await {
        Err(LinkError::Connect { addr, reason }) => {
            assert_eq!(addr, format!("127.0.0.1:{port}"));
            assert!(reason.contains("refused"), "{reason}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("connected to a closed port"),
    }
}

#[tokio::test]
async fn unanswered_connection_times_out() {
    // A listener that never accepts, with its accept queue filled: Linux then drops further
    // SYNs, so a connect gets no answer at all, like a router behind a silent firewall.
    // (A "blackhole" address is no good here: sandboxes may answer for any address.)
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    let mut full = false;
    for _ in 0..16 {
        match tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(s)) => held.push(s),
            Ok(Err(e)) => panic!("filling the accept queue: {e}"),
            Err(_) => {
                full = true;
                break;
            }
        }
    }
    assert!(full, "the accept queue never filled");
    let start = Instant::now();
    let r = open_telnet_within(
        "127.0.0.1",
        addr.port(),
        &LinkOptions::default(),
        Duration::from_millis(300),
    )
    .await;
    match r {
        Err(e @ LinkError::Connect { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains(&format!("127.0.0.1:{}", addr.port())),
                "{text}"
            );
            assert!(text.contains("no answer within 0.3 s"), "{text}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("connected to a full accept queue"),
    }
    assert!(start.elapsed() < Duration::from_secs(3));
    drop(listener);
}

#[tokio::test]
async fn link_to_our_own_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let console = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let mut s = TelnetStream::server(sock);
        s.write_all(b"Peer1 login: ").await.unwrap();
        s.flush().await.unwrap();
        let mut got = Vec::new();
        read_until(&mut s, "\r", &mut got).await;
        s.write_all(b"\r\nbye\r\n").await.unwrap();
        s.shutdown().await.unwrap();
        (
            got,
            s.window_size(),
            s.remote_enabled(opt::SUPPRESS_GO_AHEAD),
        )
    });
    let mut link = open_telnet("127.0.0.1", port, &LinkOptions::default())
        .await
        .unwrap();
    assert_eq!(link.description, format!("telnet 127.0.0.1:{port}"));
    assert_eq!(link.bytes_per_sec, None);
    assert!(!link.authenticated);
    let mut seen = Vec::new();
    read_until(&mut link.reader, "login: ", &mut seen).await;
    link.writer.write_all(b"manager\r").await.unwrap();
    link.writer.flush().await.unwrap();
    read_until(&mut link.reader, "bye\r\n", &mut seen).await;
    assert_eq!(show(&seen), show(b"Peer1 login: \r\nbye\r\n"));
    let (typed, _, sga) = console.await.unwrap();
    // The NUL after the CR may or may not have been read yet when the console answered.
    assert!(typed.starts_with(b"manager\r"), "{}", show(&typed));
    assert!(sga);
}

// ---------------------------------------------------------------------------------------------
// Real peers.

/// The router's part, as telnetd's login program: a login, a password (not echoed, as a
/// router does; echo goes off before the prompt so a fast typist cannot beat it), the prompt, and a line echo. The size and terminal type come from our
/// NAWS and TERMINAL-TYPE answers through telnetd to the pty.
const ROUTER_SCRIPT: &str = r#"#!/bin/sh
printf 'Peer1 login: '
read user
stty -echo
printf 'Password: '
read pass
stty echo
printf '\nuser=%s pass=%s term=%s size=%s\n' "$user" "$pass" "$TERM" "$(stty size)"
while printf 'Manager Peer1> ' && read line; do
  [ "$line" = quit ] && exit 0
  printf 'you said: %s\n' "$line"
done
"#;

/// Types a line the way the session does: the command and a bare CR (sent as CR NUL).
async fn type_line(link: &mut tunnelscope::link::Link, line: &str) {
    link.writer.write_all(line.as_bytes()).await.unwrap();
    link.writer.write_all(b"\r").await.unwrap();
    link.writer.flush().await.unwrap();
}

/// Our client against inetutils telnetd running a script that plays the router.
#[tokio::test]
async fn client_against_inetutils_telnetd() {
    let dir = TempDir::new("telnetd");
    let script = dir.0.join("router.sh");
    {
        let mut f = std::fs::File::create(&script).unwrap();
        f.write_all(ROUTER_SCRIPT.as_bytes()).unwrap();
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (port, inetd) = support::telnetd::once(script.to_string_lossy().into_owned()).await;
    let mut link = open_telnet("127.0.0.1", port, &LinkOptions::default())
        .await
        .unwrap();
    let mut child = inetd.await.unwrap();

    let mut seen = Vec::new();
    read_until(&mut link.reader, "Peer1 login: ", &mut seen).await;
    link.writer.write_all(b"manager\r").await.unwrap();
    link.writer.flush().await.unwrap();
    read_until(&mut link.reader, "Password: ", &mut seen).await;
    link.writer.write_all(b"friend\r").await.unwrap();
    link.writer.flush().await.unwrap();
    read_until(&mut link.reader, "Manager Peer1> ", &mut seen).await;
    // One command ended by CR LF, the next by a bare CR (sent as CR NUL): each must end
    // exactly one line at the router.
    link.writer.write_all(b"show ipsec sa\r\n").await.unwrap();
    link.writer.flush().await.unwrap();
    read_until(&mut link.reader, "you said: show ipsec sa", &mut seen).await;
    read_until(&mut link.reader, "Manager Peer1> ", &mut seen).await;
    link.writer.write_all(b"show isakmp sa\r").await.unwrap();
    link.writer.flush().await.unwrap();
    read_until(&mut link.reader, "you said: show isakmp sa", &mut seen).await;
    read_until(&mut link.reader, "Manager Peer1> ", &mut seen).await;
    link.writer.write_all(b"quit\r").await.unwrap();
    link.writer.flush().await.unwrap();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(LONG, link.reader.read_to_end(&mut rest)).await;
    seen.extend_from_slice(&rest);

    let text = String::from_utf8_lossy(&seen).into_owned();
    assert!(!seen.contains(&0xFF), "IAC leaked: {}", show(&seen));
    assert!(!seen.contains(&0), "NUL leaked: {}", show(&seen));
    // The pty echoed the login name but not the password.
    assert!(text.contains("Peer1 login: manager\r\n"), "{text:?}");
    assert!(!text.contains("Password: friend"), "{text:?}");
    assert!(text.contains("user=manager pass=friend"), "{text:?}");
    // Our TERMINAL-TYPE and NAWS answers reached the login program's pty.
    assert!(text.to_ascii_lowercase().contains("term=vt100"), "{text:?}");
    assert!(text.contains("size=24 80"), "{text:?}");
    // CR LF and bare CR both ended exactly one line.
    assert!(
        text.contains("Manager Peer1> show ipsec sa\r\nyou said: show ipsec sa\r\n"),
        "{text:?}"
    );
    assert!(
        text.contains("Manager Peer1> show isakmp sa\r\nyou said: show isakmp sa\r\n"),
        "{text:?}"
    );
    assert_eq!(text.matches("you said:").count(), 2, "{text:?}");
    let status = tokio::time::timeout(LONG, child.wait()).await;
    assert!(
        status.is_ok(),
        "telnetd did not end with the session: {text:?}"
    );
}

/// The path the issue names: our client, through inetutils telnetd, to the simulator running
/// as telnetd's login program (`tunnelscope sim ... --login` on the pty).
#[tokio::test]
async fn client_through_telnetd_to_the_simulator() {
    let sim = format!(
        "{} sim --scenario healthy --peer 1 --login",
        env!("CARGO_BIN_EXE_tunnelscope")
    );
    let (port, inetd) = support::telnetd::once(sim).await;
    let mut link = open_telnet("127.0.0.1", port, &LinkOptions::default())
        .await
        .unwrap();
    let _child = inetd.await.unwrap();
    let mut seen = Vec::new();
    read_until(&mut link.reader, "Peer1 login: ", &mut seen).await;
    type_line(&mut link, "manager").await;
    read_until(&mut link.reader, "Password: ", &mut seen).await;
    type_line(&mut link, "friend").await;
    read_until(&mut link.reader, "Manager Peer1> ", &mut seen).await;
    type_line(&mut link, "show system").await;
    read_until(&mut link.reader, "System Name", &mut seen).await;
    read_until(&mut link.reader, "Manager Peer1> ", &mut seen).await;
    assert!(!seen.contains(&0xFF), "IAC leaked: {}", show(&seen));
    assert!(!seen.contains(&0), "NUL leaked: {}", show(&seen));
    let text = String::from_utf8_lossy(&seen);
    assert!(text.contains("Peer1"), "{text:?}");
    assert!(
        !text.contains("friend"),
        "the password was echoed: {text:?}"
    );
}

/// Debian's telnet client program, or a failure saying what to install.
fn debian_telnet() -> PathBuf {
    require(
        &[
            "/usr/bin/telnet",
            "/usr/bin/inetutils-telnet",
            "/usr/bin/telnet.netkit",
        ],
        "inetutils-telnet",
    )
}

/// A tiny console on our server role: a login prompt, then a prompt that says what was typed.
/// Echoes what it reads, as a console does (it said WILL ECHO). Returns every byte the
/// console read, and whether the client agreed to SUPPRESS-GO-AHEAD and to our echo.
async fn serve_tiny_console(listener: TcpListener) -> (Vec<u8>, bool) {
    let (sock, _) = listener.accept().await.unwrap();
    let mut s = TelnetStream::server(sock);
    s.write_all(b"\r\nPeer1 login: ").await.unwrap();
    s.flush().await.unwrap();
    let mut typed = Vec::new();
    let mut line = Vec::new();
    let mut b = [0u8; 256];
    let mut quit = false;
    while !quit {
        let n = tokio::time::timeout(LONG, s.read(&mut b))
            .await
            .unwrap_or_else(|_| panic!("the client typed no more after {}", show(&typed)))
            .unwrap();
        assert!(n > 0, "client hung up; typed {}", show(&typed));
        typed.extend_from_slice(&b[..n]);
        for &c in &b[..n] {
            if c == b'\r' || c == b'\n' {
                if line == b"quit" {
                    quit = true;
                } else if !line.is_empty() {
                    let reply = format!(
                        "\r\nyou typed [{}]\r\nManager Peer1> ",
                        String::from_utf8_lossy(&line)
                    );
                    s.write_all(reply.as_bytes()).await.unwrap();
                }
                line.clear();
            } else {
                line.push(c);
                s.write_all(&[c]).await.unwrap();
            }
        }
        s.flush().await.unwrap();
    }
    let agreed = s.remote_enabled(opt::SUPPRESS_GO_AHEAD) && s.local_enabled(opt::ECHO);
    (typed, agreed)
}

/// Runs `client` (Debian's telnet, directly or under a pty) against the tiny console, typing
/// each line followed by `enter`. Returns what the console read and what the client printed.
async fn drive_debian_client(
    mut client: tokio::process::Command,
    enter: &[u8],
) -> (Vec<u8>, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let console = tokio::spawn(serve_tiny_console(listener));
    let mut child = client
        .arg("127.0.0.1")
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the telnet client");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    read_until(&mut stdout, "Peer1 login: ", &mut seen).await;
    for (line, answer) in [
        ("manager", "Manager Peer1> "),
        ("show ipsec sa", "you typed [show ipsec sa]"),
    ] {
        stdin.write_all(line.as_bytes()).await.unwrap();
        stdin.write_all(enter).await.unwrap();
        stdin.flush().await.unwrap();
        read_until(&mut stdout, answer, &mut seen).await;
    }
    stdin.write_all(b"quit").await.unwrap();
    stdin.write_all(enter).await.unwrap();
    stdin.flush().await.unwrap();
    let (typed, agreed) = tokio::time::timeout(LONG, console)
        .await
        .expect("the console never saw quit")
        .unwrap();
    drop(stdin);
    let _ = child.start_kill();
    let _ = child.wait().await;

    assert!(agreed, "the client did not agree to SGA or to our echo");
    assert!(
        !typed.contains(&0xFF),
        "IAC reached the console: {}",
        show(&typed)
    );
    assert!(
        !typed.contains(&0),
        "NUL reached the console: {}",
        show(&typed)
    );
    assert!(
        !seen.contains(&0xFF),
        "IAC reached the screen: {}",
        show(&seen)
    );
    let text = String::from_utf8_lossy(&seen).into_owned();
    assert!(text.contains("Peer1 login: manager"), "{text:?}");
    assert!(
        text.contains("you typed [manager]\r\nManager Peer1> "),
        "{text:?}"
    );
    (typed, text)
}

/// Debian's telnet client with its standard input and output on pipes.
#[tokio::test]
async fn debian_telnet_client_on_pipes_against_our_server() {
    let client = tokio::process::Command::new(debian_telnet());
    let (typed, _) = drive_debian_client(client, b"\n").await;
    // Not on a terminal, the client passes the newline through as it is.
    assert_eq!(show(&typed), show(b"manager\nshow ipsec sa\nquit\n"));
}

/// Debian's telnet client on a pseudo-terminal (through util-linux `script`), as an engineer
/// runs it: Enter is a CR there, which inetutils telnet 2.4 sends as CR NUL (seen on the wire
/// while writing this test); the console must read a CR and never the NUL.
#[tokio::test]
async fn debian_telnet_client_on_a_pty_against_our_server() {
    let script = require(&["/usr/bin/script"], "bsdutils");
    let telnet = debian_telnet();
    // `script -c` takes one command line; the helper appends host and port as arguments,
    // which the shell passes on as $1 and $2.
    let mut sh = tokio::process::Command::new("/bin/sh");
    sh.arg("-c")
        .arg(format!(
            "exec {} -q -f -e -c \"{} $1 $2\" /dev/null",
            script.display(),
            telnet.display()
        ))
        .arg("sh");
    let (typed, text) = drive_debian_client(sh, b"\r").await;
    let typed = String::from_utf8_lossy(&typed).replace("\r\n", "\r");
    assert_eq!(typed, "manager\rshow ipsec sa\rquit\r", "{text:?}");
}

// ---------------------------------------------------------------------------------------------
// `connect telnet://` through the release binary's code path, on a terminal.

/// `connect` opens the link once on the plain terminal (so a refused connection is said
/// there) and the screen's session goes on with that same connection: a console server that
/// takes one connection sees exactly one, and the login arrives on it. Before, the first
/// connection was closed and a second one opened, which such a server never serves.
#[test]
fn connect_telnet_makes_one_connection_and_its_ping_gets_no_password() {
    use std::io::Read as _;
    use std::sync::mpsc;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (first_tx, first_rx) = mpsc::channel();
    let server = {
        let (accepted, stop) = (accepted.clone(), stop.clone());
        std::thread::spawn(move || {
            // Every connection is counted; only the first is served (a login prompt), the
            // others are held open and never answered.
            let mut held = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        if accepted.fetch_add(1, Ordering::SeqCst) == 0 {
                            let _ = s.set_nonblocking(false);
                            let _ = s.write_all(b"\r\nlogin: ");
                            let _ = first_tx.send(s);
                        } else {
                            held.push(s);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        })
    };
    let dir = TempDir::new("one-connection");
    let bin = env!("CARGO_BIN_EXE_tunnelscope");
    // A `ping` of our own first on the PATH: it writes the environment it was given.
    let fake = dir.0.join("bin");
    std::fs::create_dir_all(&fake).expect("bin folder");
    let dump = dir.0.join("ping-env");
    let ping = fake.join("ping");
    std::fs::write(
        &ping,
        format!(
            "#!/bin/sh\nenv > '{}.tmp'; mv '{0}.tmp' '{0}'; sleep 5\n",
            dump.display()
        ),
    )
    .expect("fake ping");
    std::fs::set_permissions(&ping, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let path = format!(
        "{}:{}",
        fake.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let line = format!(
        "stty rows 30 cols 100; exec '{bin}' connect telnet://secoff@127.0.0.1:{port} --no-capture --ping 10.9.9.9"
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("PATH", path)
        .env("TUNNELSCOPE_PASSWORD", "ts-one-connection")
        .env("XDG_DATA_HOME", dir.0.join("data"))
        .env("XDG_CONFIG_HOME", dir.0.join("config"))
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run script (util-linux): {e}"));
    let mut first: std::net::TcpStream = first_rx
        .recv_timeout(LONG)
        .expect("tunnelscope never connected");
    first
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    // The session logs in on the first connection: the user name arrives there.
    let end = Deadline::after(Duration::from_secs(20));
    let mut got = Vec::new();
    let mut closed = false;
    while !String::from_utf8_lossy(&got).contains("secoff") && !end.passed() {
        let mut buf = [0u8; 512];
        match first.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    let n = accepted.load(Ordering::SeqCst);
    // Start the ping (`p`): the system ping gets neither the password nor anything else of
    // tunnelscope's environment.
    let ping_env = {
        let mut stdin = child.stdin.take().expect("stdin");
        let end = Deadline::after(LONG);
        loop {
            let _ = stdin.write_all(b"p");
            let _ = stdin.flush();
            std::thread::sleep(Duration::from_millis(500));
            if let Ok(text) = std::fs::read_to_string(&dump) {
                break text;
            }
            if end.passed() {
                break String::new();
            }
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    stop.store(true, Ordering::SeqCst);
    let _ = server.join();
    assert_eq!(
        n,
        1,
        "tunnelscope made {n} connections (first one closed: {closed}, it got {:?})",
        show(&got)
    );
    assert!(
        String::from_utf8_lossy(&got).contains("secoff"),
        "the login never came on the first connection (closed: {closed}): {:?}",
        show(&got)
    );
    assert!(
        ping_env.contains("LC_ALL=C"),
        "the ping never ran: {ping_env:?}"
    );
    assert!(
        !ping_env.contains("ts-one-connection") && !ping_env.contains("TUNNELSCOPE"),
        "the ping inherited the password: {ping_env}"
    );
    assert!(
        !ping_env.contains("XDG_DATA_HOME") && !ping_env.contains("TERM="),
        "the ping inherited tunnelscope's environment: {ping_env}"
    );
}
