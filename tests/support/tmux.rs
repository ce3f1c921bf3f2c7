//! A real terminal for end-to-end tests: a tmux server of the test's own (private socket), a
//! pane of a given size, keys typed into it and the screen read back; and the binary to run
//! in it (the release build, as a user runs it).
//!
//! tmux is required (`apt-get install tmux`; `tests/run.sh` installs it): without it the tests
//! fail, they are never skipped. The server is killed when the value is dropped, also when the
//! test fails.

// Also taken on its own (`#[path = "support/tmux.rs"]`) by test files that need only this
// helper, where most of it is unused.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The binary to drive: the release build when it is there and newer than the test profile's
/// build (CI builds it first and must use it); otherwise the binary cargo built for the tests.
pub fn binary() -> PathBuf {
    let debug = PathBuf::from(env!("CARGO_BIN_EXE_tunnelscope"));
    let release = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/tunnelscope");
    let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    if std::env::var("CI").as_deref() == Ok("true") {
        assert!(
            release.exists(),
            "CI must build the release binary first (cargo build --release)"
        );
        return release;
    }
    match (modified(&release), modified(&debug)) {
        (Some(r), Some(d)) if r >= d => release,
        (Some(_), None) => release,
        _ => debug,
    }
}

pub struct Tmux {
    pub dir: PathBuf,
    socket: PathBuf,
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tmux_missing(e: std::io::Error) -> ! {
    panic!(
        "cannot run tmux ({e}): these end-to-end tests need it; install it \
         (Debian/Ubuntu: `apt-get install tmux`)"
    )
}

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

impl Tmux {
    /// A server whose one pane runs `command` (a shell line) at `width` x `height`, with `env`
    /// set in the server's environment (so secrets never appear on a command line).
    pub fn start_with(width: u16, height: u16, command: &str, env: &[(&str, &str)]) -> Tmux {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ts-tmux-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("tmux test directory");
        let t = Tmux {
            socket: dir.join("sock"),
            dir,
        };
        let mut c = t.cmd();
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c
            .args(["-f", "/dev/null", "new-session", "-d", "-s", "ts", "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .arg(command)
            .output()
            .unwrap_or_else(|e| tmux_missing(e));
        assert!(out.status.success(), "tmux new-session: {}", err(&out));
        t.ok(&["set", "-g", "escape-time", "0"]);
        t.ok(&["set", "-g", "remain-on-exit", "on"]);
        // The size asked for, whatever clients come and go.
        t.ok(&["set", "-g", "window-size", "manual"]);
        let (w, h) = (width.to_string(), height.to_string());
        t.ok(&["resize-window", "-t", "ts", "-x", &w, "-y", &h]);
        let size = t.display("#{pane_width}x#{pane_height}");
        assert_eq!(size, format!("{width}x{height}"), "pane size");
        t
    }

    /// A server with a plain shell in its pane.
    pub fn start(width: u16, height: u16) -> Tmux {
        Tmux::start_with(width, height, "env PS1='$ ' sh", &[])
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(&self.socket).env_remove("TMUX");
        c
    }

    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self
            .cmd()
            .args(args)
            .output()
            .unwrap_or_else(|e| tmux_missing(e));
        assert!(out.status.success(), "tmux {args:?}: {}", err(&out));
        out
    }

    pub fn display(&self, format: &str) -> String {
        let out = self.ok(&["display-message", "-p", "-t", "ts", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The pane's process id (the program, when it was started as the pane's command).
    pub fn pane_pid(&self) -> u32 {
        self.display("#{pane_pid}").parse().unwrap_or(0)
    }

    /// Whether the pane's program has ended, and its exit status.
    pub fn exited(&self) -> Option<i32> {
        if self.display("#{pane_dead}") == "1" {
            if let Ok(code) = self.display("#{pane_dead_status}").parse() {
                return Some(code);
            }
            // Dead by a signal: tmux gives the signal, not a status.
            if let Ok(sig) = self.display("#{pane_dead_signal}").parse::<i32>() {
                return Some(128 + sig);
            }
            return Some(zombie_status(self.pane_pid()).unwrap_or(-1));
        }
        // tmux (3.3a seen here) sometimes leaves its pane's process a zombie for a long time
        // before it reaps it and marks the pane dead: the program has ended all the same, and
        // the kernel keeps its exit status for the parent (field 52 of /proc/PID/stat, in
        // wait(2)'s encoding).
        zombie_status(self.pane_pid())
    }

    /// Text typed as is.
    pub fn type_text(&self, text: &str) {
        self.ok(&["send-keys", "-t", "ts", "-l", text]);
    }

    /// Keys by tmux's names (`Enter`, `Down`, `Escape`, `Tab`), or characters.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "ts"];
        args.extend_from_slice(keys);
        self.ok(&args);
    }

    /// The screen as text.
    pub fn capture(&self) -> String {
        let out = self.ok(&["capture-pane", "-p", "-t", "ts"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen with its colours as escape sequences.
    pub fn capture_ansi(&self) -> String {
        let out = self.ok(&["capture-pane", "-p", "-e", "-t", "ts"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Capture every 200 ms until `ok` holds, up to `within`; the screen that satisfied it.
    pub fn wait(&self, what: &str, within: Duration, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let screen = self.capture();
            if ok(&screen) {
                return screen;
            }
            if Instant::now() >= deadline {
                panic!(
                    "not seen within {} s: {what}\n--- screen ---\n{screen}--- end ---",
                    within.as_secs_f64()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn wait_for(&self, text: &str, within: Duration) -> String {
        self.wait(&format!("{text:?}"), within, |s| s.contains(text))
    }
}

/// The exit status of process `pid` if it has ended and is not yet reaped (a zombie): the exit
/// code, or 128 + the signal that ended it, as a shell reports it.
pub fn zombie_status(pid: u32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (the state); field 52 (exit_code) is fields[49].
    if fields.first() != Some(&"Z") {
        return None;
    }
    let raw: i32 = fields.get(49)?.parse().ok()?;
    let signal = raw & 0x7f;
    Some(if signal == 0 {
        (raw >> 8) & 0xff
    } else {
        128 + signal
    })
}
