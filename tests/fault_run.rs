//! The fault run: the release binary's `connect` on a simulated router over a real serial line
//! (a pty behind a device path), in a real terminal (tmux), for a long session with faults put
//! on the line in a random order: the cable pulled and plugged back, the router rebooted,
//! garbage as at a wrong baud rate, floods of 60 KB lines, and `logoff` typed by the user.
//!
//! Checked throughout and at the end: the program never panics or exits, its memory stays
//! under a fixed budget, the session is back at a logged-in prompt (and polling) after each
//! fault, no secret (the password, a key value typed as an argument) is in any file it wrote,
//! every file it wrote is 0600 in a 0700 folder, and on quit it logs off where it logged in.
//!
//! The length is `FAULT_RUN_SECS` (default 100 s); the order comes from a seed printed at the
//! start (`FAULT_RUN_SEED` repeats a run).

mod support;

use support::{pty, tmux, Rng};

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc;
use tunnelscope::sim::serve::SharedNet;
use tunnelscope::sim::{ConsoleConfig, Scenario, Start};

/// RSS budget for the whole run, whatever the faults.
const RSS_BUDGET_KB: u64 = 200 * 1024;
/// The password of the simulator's manager account; it must be in no file.
const PASSWORD: &str = "friend";
/// A key value typed as a command argument; it must be in no file either.
const KEY_VALUE: &str = "FaultRunKey0123456789abcdef";
/// The line's rate (characters a second): 115200 baud.
const RATE: usize = 11_520;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Cut,
    Reboot,
    Garbage,
    Flood,
    Logoff,
}

/// What crossed the line since the last fault, as text, to judge the session's state.
#[derive(Default)]
struct Wire {
    from_router: String,
    to_router: String,
    /// Everything the program sent over the whole run (to check the logoff at the end).
    all_to_router: String,
    all_from_router_tail: String,
}

impl Wire {
    fn reset(&mut self) {
        self.from_router.clear();
        self.to_router.clear();
    }

    /// Logged in again and polling: a prompt came after the last login prompt, and the
    /// program sent a `show` command that the router then answered with a prompt.
    fn logged_in_and_polling(&self) -> bool {
        let prompt = "Manager Peer1> ";
        let last_login = self.from_router.rfind("login: ");
        let last_prompt = self.from_router.rfind(prompt);
        let prompt_after_login = match (last_login, last_prompt) {
            (Some(l), Some(p)) => p > l,
            (None, Some(_)) => true,
            _ => false,
        };
        let polled = self.to_router.contains("show ")
            && self
                .from_router
                .matches(prompt)
                .count()
                .saturating_sub(usize::from(last_login.is_some()))
                >= 2;
        prompt_after_login && polled
    }
}

fn push_capped(s: &mut String, more: &str, cap: usize) {
    s.push_str(more);
    if s.len() > cap {
        let mut cut = s.len() - cap / 2;
        while !s.is_char_boundary(cut) {
            cut += 1;
        }
        s.drain(..cut);
    }
}

/// A pty master opened non-blocking, so dropping it closes it at once (a blocking read on
/// tokio's pool would keep it open and the cut would never reach the program).
struct Master(AsyncFd<OwnedFd>);

impl Master {
    fn new(fd: OwnedFd) -> Master {
        // SAFETY: fcntl on a descriptor we own.
        unsafe {
            let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        // SAFETY: the descriptor is owned by the AsyncFd from here on and closed only by it.
        Master(unsafe { AsyncFd::register(fd) }.expect("AsyncFd on the pty master"))
    }

    async fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let mut guard = self.0.readable().await?;
            // SAFETY: read into a buffer we own, of its length.
            let r = guard.try_io(|fd| {
                let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
                if n < 0 {
                    Err(std::io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            match r {
                Ok(res) => return res,
                Err(_would_block) => continue,
            }
        }
    }

    async fn write_all(&self, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            let mut guard = self.0.writable().await?;
            // SAFETY: write from a slice we own, of its length.
            let r = guard.try_io(|fd| {
                let n = unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
                if n < 0 {
                    Err(std::io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            match r {
                Ok(Ok(n)) => data = &data[n..],
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => continue,
            }
        }
        Ok(())
    }
}

/// Garbage as a line at the wrong rate gives: any byte, escape sequences cut short among them.
fn garbage(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        match rng.below(20) {
            0 => v.extend_from_slice(b"\x1b]0;"),
            1 => v.extend_from_slice(b"\x1b[31;"),
            2 => v.extend_from_slice("\u{202e}".as_bytes()),
            3 => v.extend_from_slice(b"\x1bP"),
            _ => v.push(rng.next() as u8),
        }
    }
    v
}

/// The router's side of the cable: the simulator behind a pty at `link`, re-plugged on a cut,
/// with faults applied as they come. Records what crosses the line into `wire`.
async fn router(
    link: PathBuf,
    net: SharedNet,
    mut faults: mpsc::Receiver<Fault>,
    wire: Arc<Mutex<Wire>>,
    seed: u64,
) {
    let mut rng = Rng(seed ^ 0x9e37_79b9_7f4a_7c15);
    let cfg = ConsoleConfig::default();
    'plug: loop {
        let p = pty::open();
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&p.path, &link).expect("symlink the device path");
        let master = Master::new(p.master.try_clone().expect("dup the pty master"));
        drop(p.master);
        let slave = p.slave;
        let mut console = net.console(0, Start::Login, cfg.clone());
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        let mut buf = [0u8; 4096];
        loop {
            let out = console.take_output(RATE / 100);
            if !out.is_empty() {
                let text = String::from_utf8_lossy(&out).into_owned();
                {
                    let mut w = wire.lock().unwrap_or_else(|e| e.into_inner());
                    push_capped(&mut w.from_router, &text, 1 << 20);
                    push_capped(&mut w.all_from_router_tail, &text, 1 << 16);
                }
                if master.write_all(&out).await.is_err() {
                    continue 'plug;
                }
            }
            tokio::select! {
                r = master.read(&mut buf) => match r {
                    Ok(0) | Err(_) => {
                        // The program closed the line (it re-opens after a drop): wait for it.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Ok(n) => {
                        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                        {
                            let mut w = wire.lock().unwrap_or_else(|e| e.into_inner());
                            push_capped(&mut w.to_router, &text, 1 << 20);
                            push_capped(&mut w.all_to_router, &text, 1 << 22);
                        }
                        console.input(&buf[..n], net.now());
                    }
                },
                _ = tick.tick() => console.tick(net.now()),
                f = faults.recv() => {
                    let Some(f) = f else { return };
                    wire.lock().unwrap_or_else(|e| e.into_inner()).reset();
                    match f {
                        Fault::Cut => {
                            // The cable is pulled: the device disappears for a while.
                            drop(master);
                            drop(slave);
                            let _ = std::fs::remove_file(&link);
                            tokio::time::sleep(Duration::from_secs(3)).await;
                            continue 'plug;
                        }
                        Fault::Reboot => {
                            // A power cycle: SAs lost, the boot text, the login prompt.
                            net.net.lock().unwrap_or_else(|e| e.into_inner()).restart(0);
                            let boot = b"\r\nINFO:  Self tests beginning.\r\nINFO:  Router startup complete\r\n";
                            let _ = master.write_all(boot).await;
                            console = net.console(0, Start::Login, cfg.clone());
                        }
                        Fault::Garbage => {
                            let g = garbage(&mut rng, 4096);
                            let _ = master.write_all(&g).await;
                        }
                        Fault::Flood => {
                            for i in 0..5 {
                                let mut line = format!("ISAKMP: long line {i} ").into_bytes();
                                line.resize(60 * 1024, b'x');
                                line.extend_from_slice(b"\r\n");
                                let _ = master.write_all(&line).await;
                            }
                        }
                        // Typed at the screen by the test, not on the line.
                        Fault::Logoff => {}
                    }
                }
            }
        }
    }
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Every file under `dir` (recursively).
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                files_under(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

#[test]
fn long_session_with_faults_on_the_line() {
    let secs: u64 = std::env::var("FAULT_RUN_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let seed: u64 = std::env::var("FAULT_RUN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
                | 1
        });
    eprintln!("fault run: {secs} s, FAULT_RUN_SEED={seed}");

    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let dir = std::env::temp_dir().join(format!("ts-fault-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test directory");
    let link = dir.join("ttyCONSOLE");
    let data = dir.join("data");
    let config = dir.join("config");
    std::fs::create_dir_all(&data).expect("data dir");
    std::fs::create_dir_all(&config).expect("config dir");

    let net = SharedNet::new(Scenario::Healthy);
    let wire = Arc::new(Mutex::new(Wire::default()));
    let (fault_tx, fault_rx) = mpsc::channel(8);
    let _router = rt.spawn(router(link.clone(), net, fault_rx, wire.clone(), seed));
    // The device exists before the program starts.
    let t0 = Instant::now();
    while !link.exists() && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }

    let command = format!(
        "exec env XDG_CONFIG_HOME='{}' XDG_DATA_HOME='{}' '{}' connect serial:{} --baud 115200 --user manager",
        config.display(),
        data.display(),
        tmux::binary().display(),
        link.display()
    );
    let t = tmux::Tmux::start_with(120, 40, &command, &[("TUNNELSCOPE_PASSWORD", PASSWORD)]);
    let pid = t.pane_pid();
    assert!(pid > 0, "the program's pid");

    let logged_in = |what: &str, within: Duration| {
        let end = Instant::now() + within;
        loop {
            if let Some(code) = t.exited() {
                panic!(
                    "the program exited ({code}) during the run, after {what}:\n{}",
                    t.capture()
                );
            }
            if wire
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .logged_in_and_polling()
            {
                return;
            }
            if Instant::now() >= end {
                let w = wire.lock().unwrap_or_else(|e| e.into_inner());
                let tail = |s: &str| s[s.len().saturating_sub(600)..].to_string();
                panic!(
                    "not logged in and polling {} s after {what} (seed {seed})\n--- router sent (tail) ---\n{}\n--- program sent (tail) ---\n{}\n--- screen ---\n{}",
                    within.as_secs(),
                    tail(&w.from_router),
                    tail(&w.to_router),
                    t.capture()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };

    logged_in("start", Duration::from_secs(30));
    // A secret typed as a command argument, once, on the command line of the screen.
    t.type_text(":");
    t.type_text(&format!("create enco key=7 type=general value={KEY_VALUE}"));
    t.keys(&["Enter"]);

    let mut rng = Rng(seed);
    let mut max_rss = rss_kb(pid).unwrap_or(0);
    let mut counts = std::collections::BTreeMap::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        let fault = match rng.below(5) {
            0 => Fault::Cut,
            1 => Fault::Reboot,
            2 => Fault::Garbage,
            3 => Fault::Flood,
            _ => Fault::Logoff,
        };
        *counts.entry(format!("{fault:?}")).or_insert(0u32) += 1;
        eprintln!("{:>5.1} s: {fault:?}", start.elapsed().as_secs_f64());
        if fault == Fault::Logoff {
            wire.lock().unwrap_or_else(|e| e.into_inner()).reset();
            t.type_text(":");
            t.type_text("logoff");
            t.keys(&["Enter"]);
        } else {
            rt.block_on(fault_tx.send(fault))
                .expect("router task alive");
        }
        logged_in(&format!("{fault:?}"), Duration::from_secs(45));
        if let Some(kb) = rss_kb(pid) {
            max_rss = max_rss.max(kb);
        }
        assert!(
            max_rss < RSS_BUDGET_KB,
            "RSS {max_rss} kB over the budget of {RSS_BUDGET_KB} kB after {fault:?}"
        );
        std::thread::sleep(Duration::from_millis(500 + rng.below(2000) as u64));
    }
    eprintln!(
        "faults: {counts:?}; peak RSS {} MB",
        max_rss as f64 / 1024.0
    );
    let screen = t.capture();
    assert!(!screen.contains("panicked"), "{screen}");

    // Quit; the program logs off where it logged in, and ends with status 0.
    t.type_text("q");
    let end = Instant::now() + Duration::from_secs(15);
    let mut answered = false;
    let code = loop {
        if let Some(code) = t.exited() {
            break code;
        }
        let s = t.capture();
        if !answered && s.contains("Quit?") {
            t.type_text("y");
            answered = true;
        }
        if Instant::now() >= end {
            // Where it hangs, for whoever reads the failure (gdb is on the CI machine if
            // installed; without it, the threads' kernel wait channels).
            let stacks = std::process::Command::new("gdb")
                .args([
                    "-p",
                    &pid.to_string(),
                    "-batch",
                    "-ex",
                    "thread apply all bt 12",
                ])
                .output()
                .map(|o| {
                    format!(
                        "{}{}",
                        String::from_utf8_lossy(&o.stdout),
                        String::from_utf8_lossy(&o.stderr)
                    )
                })
                .unwrap_or_else(|e| format!("(no gdb: {e})"));
            let mut tasks = String::new();
            if let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/task")) {
                for t in rd.flatten() {
                    let p = t.path();
                    let read = |f: &str| std::fs::read_to_string(p.join(f)).unwrap_or_default();
                    tasks.push_str(&format!(
                        "{:?}: {} wchan={} stack:\n{}\n",
                        t.file_name(),
                        read("stat").trim(),
                        read("wchan"),
                        read("stack")
                    ));
                }
            }
            let ps = std::process::Command::new("ps")
                .args(["-eo", "pid,ppid,stat,wchan:20,cmd"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            panic!("quit did not end the program within 15 s:\n{s}\n--- threads ---\n{stacks}\n--- tasks ---\n{tasks}\n--- ps ---\n{ps}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(code, 0, "exit status after q:\n{}", t.capture());
    std::thread::sleep(Duration::from_millis(500));
    {
        let w = wire.lock().unwrap_or_else(|e| e.into_inner());
        let sent_tail = &w.all_to_router[w.all_to_router.len().saturating_sub(200)..];
        assert!(
            sent_tail.contains("logoff"),
            "the program logs off on quit; it last sent: {sent_tail:?}"
        );
        assert!(
            w.all_from_router_tail.trim_end().ends_with("login:"),
            "the console is left at its login prompt: {:?}",
            &w.all_from_router_tail[w.all_from_router_tail.len().saturating_sub(200)..]
        );
    }

    // Files: no secret in any, every one 0600, the folders it made 0700.
    let mut files = Vec::new();
    files_under(&data, &mut files);
    assert!(!files.is_empty(), "the run wrote a capture under {data:?}");
    for f in &files {
        let mode = f
            .metadata()
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600, "{f:?} is {mode:o}");
        let bytes = std::fs::read(f).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(PASSWORD), "the password is in {f:?}");
        assert!(!text.contains(KEY_VALUE), "the typed key value is in {f:?}");
        let mut d = f.parent();
        while let Some(p) = d {
            if p == data {
                break;
            }
            let mode = p
                .metadata()
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0);
            assert_eq!(mode, 0o700, "folder {p:?} is {mode:o}");
            d = p.parent();
        }
    }
    drop(t);
    rt.shutdown_timeout(Duration::from_secs(1));
    let _ = std::fs::remove_dir_all(&dir);
}
