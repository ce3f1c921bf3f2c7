//! The SSH link (`ssh://user@host[:port]`): connect with a timeout, check the host key against
//! `known_hosts` the way OpenSSH does, log in (key file, then ssh-agent, then password), and open
//! a shell on a pty. The router's CLI is that shell; the session driver takes it from there.
//!
//! Secrets: the password goes from `LinkOptions` straight to russh; it is never printed, logged
//! or put in an error message.

use super::known_hosts;
use super::{HostKeyPolicy, Link, LinkError, LinkOptions};
use russh::client::{self, Handle, KeyboardInteractiveAuthResponse, Msg};
use russh::keys::agent::client::AgentClient;
use russh::keys::agent::AgentIdentity;
use russh::keys::{Algorithm, HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{cipher, kex, mac, AlgorithmKind, ChannelMsg, ChannelStream, MethodKind, Preferred};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, ReadBuf, ReadHalf};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

/// How long to wait for the TCP connection, and for each later step to answer (banner and key
/// exchange, authentication, channel requests). A router that says nothing for this long is
/// not going to.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Keepalives that go unanswered before the link is declared dead.
const KEEPALIVE_MAX: usize = 3;

/// Open an SSH session to `user@host:port` and start a shell on a vt100 pty (80x24).
///
/// Authentication tries, in order: the key file `opts.ssh.identity`, the keys of the ssh-agent
/// at `SSH_AUTH_SOCK`, then `opts.password` (as `password`, or as the answer to
/// `keyboard-interactive` prompts when the router only offers that).
pub async fn open_ssh(
    user: &str,
    host: &str,
    port: u16,
    opts: &LinkOptions,
) -> Result<Link, LinkError> {
    let addr = addr_label(host, port);
    let known_hosts_path = match &opts.ssh.known_hosts {
        Some(p) => p.clone(),
        None => known_hosts::default_path().ok_or_else(|| {
            LinkError::Ssh(
                "cannot check the host key: HOME is not set, so there is no ~/.ssh/known_hosts"
                    .into(),
            )
        })?,
    };
    let socket = connect_tcp(host, port, &addr).await?;

    let asking = Arc::new(AtomicBool::new(false));
    let broke = Arc::new(std::sync::Mutex::new(None));
    let handler = HostKeyCheck {
        host: host.to_string(),
        port,
        path: known_hosts_path,
        policy: opts.ssh.host_key,
        asking: asking.clone(),
        broke: broke.clone(),
    };
    // A known host is asked for the key types recorded for it first, as OpenSSH does: a
    // router with several host keys then shows the one known_hosts can check, and a router
    // that shows another type anyway is refused by the check.
    let known = known_hosts::known_algorithms(host, port, &handler.path);
    let config = Arc::new(client_config(opts, &known));

    let mut handle = handshake(config, socket, handler, &asking)
        .await
        .map_err(|e| handshake_error(e, &addr, opts.ssh.legacy))?;

    tracing::debug!(%addr, "ssh handshake done, host key accepted");
    authenticate(&mut handle, user, host, opts, &broke)
        .await
        .inspect_err(|e| tracing::warn!(%user, %addr, error = %e, "ssh login failed"))?;
    tracing::info!(%user, %addr, "ssh login ok");
    let (prefix, stream) = open_shell(&handle, &addr).await?;
    let (read_half, write_half) = tokio::io::split(stream);
    Ok(Link {
        reader: Box::new(SshReader {
            prefix,
            pos: 0,
            inner: read_half,
            _session: handle,
        }),
        writer: Box::new(write_half),
        description: format!("ssh {user}@{addr}"),
        bytes_per_sec: None,
        authenticated: true,
    })
}

/// `host:port`, with an IPv6 address in brackets.
fn addr_label(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn connect_error(addr: &str, reason: impl Into<String>) -> LinkError {
    LinkError::Connect {
        addr: addr.to_string(),
        reason: reason.into(),
    }
}

/// Resolve and connect, trying each address in turn (as OpenSSH does) within one deadline.
async fn connect_tcp(host: &str, port: u16, addr: &str) -> Result<TcpStream, LinkError> {
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    let no_answer = || {
        connect_error(
            addr,
            format!(
                "no answer within {} s (check the address, the route and any firewall)",
                CONNECT_TIMEOUT.as_secs()
            ),
        )
    };
    let addrs: Vec<_> =
        match tokio::time::timeout_at(deadline, tokio::net::lookup_host((host, port))).await {
            Ok(Ok(a)) => a.collect(),
            Ok(Err(e)) => {
                return Err(connect_error(
                    addr,
                    format!("cannot resolve the host name: {e}"),
                ))
            }
            Err(_) => return Err(no_answer()),
        };
    let mut last = None;
    for a in addrs {
        match tokio::time::timeout_at(deadline, TcpStream::connect(a)).await {
            Ok(Ok(s)) => {
                // Keystrokes and short command lines should not wait for Nagle's algorithm.
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Ok(Err(e)) => last = Some(e),
            Err(_) => return Err(no_answer()),
        }
    }
    let reason = match last {
        None => "the host name has no address".to_string(),
        Some(e) => match e.kind() {
            std::io::ErrorKind::ConnectionRefused => format!(
                "connection refused: nothing listens on port {port} (is the SSH server enabled on the router, and is this its port?)"
            ),
            std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => {
                format!("{e} (check the address and the route to it)")
            }
            std::io::ErrorKind::TimedOut => return Err(no_answer()),
            _ => e.to_string(),
        },
    };
    Err(connect_error(addr, reason))
}

fn client_config(opts: &LinkOptions, known: &[Algorithm]) -> client::Config {
    client::Config {
        preferred: known_first(preferred(opts.ssh.legacy), known),
        keepalive_interval: (opts.ssh.keepalive_secs > 0)
            .then(|| Duration::from_secs(opts.ssh.keepalive_secs)),
        keepalive_max: KEEPALIVE_MAX,
        nodelay: true,
        ..Default::default()
    }
}

/// russh's default algorithms, less `ssh-rsa` host keys (SHA-1 signatures), which russh
/// offers by default; with `legacy`, the SHA-1 key exchanges, CBC ciphers, hmac-sha1 and
/// ssh-rsa that old AlliedWare releases need are added after the modern ones, so a modern
/// router still negotiates modern algorithms.
pub(crate) fn preferred(legacy: bool) -> Preferred {
    let d = Preferred::DEFAULT;
    let sha1_rsa = Algorithm::Rsa { hash: None };
    // The extension pseudo-algorithms (ext-info-c, strict kex) go last, after any additions.
    let is_ext = |k: &kex::Name| {
        k.as_ref().starts_with("ext-info-") || k.as_ref().starts_with("kex-strict-")
    };
    let mut kexes: Vec<kex::Name> = d.kex.iter().filter(|k| !is_ext(k)).cloned().collect();
    let mut keys: Vec<Algorithm> = d.key.iter().filter(|a| **a != sha1_rsa).cloned().collect();
    let mut ciphers: Vec<cipher::Name> = d.cipher.to_vec();
    let mut macs: Vec<mac::Name> = d.mac.to_vec();
    if legacy {
        kexes.extend([kex::DH_G14_SHA1, kex::DH_GEX_SHA1, kex::DH_G1_SHA1]);
        keys.push(sha1_rsa);
        ciphers.extend([
            cipher::AES_128_CBC,
            cipher::AES_256_CBC,
            cipher::AES_192_CBC,
        ]);
        // 3des-cbc exists in russh only with its `des` feature; offer it whenever it is built in.
        if let Ok(tdes) = cipher::Name::try_from("3des-cbc") {
            ciphers.push(tdes);
        }
        macs.extend([mac::HMAC_SHA1, mac::HMAC_SHA1_ETM]);
    }
    kexes.extend(d.kex.iter().filter(|k| is_ext(k)).cloned());
    Preferred {
        kex: Cow::Owned(kexes),
        key: Cow::Owned(keys),
        cipher: Cow::Owned(ciphers),
        mac: Cow::Owned(macs),
        ..d
    }
}

/// `p` with the host key algorithms of the `known` key types moved to the front (in the order
/// of `p`); the others stay after them, so a router that no longer has a known key type still
/// completes the key exchange and its key is shown, and refused, by the check.
pub(crate) fn known_first(mut p: Preferred, known: &[Algorithm]) -> Preferred {
    let is_known = |a: &Algorithm| known.iter().any(|k| known_hosts::same_key_type(k, a));
    let (mut first, rest): (Vec<Algorithm>, Vec<Algorithm>) =
        p.key.iter().cloned().partition(|a| is_known(a));
    first.extend(rest);
    p.key = Cow::Owned(first);
    p
}

/// Why the handshake stopped: russh's own error, or our refusal of the host key (with the
/// message to show).
#[derive(Debug)]
enum Fail {
    Ssh(russh::Error),
    Refused(known_hosts::HostKeyError),
}

impl From<russh::Error> for Fail {
    fn from(e: russh::Error) -> Self {
        Fail::Ssh(e)
    }
}

/// Run the banner exchange and key exchange under `STEP_TIMEOUT`, except while the user is
/// being asked about an unknown host key: a person reading a fingerprint may take a while.
async fn handshake(
    config: Arc<client::Config>,
    socket: TcpStream,
    handler: HostKeyCheck,
    asking: &AtomicBool,
) -> Result<Handle<HostKeyCheck>, Fail> {
    let fut = client::connect_stream(config, socket, handler);
    tokio::pin!(fut);
    loop {
        tokio::select! {
            r = &mut fut => return r,
            _ = tokio::time::sleep(STEP_TIMEOUT) => {
                if !asking.load(Ordering::SeqCst) {
                    return Err(Fail::Ssh(russh::Error::ConnectionTimeout));
                }
            }
        }
    }
}

const LEGACY_HINT: &str = "old routers need legacy algorithms: try again with --legacy-ssh";

fn handshake_error(e: Fail, addr: &str, legacy: bool) -> LinkError {
    let e = match e {
        Fail::Refused(e) => return LinkError::HostKey(e),
        Fail::Ssh(e) => e,
    };
    let msg = match e {
        russh::Error::NoCommonAlgo { kind, ours, theirs } => {
            let what = match kind {
                AlgorithmKind::Kex => "key exchange",
                AlgorithmKind::Key => "host key",
                AlgorithmKind::Cipher => "cipher",
                AlgorithmKind::Mac => "MAC",
                AlgorithmKind::Compression => "compression",
            };
            // The strict-kex and ext-info markers are not algorithms anyone can pick.
            let real = |names: Vec<String>| {
                names
                    .into_iter()
                    .filter(|n| !n.starts_with("ext-info-") && !n.starts_with("kex-strict-"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let head = format!(
                "SSH negotiation with {addr} failed: no common {what} algorithm (the router offers {}; tunnelscope offers {})",
                real(theirs),
                real(ours)
            );
            if legacy {
                format!("{head}, even with --legacy-ssh")
            } else {
                format!("{head}; {LEGACY_HINT}")
            }
        }
        russh::Error::Version => format!(
            "{addr} does not speak SSH (no SSH banner): is this the router's SSH port?"
        ),
        russh::Error::ConnectionTimeout => format!(
            "{addr} accepted the connection but the SSH handshake did not finish within {} s",
            STEP_TIMEOUT.as_secs()
        ),
        // A server that finds no common algorithm first just hangs up.
        russh::Error::Disconnect | russh::Error::HUP | russh::Error::IO(_) if !legacy => format!(
            "{addr} closed the connection during the SSH handshake ({e}); if it is an old router, {LEGACY_HINT}"
        ),
        other => format!("SSH handshake with {addr} failed: {other}"),
    };
    LinkError::Ssh(msg)
}

/// The russh client handler: it only decides whether to trust the host key.
struct HostKeyCheck {
    host: String,
    port: u16,
    path: PathBuf,
    policy: HostKeyPolicy,
    /// Set while the user is being asked, so the handshake timeout waits for them.
    asking: Arc<AtomicBool>,
    /// Why the session ended, when it ended on an error: russh reports that only here, and
    /// the login steps see just a closed connection.
    broke: Arc<std::sync::Mutex<Option<String>>>,
}

impl client::Handler for HostKeyCheck {
    type Error = Fail;

    async fn check_server_key(&mut self, offered: &PublicKeyOrCertificate) -> Result<bool, Fail> {
        match offered {
            PublicKeyOrCertificate::PublicKey { key, .. } => known_hosts::verify(
                &self.host,
                self.port,
                key,
                &self.path,
                self.policy,
                &self.asking,
            )
            .await
            .map(|()| true)
            .map_err(Fail::Refused),
            // Certificate host-key algorithms are never offered (see `preferred`), so a
            // server that sends one anyway is not trusted.
            PublicKeyOrCertificate::Certificate(_) => Err(Fail::Refused(
                known_hosts::HostKeyProblem::Certificate {
                    label: known_hosts::host_label(&self.host, self.port),
                }
                .into(),
            )),
        }
    }

    async fn disconnected(&mut self, reason: client::DisconnectReason<Fail>) -> Result<(), Fail> {
        match reason {
            client::DisconnectReason::ReceivedDisconnect(_) => Ok(()),
            client::DisconnectReason::Error(e) => {
                let why = match &e {
                    Fail::Ssh(e) => e.to_string(),
                    Fail::Refused(m) => m.to_string(),
                };
                tracing::warn!(host = %self.host, port = self.port, why = %why, "ssh connection ended");
                if let Ok(mut slot) = self.broke.lock() {
                    *slot = Some(why);
                }
                Err(e)
            }
        }
    }
}

/// What was tried, for the failure message.
#[derive(Default)]
struct Tried {
    key: bool,
    password: bool,
}

/// Why one step after the handshake (authentication, a channel request) did not complete.
#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error("{what}: {reason}")]
    Failed { what: &'static str, reason: String },
    #[error("{what}: no answer within {secs} s")]
    Timeout { what: &'static str, secs: u64 },
    #[error("no answer within {secs} s")]
    NoReply { secs: u64 },
    #[error("the router closed the channel")]
    ChannelClosed,
    #[error("the router refused to start a shell")]
    ShellRefused,
}

async fn step<T, E: std::fmt::Display>(
    what: &'static str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, StepError> {
    match timeout(STEP_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(StepError::Failed {
            what,
            reason: e.to_string(),
        }),
        Err(_) => Err(StepError::Timeout {
            what,
            secs: STEP_TIMEOUT.as_secs(),
        }),
    }
}

async fn authenticate(
    handle: &mut Handle<HostKeyCheck>,
    user: &str,
    host: &str,
    opts: &LinkOptions,
    broke: &std::sync::Mutex<Option<String>>,
) -> Result<(), LinkError> {
    let failed =
        |why: String| LinkError::Ssh(format!("authentication failed for {user}@{host}: {why}"));
    let lost = |e: StepError| failed(format!("the connection broke during authentication ({e})"));

    // "none" first, as OpenSSH does: it tells which methods the router accepts.
    let methods = match step("none", handle.authenticate_none(user))
        .await
        .map_err(lost)?
    {
        client::AuthResult::Success => return Ok(()),
        client::AuthResult::Failure {
            remaining_methods, ..
        } => remaining_methods,
    };
    // russh answers "no methods" when the session died under it: say why it died instead of
    // blaming missing credentials.
    if methods.is_empty() && handle.is_closed() {
        let why = broke.lock().ok().and_then(|mut s| s.take());
        return Err(failed(broken_before_methods(why)));
    }
    let offers = |m: MethodKind| methods.contains(&m);
    let mut tried = Tried::default();

    if offers(MethodKind::PublicKey) {
        if let Some(path) = &opts.ssh.identity {
            let key = load_identity(path).await?;
            let hash = rsa_hash(handle, key.algorithm()).await;
            tried.key = true;
            tracing::debug!(%user, %host, key = %path.display(), "ssh login: trying the key file");
            let r = step(
                "publickey",
                handle
                    .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash)),
            )
            .await
            .map_err(lost)?;
            if r.success() {
                return Ok(());
            }
        }
        if agent_login(handle, user, opts.password.is_some(), &mut tried).await {
            return Ok(());
        }
    }

    if let Some(password) = &opts.password {
        if offers(MethodKind::Password) {
            tried.password = true;
            // That a password is tried, never what it is.
            tracing::debug!(%user, %host, "ssh login: trying the password");
            let r = step(
                "password",
                handle.authenticate_password(user, password.expose()),
            )
            .await
            .map_err(lost)?;
            if r.success() {
                return Ok(());
            }
        } else if offers(MethodKind::KeyboardInteractive) {
            tried.password = true;
            tracing::debug!(%user, %host, "ssh login: trying keyboard-interactive");
            if keyboard_interactive(handle, user, password.expose())
                .await
                .map_err(lost)?
            {
                return Ok(());
            }
        }
    }

    let accepted: Vec<&str> = methods.iter().map(<&str>::from).collect();
    Err(failed(match tried {
        Tried { password: true, .. } => "wrong password or key".to_string(),
        Tried { key: true, .. } => format!(
            "wrong password or key (the key was refused, and no password was given; the router accepts: {})",
            accepted.join(", ")
        ),
        _ => format!(
            "no password or key to log in with (the router accepts: {})",
            accepted.join(", ")
        ),
    }))
}

/// The message for a session that ended before the router said which login methods it
/// accepts. The usual cause is a pre-login banner (sshd's `Banner`) that is not valid UTF-8:
/// the SSH library cannot read it and drops the connection, so no password is ever tried.
fn broken_before_methods(why: Option<String>) -> String {
    match why {
        Some(why) if why.contains("character encoding") => format!(
            "the router's pre-login banner is not valid UTF-8 text, which tunnelscope's SSH \
             library cannot read, so the connection ended before any password or key was tried \
             ({why}): make the router's banner plain text (ASCII or UTF-8), or use telnet or \
             the serial console"
        ),
        Some(why) => format!(
            "the connection broke before the router said how to log in, and no password or key \
             was tried ({why})"
        ),
        None => "the router closed the connection before saying how to log in, and no password \
                 or key was tried"
            .to_string(),
    }
}

/// For an RSA key, the signature hash the server announced it accepts (rsa-sha2-512/256);
/// `None` means ssh-rsa (SHA-1), the only one very old servers know.
async fn rsa_hash(handle: &Handle<HostKeyCheck>, alg: Algorithm) -> Option<HashAlg> {
    if !alg.is_rsa() {
        return None;
    }
    handle
        .best_supported_rsa_hash()
        .await
        .ok()
        .flatten()
        .flatten()
}

/// Load the key file, asking for its passphrase on the terminal when it is encrypted.
async fn load_identity(path: &Path) -> Result<PrivateKey, LinkError> {
    let shown = path.display().to_string();
    match russh::keys::load_secret_key(path, None) {
        Ok(k) => Ok(k),
        Err(russh::keys::Error::KeyIsEncrypted) => {
            let prompt = format!("Enter passphrase for key '{shown}': ");
            let pass = tokio::task::spawn_blocking(move || rpassword::prompt_password(prompt))
                .await
                .map_err(|e| LinkError::Ssh(e.to_string()))?
                .map_err(|e| {
                    LinkError::Ssh(format!(
                        "key file {shown} is encrypted and its passphrase cannot be asked ({e}): add the key to ssh-agent instead"
                    ))
                })?;
            russh::keys::load_secret_key(path, Some(&pass))
                .map_err(|e| LinkError::Ssh(format!("cannot use key file {shown}: {e}")))
        }
        Err(e) => Err(LinkError::Ssh(format!("cannot use key file {shown}: {e}"))),
    }
}

/// Try the agent's keys. Few of them: OpenSSH's server hangs up after six failed attempts
/// (MaxAuthTries), and the password must still get its turn.
async fn agent_login(
    handle: &mut Handle<HostKeyCheck>,
    user: &str,
    have_password: bool,
    tried: &mut Tried,
) -> bool {
    if std::env::var_os("SSH_AUTH_SOCK").is_none() {
        return false;
    }
    let Ok(mut agent) = AgentClient::connect_env().await else {
        return false;
    };
    let Ok(Ok(ids)) = timeout(STEP_TIMEOUT, agent.request_identities()).await else {
        return false;
    };
    let limit = if have_password { 3 } else { 5 };
    let keys = ids.into_iter().filter_map(|id| match id {
        AgentIdentity::PublicKey { key, .. } => Some(key),
        AgentIdentity::Certificate { .. } => None,
    });
    for key in keys.take(limit) {
        let hash = rsa_hash(handle, key.algorithm()).await;
        tried.key = true;
        match timeout(
            STEP_TIMEOUT,
            handle.authenticate_publickey_with(user, key, hash, &mut agent),
        )
        .await
        {
            Ok(Ok(r)) if r.success() => return true,
            Ok(_) => continue,
            Err(_) => return false,
        }
    }
    false
}

/// Answer every keyboard-interactive prompt with the password (routers that offer only this
/// method ask for exactly that).
async fn keyboard_interactive(
    handle: &mut Handle<HostKeyCheck>,
    user: &str,
    password: &str,
) -> Result<bool, StepError> {
    let mut reply = step(
        "keyboard-interactive",
        handle.authenticate_keyboard_interactive_start(user, None::<String>),
    )
    .await?;
    // A server that keeps asking is not going to accept; stop after a few rounds.
    for _ in 0..5 {
        match reply {
            KeyboardInteractiveAuthResponse::Success => return Ok(true),
            KeyboardInteractiveAuthResponse::Failure { .. } => return Ok(false),
            KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                let answers = prompts.iter().map(|_| password.to_string()).collect();
                reply = step(
                    "keyboard-interactive",
                    handle.authenticate_keyboard_interactive_respond(answers),
                )
                .await?;
            }
        }
    }
    Ok(false)
}

/// Open a session channel with a pty and a shell. Bytes the router sends before the shell
/// request is answered are returned, to be read before the stream.
async fn open_shell(
    handle: &Handle<HostKeyCheck>,
    addr: &str,
) -> Result<(Vec<u8>, ChannelStream<Msg>), LinkError> {
    let err = |e: StepError| LinkError::Ssh(format!("cannot open a shell on {addr}: {e}"));
    let mut channel = step("session channel", handle.channel_open_session())
        .await
        .map_err(err)?;
    let mut early = Vec::new();
    step(
        "pty request",
        channel.request_pty(true, "vt100", 80, 24, 0, 0, &[]),
    )
    .await
    .map_err(err)?;
    // Like OpenSSH, carry on without a pty if the router refuses one: its CLI still works.
    let _pty = wait_reply(&mut channel, &mut early).await.map_err(err)?;
    step("shell request", channel.request_shell(true))
        .await
        .map_err(err)?;
    if !wait_reply(&mut channel, &mut early).await.map_err(err)? {
        return Err(err(StepError::ShellRefused));
    }
    Ok((early, channel.into_stream()))
}

/// Wait for the answer to a channel request: `true` for success. Data that arrives meanwhile
/// is kept in `early`.
async fn wait_reply(
    channel: &mut russh::Channel<Msg>,
    early: &mut Vec<u8>,
) -> Result<bool, StepError> {
    loop {
        match timeout(STEP_TIMEOUT, channel.wait()).await {
            Err(_) => {
                return Err(StepError::NoReply {
                    secs: STEP_TIMEOUT.as_secs(),
                })
            }
            Ok(None) | Ok(Some(ChannelMsg::Close)) | Ok(Some(ChannelMsg::Eof)) => {
                return Err(StepError::ChannelClosed)
            }
            Ok(Some(ChannelMsg::Success)) => return Ok(true),
            Ok(Some(ChannelMsg::Failure)) => return Ok(false),
            Ok(Some(ChannelMsg::Data { data }))
            | Ok(Some(ChannelMsg::ExtendedData { data, .. })) => early.extend_from_slice(&data),
            Ok(Some(_)) => {}
        }
    }
}

/// The read side of the link: first the bytes that came with the shell's start, then the
/// channel. It owns the session handle, which keeps the connection's task alive.
struct SshReader {
    prefix: Vec<u8>,
    pos: usize,
    inner: ReadHalf<ChannelStream<Msg>>,
    _session: Handle<HostKeyCheck>,
}

impl AsyncRead for SshReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if let Some(rest) = this.prefix.get(this.pos..).filter(|r| !r.is_empty()) {
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.pos += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_key_types_are_asked_for_first() {
        let p = known_first(preferred(false), &[Algorithm::Rsa { hash: None }]);
        let names: Vec<&str> = p.key.iter().map(|k| k.as_str()).collect();
        assert_eq!(&names[..2], ["rsa-sha2-512", "rsa-sha2-256"], "{names:?}");
        // The others stay, after them.
        assert!(names.contains(&"ssh-ed25519"), "{names:?}");
        assert_eq!(names.len(), preferred(false).key.len());
        let p = known_first(preferred(false), &[]);
        assert_eq!(p.key, preferred(false).key);
    }

    #[test]
    fn legacy_algorithms_only_with_legacy() {
        let modern = preferred(false);
        let names = |p: &Preferred| -> Vec<String> {
            p.kex
                .iter()
                .map(|k| k.as_ref().to_string())
                .chain(p.cipher.iter().map(|c| c.as_ref().to_string()))
                .chain(p.mac.iter().map(|m| m.as_ref().to_string()))
                .chain(p.key.iter().map(|k| k.as_str().to_string()))
                .collect()
        };
        let m = names(&modern);
        for old in [
            "diffie-hellman-group14-sha1",
            "diffie-hellman-group1-sha1",
            "aes128-cbc",
            "hmac-sha1",
            "ssh-rsa",
        ] {
            assert!(
                !m.iter().any(|n| n == old),
                "{old} offered without --legacy-ssh"
            );
        }
        let l = names(&preferred(true));
        for old in [
            "diffie-hellman-group14-sha1",
            "diffie-hellman-group1-sha1",
            "aes128-cbc",
            "aes256-cbc",
            "hmac-sha1",
            "ssh-rsa",
        ] {
            assert!(
                l.iter().any(|n| n == old),
                "{old} missing with --legacy-ssh"
            );
        }
        // Modern algorithms stay first, extension markers last.
        let legacy = preferred(true);
        assert_eq!(legacy.kex.first(), modern.kex.first());
        assert!(legacy
            .kex
            .last()
            .is_some_and(|k| k.as_ref().starts_with("kex-strict-")));
    }
}
