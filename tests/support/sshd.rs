//! Test harness: a real OpenSSH `sshd` on 127.0.0.1, started by a test with its own config,
//! host keys, authorized key, pid and log files in a fresh temporary folder (removed, and the
//! daemon killed, when the `Sshd` is dropped). A test file takes it as `support::sshd`.
//!
//! What it needs, and does:
//! - `/usr/sbin/sshd` and `ssh-keygen` (Debian: `apt-get install -y openssh-server`), and root,
//!   since sshd must switch to the test account: every test that starts a server is marked
//!   `#[ignore = "needs root: ..."]`, and `tests/run.sh` runs them when it runs as root. Without them every test that starts a server
//!   fails with a message saying what to install: never a silent skip.
//! - A local account for password login: `tsuser` (`TEST_USER`), created with `useradd` when
//!   absent and given the password `TEST_PASSWORD` with `chpasswd` (once per test process).
//!   The server only lets this account in (`AllowUsers`), and only to run the test's
//!   `ForceCommand`, so the account gives no shell to anyone else. The command runs as that
//!   user: whatever it runs (e.g. `target/debug/tunnelscope sim ...`) must be readable and
//!   executable by it.
//! - A free port: taken from the kernel, and retried if another server grabbed it first, so
//!   tests can run in parallel.

// Also taken on its own (`#[path = "support/sshd.rs"]`) by test files that need only this
// helper, where most of it is unused.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const SSHD: &str = "/usr/sbin/sshd";
pub const TEST_USER: &str = "tsuser";
pub const TEST_PASSWORD: &str = "ts-Test-Pass-4711";

/// How to set up a server.
pub struct SshdOptions {
    /// The `ForceCommand`: what every login runs, whatever the client asks (a shell line).
    pub force_command: String,
    /// Host key types to generate and serve (`ed25519`, `rsa`, `ecdsa`).
    pub host_key_types: Vec<&'static str>,
    /// More `sshd_config` lines, e.g. `KexAlgorithms diffie-hellman-group14-sha1`.
    pub extra_config: Vec<String>,
}

impl SshdOptions {
    pub fn new(force_command: &str) -> Self {
        SshdOptions {
            force_command: force_command.to_string(),
            host_key_types: vec!["ed25519"],
            extra_config: Vec::new(),
        }
    }

    /// Serve host keys of these types, in this order.
    pub fn host_keys(mut self, types: &[&'static str]) -> Self {
        self.host_key_types = types.to_vec();
        self
    }

    /// Add these `sshd_config` lines.
    pub fn config<S: ToString>(mut self, lines: &[S]) -> Self {
        self.extra_config
            .extend(lines.iter().map(|l| l.to_string()));
        self
    }
}

/// A running sshd. Dropping it kills the daemon and removes its folder.
pub struct Sshd {
    pub port: u16,
    /// The temporary folder holding everything of this server.
    pub dir: PathBuf,
    pub user: String,
    pub password: String,
    /// A private key (ed25519, no passphrase) authorized for `user`.
    pub client_key: PathBuf,
    /// The public host key files, in the order of `host_key_types`.
    pub host_keys: Vec<PathBuf>,
    child: Child,
}

/// Fail loudly when the tools are missing: CI must install them, and a developer must know
/// that the SSH tests did not run.
fn require_tools() {
    let mut missing = Vec::new();
    for tool in [SSHD, "/usr/bin/ssh-keygen"] {
        if !Path::new(tool).exists() {
            missing.push(tool);
        }
    }
    let useradd = ["/usr/sbin/useradd", "/usr/sbin/chpasswd"];
    let have_account = Command::new("id")
        .arg("-u")
        .arg(TEST_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have_account {
        missing.extend(useradd.iter().filter(|t| !Path::new(t).exists()));
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !missing.is_empty() {
        panic!(
            "the SSH link tests need a real OpenSSH server and a local account, but {} {} missing: install them with `apt-get install -y openssh-server passwd` (as root){}",
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" },
            if ci { "; in CI, .ci/run must install them" } else { "" }
        );
    }
    let uid = Command::new("id").arg("-u").output();
    let root = uid.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        panic!(
            "the SSH link tests start sshd, which must run as root to log the test account in: they are marked `needs root`; run them as root (`tests/run.sh` as root runs them with --include-ignored){}",
            if ci { " (CI runs as root)" } else { "" }
        );
    }
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Create the test account if needed and set its password, once per process. Other test
/// processes may do the same at the same moment: useradd and chpasswd then fail on the
/// passwd/shadow lock, so both are retried.
fn ensure_account() {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let r = DONE.get_or_init(|| {
        let mut last = String::new();
        for _ in 0..50 {
            let exists = Command::new("id")
                .args(["-u", TEST_USER])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !exists {
                if let Err(e) = run(Command::new("/usr/sbin/useradd").args([
                    "--create-home",
                    "--shell",
                    "/bin/sh",
                    "--comment",
                    "tunnelscope SSH tests",
                    TEST_USER,
                ])) {
                    last = e;
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
            }
            let mut child = match Command::new("/usr/sbin/chpasswd")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
            {
                Ok(c) => c,
                Err(e) => return Err(format!("cannot run chpasswd: {e}")),
            };
            if let Some(mut stdin) = child.stdin.take() {
                use std::io::Write;
                let _ = writeln!(stdin, "{TEST_USER}:{TEST_PASSWORD}");
            }
            match child.wait_with_output() {
                Ok(o) if o.status.success() => return Ok(()),
                Ok(o) => last = format!("chpasswd: {}", String::from_utf8_lossy(&o.stderr)),
                Err(e) => last = format!("chpasswd: {e}"),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "cannot set up the test account {TEST_USER}: {last}"
        ))
    });
    if let Err(e) = r {
        panic!("{e}");
    }
}

/// A folder of our own under the system's temporary folder.
fn fresh_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "tunnelscope-sshd-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    fs::create_dir_all(&dir).expect("create the sshd test folder");
    // The test account reads authorized_keys here (sshd reads it as that user).
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod test folder");
    dir
}

/// Generate a key pair without a passphrase; returns the public key file.
pub fn keygen(dir: &Path, name: &str, kind: &str) -> PathBuf {
    let private = dir.join(name);
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-t", kind, "-N", "", "-C", name, "-f"])
        .arg(&private);
    if kind == "rsa" {
        // Enough for a test, and quick to generate.
        cmd.args(["-b", "2048"]);
    }
    if let Err(e) = run(&mut cmd) {
        panic!("{e}");
    }
    private.with_extension("pub")
}

/// `SHA256:...` of a public key file, as OpenSSH computes it.
pub fn fingerprint(public: &Path) -> String {
    let out = run(Command::new("ssh-keygen")
        .args(["-E", "sha256", "-l", "-f"])
        .arg(public))
    .unwrap_or_else(|e| panic!("{e}"));
    out.split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("unexpected ssh-keygen -l output: {out}"))
        .to_string()
}

/// `type base64` of a public key file (without its comment), as in known_hosts.
pub fn key_line(public: &Path) -> String {
    let text = fs::read_to_string(public).expect("read public key");
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A port nobody listens on at this instant.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// Whether this sshd knows `PerSourcePenalties` (OpenSSH 9.8 and later): repeated failed
/// logins in a test must not get 127.0.0.1 penalised.
fn knows_penalties(config: &Path) -> bool {
    static KNOWS: OnceLock<bool> = OnceLock::new();
    *KNOWS.get_or_init(|| {
        Command::new(SSHD)
            .arg("-t")
            .arg("-f")
            .arg(config)
            .args(["-o", "PerSourcePenalties=no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

impl Sshd {
    /// A server with an ed25519 host key whose logins run `force_command`.
    pub fn start(force_command: &str) -> Sshd {
        Sshd::start_with(SshdOptions::new(force_command))
    }

    pub fn start_with(opts: SshdOptions) -> Sshd {
        require_tools();
        ensure_account();
        assert!(
            !opts.force_command.contains('\n'),
            "ForceCommand must be one line"
        );
        // sshd refuses to start without its privilege separation folder.
        let _ = fs::create_dir_all("/run/sshd");
        let dir = fresh_dir();
        let host_keys: Vec<PathBuf> = opts
            .host_key_types
            .iter()
            .map(|t| keygen(&dir, &format!("host_{t}"), t))
            .collect();
        let client_pub = keygen(&dir, "client_ed25519", "ed25519");
        let authorized = dir.join("authorized_keys");
        fs::copy(&client_pub, &authorized).expect("write authorized_keys");
        fs::set_permissions(&authorized, fs::Permissions::from_mode(0o644)).expect("chmod");

        let mut last_log = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            let config = dir.join("sshd_config");
            let mut text = format!(
                "ListenAddress 127.0.0.1:{port}\n\
                 PidFile {d}/sshd.pid\n\
                 AuthorizedKeysFile {d}/authorized_keys\n\
                 UsePAM no\n\
                 StrictModes no\n\
                 PasswordAuthentication yes\n\
                 KbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\n\
                 PermitRootLogin no\n\
                 AllowUsers {TEST_USER}\n\
                 PrintMotd no\n\
                 PrintLastLog no\n\
                 UseDNS no\n\
                 X11Forwarding no\n\
                 AllowTcpForwarding no\n\
                 AllowAgentForwarding no\n\
                 LoginGraceTime 30\n\
                 MaxStartups 100\n\
                 LogLevel VERBOSE\n",
                d = dir.display()
            );
            for k in &host_keys {
                text.push_str(&format!("HostKey {}\n", k.with_extension("").display()));
            }
            for line in &opts.extra_config {
                text.push_str(line);
                text.push('\n');
            }
            // ForceCommand takes the rest of its line verbatim, so it goes last.
            text.push_str(&format!("ForceCommand {}\n", opts.force_command));
            fs::write(&config, &text).expect("write sshd_config");
            if knows_penalties(&config) {
                text = format!("PerSourcePenalties no\n{text}");
                fs::write(&config, &text).expect("write sshd_config");
            }
            let log = dir.join("sshd.log");
            let _ = fs::remove_file(&log);
            let stderr = fs::File::create(dir.join("sshd.stderr")).expect("create sshd.stderr");
            let mut child = Command::new(SSHD)
                .arg("-D")
                .arg("-f")
                .arg(&config)
                .arg("-E")
                .arg(&log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
            // Ready when sshd itself says it listens: a TCP probe could reach another server
            // that took the same port.
            let deadline = Instant::now() + Duration::from_secs(10);
            let listening = format!("Server listening on 127.0.0.1 port {port}");
            loop {
                let text = fs::read_to_string(&log).unwrap_or_default();
                if text.contains(&listening) {
                    return Sshd {
                        port,
                        dir: dir.clone(),
                        user: TEST_USER.to_string(),
                        password: TEST_PASSWORD.to_string(),
                        client_key: client_pub.with_extension(""),
                        host_keys,
                        child,
                    };
                }
                let exited = matches!(child.try_wait(), Ok(Some(_)));
                if exited || Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_log = format!(
                        "{text}{}",
                        fs::read_to_string(dir.join("sshd.stderr")).unwrap_or_default()
                    );
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if !last_log.contains("Address already in use") {
                break;
            }
        }
        let _ = fs::remove_dir_all(&dir);
        panic!("sshd did not start; its log:\n{last_log}");
    }

    /// Fingerprint of the first host key.
    pub fn host_fingerprint(&self) -> String {
        fingerprint(&self.host_keys[0])
    }

    /// `[127.0.0.1]:PORT`, the server's name in known_hosts.
    pub fn known_hosts_name(&self) -> String {
        format!("[127.0.0.1]:{}", self.port)
    }

    /// Fails the test when a password reached the daemon (accepted or refused): a refused host
    /// key must stop the login before any secret is sent.
    pub fn assert_no_password_tried(&self) {
        let log = self.log();
        assert!(
            !log.contains("Accepted password") && !log.contains("Failed password"),
            "a password was tried: {log}"
        );
    }

    /// The daemon's log so far (for failure messages).
    pub fn log(&self) -> String {
        format!(
            "{}{}",
            fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default(),
            fs::read_to_string(self.dir.join("sshd.stderr")).unwrap_or_default()
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// An `ssh-agent` of the test's own, holding one key, on a socket in `dir`. Dropping it kills
/// the agent. Tests pass `socket` as `SSH_AUTH_SOCK` to a child process, never by changing
/// their own environment (other tests run in the same process).
pub struct Agent {
    pub socket: PathBuf,
    child: Child,
}

impl Agent {
    pub fn start(dir: &Path, private_key: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start ssh-agent (openssh-client): {e}"));
        let agent = Agent { socket, child };
        let deadline = Instant::now() + Duration::from_secs(5);
        while !agent.socket.exists() {
            assert!(
                Instant::now() < deadline,
                "ssh-agent did not create its socket"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Err(e) = run(Command::new("ssh-add")
            .arg("-q")
            .arg(private_key)
            .env("SSH_AUTH_SOCK", &agent.socket))
        {
            panic!("{e}");
        }
        agent
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
