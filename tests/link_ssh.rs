//! The SSH link against a real OpenSSH sshd (see tests/support/sshd.rs): password, key-file and
//! ssh-agent login, a wrong password, the router hanging up, unknown / accepted / known /
//! changed host keys under each policy (`ask` both on a terminal and without one), a known
//! host offering a key of another type (refused under every policy) or several types (the
//! recorded one is asked for), the known_hosts file as created (0600, no blank first line, no
//! symbolic link followed), the legacy algorithms old routers need, and a refused connection.
//!
//! The tests that start sshd need root (sshd logs in a local test account): they are marked
//! `needs root`, and `tests/run.sh` runs them when run as root (as CI does).

mod support;

use support::sshd;

use sshd::{Sshd, SshdOptions};
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tunnelscope::link::{open_ssh, HostKeyPolicy, Link, LinkError, LinkOptions, Secret};

/// A stand-in for a router's CLI: shows what pty it got, prints a prompt, and answers each
/// line it reads. Through a pty the line also comes back as echo, so the test looks for the
/// `got:` answer, which only the command itself prints.
const CLI: &str = r#"printf 'TERM=%s SIZE=%s\n' "$TERM" "$(stty size)"; printf 'SecOff Peer1> '; while IFS= read -r l; do printf 'got:%s\nSecOff Peer1> ' "$l"; done"#;

fn opts(sshd: &Sshd, policy: HostKeyPolicy) -> LinkOptions {
    let mut o = LinkOptions::default();
    o.ssh.host_key = policy;
    o.ssh.known_hosts = Some(sshd.dir.join("client_known_hosts"));
    o.ssh.keepalive_secs = 15;
    o
}

fn with_password(mut o: LinkOptions, password: &str) -> LinkOptions {
    o.password = Some(Secret::new(password));
    o
}

async fn open(sshd: &Sshd, o: &LinkOptions) -> Result<Link, LinkError> {
    tokio::time::timeout(
        Duration::from_secs(40),
        open_ssh(&sshd.user, "127.0.0.1", sshd.port, o),
    )
    .await
    .expect("open_ssh hung")
}

async fn open_err(sshd: &Sshd, o: &LinkOptions) -> String {
    match open(sshd, o).await {
        Ok(_) => panic!("the link opened but should not have"),
        Err(e) => e.to_string(),
    }
}

/// Read until `needle` has arrived; returns everything read.
async fn read_until(link: &mut Link, needle: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if String::from_utf8_lossy(&got).contains(needle) {
                return true;
            }
            match link.reader.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .unwrap_or(false);
    let text = String::from_utf8_lossy(&got).into_owned();
    assert!(found, "{needle:?} never arrived; got {text:?}");
    text
}

/// The link carries bytes both ways through a vt100 80x24 pty, starting at the prompt.
async fn check_console(link: &mut Link, sshd: &Sshd) {
    check_console_of(link, &sshd.user, sshd.port).await
}

async fn check_console_of(link: &mut Link, user: &str, port: u16) {
    assert_eq!(link.description, format!("ssh {user}@127.0.0.1:{port}"));
    assert!(link.authenticated);
    assert_eq!(link.bytes_per_sec, None);
    let banner = read_until(link, "SecOff Peer1> ").await;
    assert!(banner.contains("TERM=vt100 SIZE=24 80"), "{banner:?}");
    link.writer.write_all(b"show isakmp sa\r").await.unwrap();
    link.writer.flush().await.unwrap();
    read_until(link, "got:show isakmp sa").await;
    link.writer.write_all(b"show ipsec sa\r").await.unwrap();
    link.writer.flush().await.unwrap();
    read_until(link, "got:show ipsec sa").await;
}

#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn password_login_reaches_the_console() {
    let sshd = Sshd::start(CLI);
    let o = with_password(opts(&sshd, HostKeyPolicy::AcceptNew), &sshd.password);
    let mut link = open(&sshd, &o)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()));
    check_console(&mut link, &sshd).await;
}

/// When the router ends the session, the reader sees the end of the stream (the session
/// driver's cue to reconnect), rather than hanging.
#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn router_hanging_up_ends_the_stream() {
    let sshd = Sshd::start("printf 'SecOff Peer1> '; read -r l; printf 'bye\\n'; exit 0");
    let o = with_password(opts(&sshd, HostKeyPolicy::AcceptNew), &sshd.password);
    let mut link = open(&sshd, &o).await.unwrap();
    read_until(&mut link, "SecOff Peer1> ").await;
    link.writer.write_all(b"logoff\r").await.unwrap();
    read_until(&mut link, "bye").await;
    let mut rest = Vec::new();
    let end = tokio::time::timeout(Duration::from_secs(10), link.reader.read_to_end(&mut rest))
        .await
        .expect("the stream did not end after the router hung up");
    assert!(end.is_ok(), "{end:?}");
}

#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn key_login_reaches_the_console() {
    let sshd = Sshd::start(CLI);
    let mut o = opts(&sshd, HostKeyPolicy::AcceptNew);
    o.ssh.identity = Some(sshd.client_key.clone());
    let mut link = open(&sshd, &o)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()));
    check_console(&mut link, &sshd).await;
    assert!(
        sshd.log().contains("Accepted publickey for tsuser"),
        "{}",
        sshd.log()
    );
}

#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn wrong_password_is_a_clear_error() {
    let sshd = Sshd::start(CLI);
    let o = with_password(opts(&sshd, HostKeyPolicy::AcceptNew), "not-the-password");
    let e = open_err(&sshd, &o).await;
    assert_eq!(
        e,
        "authentication failed for tsuser@127.0.0.1: wrong password or key"
    );
    // A key the server does not know, then a wrong password: still the same clear error.
    let mut o = o;
    o.ssh.identity = Some(sshd::keygen(&sshd.dir, "stranger", "ed25519").with_extension(""));
    let e = open_err(&sshd, &o).await;
    assert!(e.contains("wrong password or key"), "{e}");
    assert!(!e.contains("not-the-password"), "the password leaked: {e}");
}

#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn unknown_key_accept_new_records_it_and_then_it_is_known() {
    let sshd = Sshd::start(CLI);
    let o = with_password(opts(&sshd, HostKeyPolicy::AcceptNew), &sshd.password);
    let kh = o.ssh.known_hosts.clone().unwrap();
    assert!(!kh.exists());
    drop(open(&sshd, &o).await.unwrap());
    let text = std::fs::read_to_string(&kh).unwrap();
    let expected = format!(
        "{} {}",
        sshd.known_hosts_name(),
        sshd::key_line(&sshd.host_keys[0])
    );
    assert!(
        text.lines().any(|l| l.trim() == expected),
        "{expected:?} not in {text:?}"
    );
    // Now known: strict accepts it, and nothing more is written.
    let mut strict = o.clone();
    strict.ssh.host_key = HostKeyPolicy::Strict;
    let mut link = open(&sshd, &strict).await.unwrap();
    check_console(&mut link, &sshd).await;
    assert_eq!(std::fs::read_to_string(&kh).unwrap(), text);
}

#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn unknown_key_strict_is_refused_with_its_fingerprint() {
    let sshd = Sshd::start(CLI);
    let o = with_password(opts(&sshd, HostKeyPolicy::Strict), &sshd.password);
    let e = open_err(&sshd, &o).await;
    assert!(e.contains(&sshd.host_fingerprint()), "{e}");
    assert!(e.contains("not known"), "{e}");
    assert!(e.contains("--host-key accept-new"), "{e}");
    assert!(!o.ssh.known_hosts.unwrap().exists());
}

/// How `child_case` runs in its own process: without a terminal (setsid), on a pty fed an
/// answer (script), or plainly with its own `SSH_AUTH_SOCK`.
enum Wrap<'a> {
    NoTerminal,
    Terminal { answer: &'a str },
    Agent(&'a sshd::Agent),
}

/// Run `child_case` (mode `mode`) against `sshd` in another process; return what it printed.
/// Another process because a test cannot drop its controlling terminal, or set an environment
/// variable, without touching the tests running beside it.
fn run_child(sshd: &Sshd, mode: &str, wrap: Wrap) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().unwrap();
    let child_cmd = format!(
        "'{}' --exact child_case --ignored --nocapture --test-threads=1",
        exe.display()
    );
    let mut cmd = match wrap {
        Wrap::NoTerminal => {
            let mut c = Command::new("setsid");
            c.args(["-w", "sh", "-c", &child_cmd]);
            c
        }
        Wrap::Terminal { .. } => {
            let mut c = Command::new("script");
            c.args(["-qec", &child_cmd, "/dev/null"]);
            c
        }
        Wrap::Agent(agent) => {
            let mut c = Command::new("sh");
            c.args(["-c", &child_cmd])
                .env("SSH_AUTH_SOCK", &agent.socket);
            c
        }
    };
    if !matches!(wrap, Wrap::Agent(_)) {
        // The child must not find the developer's own agent.
        cmd.env_remove("SSH_AUTH_SOCK");
    }
    let mut child = cmd
        .env("TS_CHILD_MODE", mode)
        .env("TS_CHILD_PORT", sshd.port.to_string())
        .env("TS_CHILD_KNOWN_HOSTS", sshd.dir.join("client_known_hosts"))
        .env("TS_CHILD_FINGERPRINT", sshd.host_fingerprint())
        .env("TS_CHILD_PASSWORD", &sshd.password)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} (setsid and script: util-linux): {e}"));
    if let (Some(mut stdin), Wrap::Terminal { answer }) = (child.stdin.take(), &wrap) {
        let _ = stdin.write_all(answer.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}\n{}", sshd.log());
    assert!(
        text.contains("1 passed"),
        "the child test did not run: {text}"
    );
    assert!(text.contains("CHILD-CASE-OK"), "{text}");
    text
}

/// `ask` needs a terminal: without one (as under CI or cron) it refuses and says how to
/// accept the key instead.
#[test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
fn unknown_key_ask_without_terminal_is_refused() {
    let sshd = Sshd::start(CLI);
    run_child(&sshd, "no-tty", Wrap::NoTerminal);
}

/// With a terminal, `ask` shows the fingerprint and accepts only `yes`.
#[test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
fn unknown_key_ask_on_a_terminal_takes_yes_or_no() {
    let sshd = Sshd::start(CLI);
    for (mode, answer) in [("no", "no\n"), ("yes", "maybe\nyes\n")] {
        let text = run_child(&sshd, mode, Wrap::Terminal { answer });
        assert!(text.contains("can't be established"), "{text}");
        assert!(text.contains(&sshd.host_fingerprint()), "{text}");
        assert!(
            text.contains("Are you sure you want to continue connecting"),
            "{text}"
        );
        if mode == "yes" {
            assert!(text.contains("Please type 'yes', 'no'"), "{text}");
        }
    }
    let kh = std::fs::read_to_string(sshd.dir.join("client_known_hosts")).unwrap();
    assert!(kh.contains(&sshd::key_line(&sshd.host_keys[0])), "{kh}");
}

/// With no key file and no password, the ssh-agent's key logs in.
#[test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
fn agent_key_login_reaches_the_console() {
    let sshd = Sshd::start(CLI);
    let agent = sshd::Agent::start(&sshd.dir, &sshd.client_key);
    run_child(&sshd, "agent", Wrap::Agent(&agent));
    assert!(
        sshd.log().contains("Accepted publickey for tsuser"),
        "{}",
        sshd.log()
    );
}

/// Run only by the tests above, through `run_child`.
#[tokio::test]
#[ignore = "a helper: run in its own process by the ask and agent tests"]
async fn child_case() {
    let Ok(mode) = std::env::var("TS_CHILD_MODE") else {
        eprintln!("child_case is run by the ask and agent tests");
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap();
    let kh = PathBuf::from(var("TS_CHILD_KNOWN_HOSTS"));
    let fp = var("TS_CHILD_FINGERPRINT");
    let port: u16 = var("TS_CHILD_PORT").parse().unwrap();
    let mut o = LinkOptions::default();
    o.ssh.known_hosts = Some(kh.clone());
    if mode == "agent" {
        o.ssh.host_key = HostKeyPolicy::AcceptNew;
        let mut link = open_ssh(sshd::TEST_USER, "127.0.0.1", port, &o)
            .await
            .unwrap_or_else(|e| panic!("agent login: {e}"));
        check_console_of(&mut link, sshd::TEST_USER, port).await;
        println!("CHILD-CASE-OK");
        return;
    }
    let have_tty = std::fs::File::open("/dev/tty").is_ok();
    assert_eq!(
        have_tty,
        mode != "no-tty",
        "terminal or not, as the test meant"
    );
    o.ssh.host_key = HostKeyPolicy::Ask;
    o.password = Some(Secret::new(var("TS_CHILD_PASSWORD")));
    let r = tokio::time::timeout(
        Duration::from_secs(30),
        open_ssh(sshd::TEST_USER, "127.0.0.1", port, &o),
    )
    .await
    .expect("open_ssh hung waiting for an answer");
    match (mode.as_str(), r) {
        ("yes", Ok(_)) => assert!(std::fs::read_to_string(&kh)
            .unwrap()
            .contains("ssh-ed25519")),
        ("yes", Err(e)) => panic!("refused after yes: {e}"),
        (_, Ok(_)) => panic!("accepted an unknown key without a yes"),
        ("no", Err(e)) => {
            let e = e.to_string();
            assert!(e.contains("not accepted") && e.contains(&fp), "{e}");
            assert!(!kh.exists());
        }
        (_, Err(e)) => {
            let e = e.to_string();
            assert!(e.contains("--host-key accept-new"), "{e}");
            assert!(e.contains("no terminal"), "{e}");
            assert!(e.contains(&fp), "{e}");
            assert!(!kh.exists());
        }
    }
    println!("CHILD-CASE-OK");
}

#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn changed_key_is_refused_with_both_fingerprints_and_the_line() {
    let sshd = Sshd::start(CLI);
    let other = sshd::keygen(&sshd.dir, "old_router_key", "ed25519");
    // Even accept-new never replaces a changed key.
    let o = with_password(opts(&sshd, HostKeyPolicy::AcceptNew), &sshd.password);
    let kh = o.ssh.known_hosts.clone().unwrap();
    let before = format!(
        "# routers\n\n10.9.9.9 {k}\n{name} {k}\n",
        name = sshd.known_hosts_name(),
        k = sshd::key_line(&other)
    );
    std::fs::write(&kh, &before).unwrap();
    let e = open_err(&sshd, &o).await;
    assert!(e.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"), "{e}");
    assert!(
        e.contains(&sshd::fingerprint(&other)),
        "old key missing: {e}"
    );
    assert!(e.contains(&sshd.host_fingerprint()), "new key missing: {e}");
    assert!(e.contains("line 4"), "{e}");
    assert!(e.contains(&kh.display().to_string()), "{e}");
    assert_eq!(std::fs::read_to_string(&kh).unwrap(), before);
}

/// A known host that now offers a key of another type only (the router's ed25519 key was
/// recorded; it came back with only an RSA key) is refused under every policy, as OpenSSH
/// refuses it, with both fingerprints, and known_hosts is left as it was; no password is sent.
#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn known_host_offering_another_key_type_is_refused_under_every_policy() {
    let sshd = Sshd::start_with(SshdOptions::new(CLI).host_keys(&["rsa"]));
    let recorded = sshd::keygen(&sshd.dir, "recorded_ed25519", "ed25519");
    let kh = sshd.dir.join("client_known_hosts");
    let before = format!(
        "{} {}\n",
        sshd.known_hosts_name(),
        sshd::key_line(&recorded)
    );
    for policy in [
        HostKeyPolicy::AcceptNew,
        HostKeyPolicy::Strict,
        HostKeyPolicy::Ask,
    ] {
        std::fs::write(&kh, &before).unwrap();
        let o = with_password(opts(&sshd, policy), &sshd.password);
        let e = open_err(&sshd, &o).await;
        assert!(
            e.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
            "{policy:?}: {e}"
        );
        assert!(
            e.contains(&sshd::fingerprint(&recorded)),
            "{policy:?}: the recorded key is missing: {e}"
        );
        assert!(
            e.contains(&sshd.host_fingerprint()),
            "{policy:?}: the offered key is missing: {e}"
        );
        assert!(e.contains("ED25519") && e.contains("RSA"), "{e}");
        assert!(e.contains("line 1"), "{e}");
        assert_eq!(std::fs::read_to_string(&kh).unwrap(), before, "{policy:?}");
    }
    sshd.assert_no_password_tried();
}

/// A host with several host keys, of which known_hosts holds one type (RSA here, while
/// ed25519 comes first in the default order): the recorded type is asked for, so the host is
/// known and strict accepts it, with nothing added to the file.
#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn known_key_type_is_preferred_for_a_host_with_several_keys() {
    let sshd = Sshd::start_with(SshdOptions::new(CLI).host_keys(&["ed25519", "rsa"]));
    let kh = sshd.dir.join("client_known_hosts");
    let before = format!(
        "{} {}\n",
        sshd.known_hosts_name(),
        sshd::key_line(&sshd.host_keys[1])
    );
    std::fs::write(&kh, &before).unwrap();
    for policy in [HostKeyPolicy::Strict, HostKeyPolicy::AcceptNew] {
        let o = with_password(opts(&sshd, policy), &sshd.password);
        let mut link = open(&sshd, &o)
            .await
            .unwrap_or_else(|e| panic!("{policy:?}: {e}\n{}", sshd.log()));
        check_console(&mut link, &sshd).await;
        assert_eq!(std::fs::read_to_string(&kh).unwrap(), before, "{policy:?}");
    }
}

/// A key learned into a new known_hosts: the file starts with the key's line (no blank line
/// first), is 0600 in a 0700 folder created for it, and a symbolic link there is refused.
#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn learned_known_hosts_file_is_private_and_starts_with_the_key() {
    use std::os::unix::fs::PermissionsExt;
    let sshd = Sshd::start(CLI);
    let mut o = with_password(opts(&sshd, HostKeyPolicy::AcceptNew), &sshd.password);
    let kh = sshd.dir.join("new_ssh_dir").join("known_hosts");
    o.ssh.known_hosts = Some(kh.clone());
    drop(open(&sshd, &o).await.unwrap());
    let text = std::fs::read_to_string(&kh).unwrap();
    assert_eq!(
        text,
        format!(
            "{} {}\n",
            sshd.known_hosts_name(),
            sshd::key_line(&sshd.host_keys[0])
        )
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&kh), 0o600);
    assert_eq!(mode(kh.parent().unwrap()), 0o700);
    // A link planted at the known_hosts path, to another user's file, is not written
    // through. (A link to the user's own file is followed, as OpenSSH follows a dotfile
    // manager's link; the test runs as root, so the victim is given to `nobody`.)
    let victim = sshd.dir.join("victim");
    std::fs::write(&victim, "keep\n").unwrap();
    std::os::unix::fs::chown(&victim, Some(65534), Some(65534)).unwrap();
    let link = sshd.dir.join("linked_known_hosts");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    o.ssh.known_hosts = Some(link);
    let e = open_err(&sshd, &o).await;
    assert!(e.contains("symbolic link"), "{e}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep\n");
}

/// A server that only speaks the old algorithms `restriction` names.
fn legacy_server(restriction: &[&str], host_key: &'static str) -> Sshd {
    Sshd::start_with(
        SshdOptions::new(CLI)
            .host_keys(&[host_key])
            .config(restriction),
    )
}

async fn legacy_needed(sshd: &Sshd, what: &str) {
    let o = with_password(opts(sshd, HostKeyPolicy::AcceptNew), &sshd.password);
    let e = open_err(sshd, &o).await;
    assert!(e.contains("--legacy-ssh"), "{what}: {e}");
    assert!(e.contains(what), "{what}: {e}");
    let mut legacy = o;
    legacy.ssh.legacy = true;
    let mut link = open(sshd, &legacy)
        .await
        .unwrap_or_else(|e| panic!("{what} with --legacy-ssh: {e}\n{}", sshd.log()));
    check_console(&mut link, sshd).await;
}

#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn old_router_algorithms_need_legacy_ssh() {
    // Everything an old AlliedWare release speaks, at once.
    let all = legacy_server(
        &[
            "KexAlgorithms diffie-hellman-group14-sha1",
            "Ciphers aes128-cbc",
            "MACs hmac-sha1",
            "HostKeyAlgorithms ssh-rsa",
        ],
        "rsa",
    );
    legacy_needed(&all, "key exchange").await;
    drop(all);
    // Each kind alone, so each of them is known to be covered by --legacy-ssh.
    for (lines, key, what) in [
        (
            &["KexAlgorithms diffie-hellman-group1-sha1"][..],
            "ed25519",
            "key exchange",
        ),
        (&["Ciphers aes256-cbc"][..], "ed25519", "cipher"),
        (
            &["Ciphers aes128-ctr", "MACs hmac-sha1"][..],
            "ed25519",
            "MAC",
        ),
        (&["HostKeyAlgorithms ssh-rsa"][..], "rsa", "host key"),
    ] {
        let sshd = legacy_server(lines, key);
        legacy_needed(&sshd, what).await;
    }
}

#[tokio::test]
async fn connection_refused_is_a_clear_error() {
    let port = sshd::free_port();
    let mut o = LinkOptions::default();
    // Never touch the real ~/.ssh (nor depend on HOME being set).
    o.ssh.known_hosts = Some(std::env::temp_dir().join("tunnelscope-refused-known_hosts"));
    match open_ssh("secoff", "127.0.0.1", port, &o).await {
        Err(LinkError::Connect { addr, reason }) => {
            assert_eq!(addr, format!("127.0.0.1:{port}"));
            assert!(reason.contains("refused"), "{reason}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("connected to a closed port"),
    }
}

/// A key on an `@revoked` line is refused under every policy, alone or beside a plain line
/// for the same key (OpenSSH refuses it so); nothing is appended and no password is sent.
#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn revoked_host_key_is_refused_under_every_policy() {
    let sshd = Sshd::start(CLI);
    let kh = sshd.dir.join("client_known_hosts");
    let name = sshd.known_hosts_name();
    let key = sshd::key_line(&sshd.host_keys[0]);
    let revoked = format!("@revoked {name} {key}\n");
    let both = format!("{name} {key}\n@revoked {name} {key}\n");
    for (text, line) in [(&revoked, "line 1"), (&both, "line 2")] {
        for policy in [
            HostKeyPolicy::AcceptNew,
            HostKeyPolicy::Strict,
            HostKeyPolicy::Ask,
        ] {
            std::fs::write(&kh, text).unwrap();
            let o = with_password(opts(&sshd, policy), &sshd.password);
            let e = open_err(&sshd, &o).await;
            assert!(e.contains("revoked"), "{policy:?}: {e}");
            assert!(e.contains(line), "{policy:?}: {e}");
            assert!(e.contains(&sshd.host_fingerprint()), "{policy:?}: {e}");
            assert_eq!(&std::fs::read_to_string(&kh).unwrap(), text, "{policy:?}");
        }
    }
    sshd.assert_no_password_tried();
}

/// An `@cert-authority` line holding the host's own key is not a record of that key: under
/// strict the host is still unknown.
#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn cert_authority_line_is_not_a_host_key() {
    let sshd = Sshd::start(CLI);
    let kh = sshd.dir.join("client_known_hosts");
    let text = format!(
        "@cert-authority {} {}\n",
        sshd.known_hosts_name(),
        sshd::key_line(&sshd.host_keys[0])
    );
    std::fs::write(&kh, &text).unwrap();
    let o = with_password(opts(&sshd, HostKeyPolicy::Strict), &sshd.password);
    let e = open_err(&sshd, &o).await;
    assert!(e.contains("is not known"), "{e}");
    assert_eq!(std::fs::read_to_string(&kh).unwrap(), text);
}

/// A pre-login banner that is not valid UTF-8 (a lone 0x9b byte) cannot be read by the SSH
/// library, which drops the connection: the error says so, instead of blaming missing
/// credentials ("no password or key to log in with (the router accepts: )"). A UTF-8 banner
/// logs in.
#[tokio::test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
async fn banner_that_is_not_utf8_is_named_and_a_utf8_banner_logs_in() {
    let banners = std::env::temp_dir().join(format!("tunnelscope-banner-{}", std::process::id()));
    std::fs::create_dir_all(&banners).unwrap();
    let bad = banners.join("bad");
    std::fs::write(&bad, b"Authorised use only \x9b\n").unwrap();
    let good = banners.join("good");
    std::fs::write(&good, "Autorisé – authorised use only\n").unwrap();

    let sshd =
        Sshd::start_with(SshdOptions::new(CLI).config(&[format!("Banner {}", bad.display())]));
    let o = with_password(opts(&sshd, HostKeyPolicy::AcceptNew), &sshd.password);
    let e = open_err(&sshd, &o).await;
    assert!(e.contains("banner is not valid UTF-8"), "{e}");
    assert!(!e.contains("no password or key to log in with"), "{e}");
    drop(sshd);

    let sshd =
        Sshd::start_with(SshdOptions::new(CLI).config(&[format!("Banner {}", good.display())]));
    let o = with_password(opts(&sshd, HostKeyPolicy::AcceptNew), &sshd.password);
    let mut link = open(&sshd, &o)
        .await
        .expect("a UTF-8 banner must not stop the login");
    check_console(&mut link, &sshd).await;
    let _ = std::fs::remove_dir_all(&banners);
}
