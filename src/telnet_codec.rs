//! The telnet protocol layer (RFC 854), free of any connecting: `TelnetStream` wraps any byte
//! stream and reads and writes console data as if telnet were not there. A leaf module, so that
//! both `link::telnet` (the client end, towards a router) and the simulator's `--telnet` server
//! (`TelnetStream::server`) use it without importing each other.
//!
//! It owns IAC escaping in both directions, the NVT rules for carriage return, option
//! negotiation (the Q method of RFC 1143) and the two subnegotiations a console needs
//! (TERMINAL-TYPE, RFC 1091, and NAWS, RFC 1073).
//!
//! How the stream works, in short:
//! - Reading strips every telnet command and subnegotiation and returns only console data.
//!   Negotiation requests are answered as they are read.
//! - The answers (and the opening requests queued by the constructors) wait in an outgoing queue
//!   that *every* `poll_read`, `poll_write` and `poll_flush` tries to empty. A user that only
//!   reads (a session waiting for the login prompt) therefore still sends them: `poll_read`
//!   writes the queue before and after each read, and when the socket cannot take it, the
//!   reading task is woken again once it can.
//! - Writing escapes the data, appends it to the same queue (so data and commands leave in
//!   order) and writes as much as the transport takes. `poll_write` accepts new data only when
//!   the queue is empty, which is the back-pressure. As with any buffered writer, `flush` makes
//!   sure the last bytes have left.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Telnet command bytes (RFC 854).
pub mod cmd {
    pub const SE: u8 = 240;
    pub const NOP: u8 = 241;
    pub const DM: u8 = 242;
    pub const BRK: u8 = 243;
    pub const IP: u8 = 244;
    pub const AO: u8 = 245;
    pub const AYT: u8 = 246;
    pub const EC: u8 = 247;
    pub const EL: u8 = 248;
    pub const GA: u8 = 249;
    pub const SB: u8 = 250;
    pub const WILL: u8 = 251;
    pub const WONT: u8 = 252;
    pub const DO: u8 = 253;
    pub const DONT: u8 = 254;
    pub const IAC: u8 = 255;
}

/// Telnet option codes this module knows by name.
pub mod opt {
    pub const BINARY: u8 = 0;
    pub const ECHO: u8 = 1;
    pub const SUPPRESS_GO_AHEAD: u8 = 3;
    pub const STATUS: u8 = 5;
    pub const TIMING_MARK: u8 = 6;
    pub const TERMINAL_TYPE: u8 = 24;
    pub const NAWS: u8 = 31;
    pub const TERMINAL_SPEED: u8 = 32;
    pub const LINEMODE: u8 = 34;
    pub const NEW_ENVIRON: u8 = 39;
}

use cmd::*;

/// TERMINAL-TYPE subnegotiation verbs (RFC 1091).
const TTYPE_IS: u8 = 0;
const TTYPE_SEND: u8 = 1;

const CR: u8 = b'\r';
const LF: u8 = b'\n';
const NUL: u8 = 0;

/// What the client reports as its terminal: the routers' CLI assumes a VT100.
pub const CLIENT_TERMINAL_TYPE: &str = "VT100";
/// The window size the client reports (columns, rows): the routers page at 24 lines.
pub const CLIENT_WINDOW: (u16, u16) = (80, 24);

/// A subnegotiation longer than this is abandoned (see `Codec::sb_push`). The two we read,
/// TERMINAL-TYPE and NAWS, are a few dozen bytes at most.
pub const MAX_SUBNEGOTIATION: usize = 1024;

/// Negotiation answers are dropped once this much is waiting to be sent: a peer that floods us
/// with requests and never reads must not make us grow without bound.
const MAX_PENDING_REPLIES: usize = 64 * 1024;

/// The most data one `poll_write` takes; larger buffers are taken over several calls.
const WRITE_CHUNK: usize = 8 * 1024;

/// Raw bytes read from the transport per `poll_read`.
const READ_CHUNK: usize = 4 * 1024;

/// Reads that bring only telnet commands (no data) before `poll_read` yields to the scheduler,
/// so a peer streaming negotiation cannot hog the task.
const MAX_EMPTY_READS: usize = 32;

/// The longest terminal type we keep from a client (RFC 1091 allows 40 characters).
const MAX_TERMINAL_TYPE: usize = 40;

/// Which end of the connection this stream is: it decides what we ask for and what we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// We connect to a router: the router echoes and we send keystrokes.
    Client,
    /// We are the console (the simulator's `--telnet`): we echo.
    Server,
}

/// One side of one option, as in RFC 1143 ("the Q method"). Its WANTNO state and queue bit are
/// left out: we never ask to turn an option off and never change our mind after the opening
/// requests, so there is never a disable request pending or a second request to queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Q {
    #[default]
    No,
    Yes,
    /// We sent WILL/DO and wait for the answer.
    WantYes,
}

/// Where the reader is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadState {
    Data,
    /// After IAC.
    Iac,
    /// After IAC WILL/WONT/DO/DONT: the option byte comes next.
    Negotiate(u8),
    /// Inside IAC SB ... (the option is the first byte of `sb`).
    Sub,
    /// After an IAC inside a subnegotiation.
    SubIac,
}

/// The protocol state, free of any I/O: bytes in, bytes out.
#[derive(Debug)]
struct Codec {
    role: Role,
    state: ReadState,
    /// The last data byte read was a CR: a NUL right after it is padding to drop.
    after_cr: bool,
    sb: Vec<u8>,
    /// Our side of each option (what we WILL do).
    us: [Q; 256],
    /// The peer's side of each option (what we asked it to DO).
    him: [Q; 256],
    /// Bytes waiting to be written to the transport: escaped data and commands, in order.
    out: Vec<u8>,
    /// We sent a CR and have not yet seen the byte after it: if it is not LF, a NUL goes first.
    pending_nul: bool,
    terminal_type: Option<String>,
    window: Option<(u16, u16)>,
}

impl Codec {
    fn new(role: Role) -> Codec {
        let mut c = Codec {
            role,
            state: ReadState::Data,
            after_cr: false,
            sb: Vec::new(),
            us: [Q::No; 256],
            him: [Q::No; 256],
            out: Vec::new(),
            pending_nul: false,
            terminal_type: None,
            window: None,
        };
        match role {
            Role::Client => {
                // A router console: the router echoes (as a terminal would show typing),
                // full duplex without go-aheads, and we describe our terminal.
                c.ask_remote(opt::SUPPRESS_GO_AHEAD);
                c.ask_remote(opt::ECHO);
                c.ask_local(opt::TERMINAL_TYPE);
                c.ask_local(opt::NAWS);
            }
            Role::Server => {
                // What console servers and telnetd do: we echo, and nobody sends go-aheads.
                c.ask_local(opt::ECHO);
                c.ask_local(opt::SUPPRESS_GO_AHEAD);
                c.ask_remote(opt::SUPPRESS_GO_AHEAD);
            }
        }
        c
    }

    /// Options we agree to perform when the peer asks (DO).
    fn accept_local(&self, option: u8) -> bool {
        match self.role {
            // SUPPRESS-GO-AHEAD costs nothing (we never send GA) and servers that ask for it
            // want full-duplex character mode, which is what a console needs.
            Role::Client => matches!(
                option,
                opt::TERMINAL_TYPE | opt::NAWS | opt::SUPPRESS_GO_AHEAD
            ),
            Role::Server => matches!(option, opt::ECHO | opt::SUPPRESS_GO_AHEAD),
        }
    }

    /// Options we agree to let the peer perform when it offers (WILL).
    fn accept_remote(&self, option: u8) -> bool {
        match self.role {
            Role::Client => matches!(option, opt::ECHO | opt::SUPPRESS_GO_AHEAD),
            Role::Server => matches!(
                option,
                opt::SUPPRESS_GO_AHEAD | opt::TERMINAL_TYPE | opt::NAWS
            ),
        }
    }

    fn ask_local(&mut self, option: u8) {
        if self.us[option as usize] == Q::No {
            self.us[option as usize] = Q::WantYes;
            self.command(&[IAC, WILL, option]);
        }
    }

    fn ask_remote(&mut self, option: u8) {
        if self.him[option as usize] == Q::No {
            self.him[option as usize] = Q::WantYes;
            self.command(&[IAC, DO, option]);
        }
    }

    /// Queues a command. A CR already sent gets its NUL first, so a command never sits between
    /// a CR and the byte that says what the CR meant.
    fn command(&mut self, bytes: &[u8]) {
        if self.out.len() > MAX_PENDING_REPLIES {
            return;
        }
        if self.pending_nul {
            self.pending_nul = false;
            self.out.push(NUL);
        }
        self.out.extend_from_slice(bytes);
    }

    /// Queues a subnegotiation, doubling any IAC in its payload.
    fn subnegotiation(&mut self, option: u8, payload: &[u8]) {
        let mut msg = vec![IAC, SB, option];
        for &b in payload {
            msg.push(b);
            if b == IAC {
                msg.push(IAC);
            }
        }
        msg.extend_from_slice(&[IAC, SE]);
        self.command(&msg);
    }

    fn local_enabled(&mut self, option: u8) {
        if option == opt::NAWS {
            // RFC 1073: the client sends its size as soon as NAWS is agreed.
            let (w, h) = CLIENT_WINDOW;
            let [w1, w0] = w.to_be_bytes();
            let [h1, h0] = h.to_be_bytes();
            self.subnegotiation(opt::NAWS, &[w1, w0, h1, h0]);
        }
    }

    fn remote_enabled(&mut self, option: u8) {
        if option == opt::TERMINAL_TYPE && self.role == Role::Server {
            // RFC 1091: the server asks for the type once the client agreed to tell it.
            self.subnegotiation(opt::TERMINAL_TYPE, &[TTYPE_SEND]);
        }
    }

    /// One WILL/WONT/DO/DONT from the peer, answered by RFC 1143's rules, which never answer
    /// an option in a state that makes the peer answer again (no negotiation loops).
    fn negotiate(&mut self, verb: u8, option: u8) {
        let i = option as usize;
        match verb {
            WILL => match self.him[i] {
                Q::No => {
                    if self.accept_remote(option) {
                        self.him[i] = Q::Yes;
                        self.command(&[IAC, DO, option]);
                        self.remote_enabled(option);
                    } else {
                        self.command(&[IAC, DONT, option]);
                    }
                }
                Q::Yes => {}
                Q::WantYes => {
                    self.him[i] = Q::Yes;
                    self.remote_enabled(option);
                }
            },
            WONT => match self.him[i] {
                Q::No => {}
                Q::Yes => {
                    self.him[i] = Q::No;
                    self.command(&[IAC, DONT, option]);
                }
                // Our request refused (RFC 1143: no answer to a refusal).
                Q::WantYes => self.him[i] = Q::No,
            },
            DO => match self.us[i] {
                Q::No => {
                    if self.accept_local(option) {
                        self.us[i] = Q::Yes;
                        self.command(&[IAC, WILL, option]);
                        self.local_enabled(option);
                    } else {
                        self.command(&[IAC, WONT, option]);
                    }
                }
                Q::Yes => {}
                Q::WantYes => {
                    self.us[i] = Q::Yes;
                    self.local_enabled(option);
                }
            },
            DONT => match self.us[i] {
                Q::No => {}
                Q::Yes => {
                    self.us[i] = Q::No;
                    self.command(&[IAC, WONT, option]);
                }
                Q::WantYes => self.us[i] = Q::No,
            },
            _ => {}
        }
    }

    /// A complete subnegotiation (`sb[0]` is the option).
    fn finish_sub(&mut self) {
        let sb = std::mem::take(&mut self.sb);
        let Some((&option, payload)) = sb.split_first() else {
            return;
        };
        match option {
            opt::TERMINAL_TYPE => match payload.first() {
                Some(&TTYPE_SEND) if self.us[option as usize] == Q::Yes => {
                    let mut reply = vec![TTYPE_IS];
                    reply.extend_from_slice(CLIENT_TERMINAL_TYPE.as_bytes());
                    self.subnegotiation(opt::TERMINAL_TYPE, &reply);
                }
                Some(&TTYPE_IS) if self.him[option as usize] == Q::Yes => {
                    let name: String = String::from_utf8_lossy(&payload[1..])
                        .chars()
                        .filter(|c| c.is_ascii_graphic())
                        .take(MAX_TERMINAL_TYPE)
                        .collect();
                    self.terminal_type = Some(name);
                }
                _ => {}
            },
            opt::NAWS if self.him[option as usize] == Q::Yes => {
                if let [w1, w0, h1, h0] = *payload {
                    self.window =
                        Some((u16::from_be_bytes([w1, w0]), u16::from_be_bytes([h1, h0])));
                }
            }
            _ => {}
        }
        // Keep the allocation for the next one.
        self.sb = sb;
        self.sb.clear();
    }

    /// Adds a byte to the subnegotiation being read. Past `MAX_SUBNEGOTIATION` the
    /// subnegotiation is abandoned and reading goes back to data: a broken peer that never
    /// sends IAC SE must not silence the console for good (nor grow our memory); its remaining
    /// bytes show up as data, which an engineer can see and wonder about.
    fn sb_push(&mut self, b: u8, out: &mut Vec<u8>) {
        if self.sb.len() >= MAX_SUBNEGOTIATION {
            self.sb.clear();
            self.state = ReadState::Data;
            self.data(b, out);
            return;
        }
        self.sb.push(b);
    }

    /// A data byte: the NVT rule drops the NUL that pads a bare CR.
    fn data(&mut self, b: u8, out: &mut Vec<u8>) {
        if self.after_cr {
            self.after_cr = false;
            if b == NUL {
                return;
            }
        }
        self.after_cr = b == CR;
        out.push(b);
    }

    /// Strips telnet from `input`, appending the console data to `out` (never more bytes than
    /// `input` has) and answering negotiation into `self.out`.
    fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &b in input {
            match self.state {
                ReadState::Data => {
                    if b == IAC {
                        self.state = ReadState::Iac;
                    } else {
                        self.data(b, out);
                    }
                }
                ReadState::Iac => {
                    self.state = ReadState::Data;
                    match b {
                        IAC => self.data(IAC, out),
                        WILL | WONT | DO | DONT => self.state = ReadState::Negotiate(b),
                        SB => {
                            self.sb.clear();
                            self.state = ReadState::Sub;
                        }
                        // NOP, GA, DM, AYT, BRK, IP, AO, EC, EL, a stray SE and undefined
                        // codes: none of them means anything on a console link we read, so
                        // they are dropped (the router's own output is what matters).
                        _ => {}
                    }
                }
                ReadState::Negotiate(verb) => {
                    self.state = ReadState::Data;
                    self.negotiate(verb, b);
                }
                ReadState::Sub => {
                    if b == IAC {
                        self.state = ReadState::SubIac;
                    } else {
                        self.sb_push(b, out);
                    }
                }
                ReadState::SubIac => match b {
                    SE => {
                        self.state = ReadState::Data;
                        self.finish_sub();
                    }
                    IAC => {
                        self.state = ReadState::Sub;
                        self.sb_push(IAC, out);
                    }
                    // IAC and anything else inside a subnegotiation: the peer forgot IAC SE.
                    // Do as BSD telnetd does: end the subnegotiation there and take the byte
                    // as the command it is.
                    other => {
                        self.finish_sub();
                        self.state = ReadState::Iac;
                        self.decode(&[other], out);
                    }
                },
            }
        }
    }

    /// Escapes console data for the wire (NVT): IAC doubled; CR followed by LF stays CR LF and
    /// any other CR becomes CR NUL. The CR leaves at once and only the NUL waits for the next
    /// byte, so a command ended by a bare CR reaches the router without delay even when the
    /// CR ends one write and the next write (or a flush) decides the NUL.
    fn encode(&mut self, input: &[u8]) {
        self.out.reserve(input.len() + 2);
        for &b in input {
            if self.pending_nul {
                self.pending_nul = false;
                if b != LF {
                    self.out.push(NUL);
                }
            }
            match b {
                IAC => self.out.extend_from_slice(&[IAC, IAC]),
                CR => {
                    self.out.push(CR);
                    self.pending_nul = true;
                }
                _ => self.out.push(b),
            }
        }
    }

    /// On flush nothing more is coming for now: a bare CR gets its NUL.
    fn settle_cr(&mut self) {
        if self.pending_nul {
            self.pending_nul = false;
            self.out.push(NUL);
        }
    }
}

/// A telnet connection over any byte stream: read and write console data as if telnet were not
/// there. See the top of this file for how negotiation answers get written.
pub struct TelnetStream<S> {
    inner: S,
    codec: Codec,
    raw: Box<[u8]>,
    decoded: Vec<u8>,
    /// A write error met while `poll_read` sent negotiation answers, reported by the next write.
    write_error: Option<io::Error>,
}

impl<S> TelnetStream<S> {
    fn new(inner: S, role: Role) -> Self {
        TelnetStream {
            inner,
            codec: Codec::new(role),
            raw: vec![0u8; READ_CHUNK].into_boxed_slice(),
            decoded: Vec::with_capacity(READ_CHUNK),
            write_error: None,
        }
    }

    /// The client end, for connecting to a router: asks DO SUPPRESS-GO-AHEAD, DO ECHO,
    /// WILL TERMINAL-TYPE (answering "VT100") and WILL NAWS (80x24), and refuses every other
    /// option. The requests are sent by the first read, write or flush.
    pub fn client(inner: S) -> Self {
        Self::new(inner, Role::Client)
    }

    /// The server end, for serving a console: offers WILL ECHO and WILL SUPPRESS-GO-AHEAD,
    /// asks DO SUPPRESS-GO-AHEAD, accepts a client's TERMINAL-TYPE and NAWS (see
    /// `terminal_type` and `window_size`), and refuses every other option.
    pub fn server(inner: S) -> Self {
        Self::new(inner, Role::Server)
    }

    pub fn role(&self) -> Role {
        self.codec.role
    }

    /// We perform `option` (the peer said DO to our WILL, or we said WILL to its DO).
    pub fn local_enabled(&self, option: u8) -> bool {
        self.codec.us[option as usize] == Q::Yes
    }

    /// The peer performs `option`.
    pub fn remote_enabled(&self, option: u8) -> bool {
        self.codec.him[option as usize] == Q::Yes
    }

    /// The terminal type a client reported (server role).
    pub fn terminal_type(&self) -> Option<&str> {
        self.codec.terminal_type.as_deref()
    }

    /// The window size (columns, rows) a client reported (server role).
    pub fn window_size(&self) -> Option<(u16, u16)> {
        self.codec.window
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The transport back; anything still queued for it is dropped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: AsyncWrite + Unpin> TelnetStream<S> {
    /// Writes the outgoing queue until it is empty (Ready) or the transport is full (Pending,
    /// with the task registered to be woken when it can take more).
    fn poll_send_queue(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.codec.out.is_empty() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.codec.out) {
                Poll::Ready(Ok(0)) => {
                    self.codec.out.clear();
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => {
                    self.codec.out.drain(..n);
                }
                Poll::Ready(Err(e)) => {
                    // The transport is broken: what is queued can never arrive.
                    self.codec.out.clear();
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Sends negotiation answers on behalf of a reader. A reader must not fail because a
    /// write did: the error is kept for the next write, and reading goes on to the end of
    /// what the peer sent.
    fn send_replies_for_reader(&mut self, cx: &mut Context<'_>) {
        if self.codec.out.is_empty() {
            return;
        }
        match self.poll_send_queue(cx) {
            Poll::Ready(Ok(())) => {
                // A buffering transport would otherwise hold the answers until a write.
                if let Poll::Ready(Err(e)) = Pin::new(&mut self.inner).poll_flush(cx) {
                    self.write_error.get_or_insert(e);
                }
            }
            Poll::Ready(Err(e)) => {
                self.write_error.get_or_insert(e);
            }
            Poll::Pending => {}
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TelnetStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.send_replies_for_reader(cx);
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        for _ in 0..MAX_EMPTY_READS {
            // Decoding never makes data longer, so reading at most `remaining` raw bytes
            // guarantees the result fits in `buf`.
            let want = buf.remaining().min(this.raw.len());
            let mut raw = ReadBuf::new(&mut this.raw[..want]);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut raw))?;
            let n = raw.filled().len();
            if n == 0 {
                // End of stream; a half-read command at the end is simply dropped.
                return Poll::Ready(Ok(()));
            }
            this.decoded.clear();
            this.codec.decode(&this.raw[..n], &mut this.decoded);
            this.send_replies_for_reader(cx);
            if !this.decoded.is_empty() {
                buf.put_slice(&this.decoded);
                return Poll::Ready(Ok(()));
            }
            // Only telnet commands: returning now would look like end of stream, so read on.
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TelnetStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(e) = this.write_error.take() {
            return Poll::Ready(Err(e));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // Back-pressure: take new data only once the queue has gone out.
        ready!(this.poll_send_queue(cx))?;
        let n = buf.len().min(WRITE_CHUNK);
        this.codec.encode(&buf[..n]);
        match this.poll_send_queue(cx) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            // Pending is fine: the data is queued and the next read, write or flush sends it.
            _ => Poll::Ready(Ok(n)),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(e) = this.write_error.take() {
            return Poll::Ready(Err(e));
        }
        this.codec.settle_cr();
        ready!(this.poll_send_queue(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
