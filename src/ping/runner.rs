//! Runs the system `ping` as a child process and streams its events over a channel. The child
//! dies with the handle (stop, drop, or the task dropped) and is always waited for, so no
//! zombie is left behind.

use super::command::{PingCommand, PingRequest, PingTarget};
use super::parse::PingParser;
use super::PingEvent;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Events buffered before the runner waits for the reader; a ping makes a few a second.
const CHANNEL: usize = 256;

/// Stops the ping when told to or when dropped.
#[derive(Debug)]
pub struct PingHandle {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl PingHandle {
    /// Ask the ping to stop; the runner kills it, reaps it, and sends `Finished`.
    pub fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// The runner has finished (the process is gone and waited for).
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Wait until the runner has finished, without stopping it.
    pub async fn join(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for PingHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Ping `addr` with this machine's `ping`, `count` times or until stopped. Must be called
/// inside a tokio runtime.
pub fn spawn_system_ping(
    addr: &str,
    count: Option<u32>,
    interval: Duration,
) -> (mpsc::Receiver<PingEvent>, PingHandle) {
    let req = PingRequest::new(addr, count).interval(interval);
    match PingTarget::system().command(&req) {
        Ok(cmd) => spawn_command(cmd),
        Err(e) => refuse(e.to_string()),
    }
}

/// Run a prepared command (any program whose output is in `cmd.form`).
pub fn spawn_command(cmd: PingCommand) -> (mpsc::Receiver<PingEvent>, PingHandle) {
    let (tx, rx) = mpsc::channel(CHANNEL);
    let (stop_tx, stop_rx) = oneshot::channel();
    let task = tokio::spawn(run(cmd, tx, stop_rx));
    (
        rx,
        PingHandle {
            stop: Some(stop_tx),
            task: Some(task),
        },
    )
}

/// A ping that cannot start: the error and the end, with no process.
fn refuse(error: String) -> (mpsc::Receiver<PingEvent>, PingHandle) {
    let (tx, rx) = mpsc::channel(2);
    let _ = tx.try_send(PingEvent::Error(error));
    let _ = tx.try_send(PingEvent::Finished {
        exit: None,
        stopped: false,
    });
    (
        rx,
        PingHandle {
            stop: None,
            task: None,
        },
    )
}

async fn run(cmd: PingCommand, tx: mpsc::Sender<PingEvent>, mut stop: oneshot::Receiver<()>) {
    let mut command = Command::new(&cmd.program);
    command
        .args(&cmd.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A clean environment: nothing of ours (a password, an agent socket) reaches the
        // child; it gets the PATH to find its program and the C locale, as the parsers read
        // English and iputils and BSD ping translate their messages.
        .env_clear()
        .envs(std::env::var_os("PATH").map(|p| ("PATH", p)))
        .env("LC_ALL", "C")
        .env("LANG", "C")
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            let hint = if e.kind() == std::io::ErrorKind::NotFound {
                " (is a ping installed? on Debian: apt-get install iputils-ping)"
            } else {
                ""
            };
            let _ = tx
                .send(PingEvent::Error(format!(
                    "could not start `{}`: {e}{hint}",
                    cmd.program
                )))
                .await;
            let _ = tx
                .send(PingEvent::Finished {
                    exit: None,
                    stopped: false,
                })
                .await;
            return;
        }
    };
    let started = PingEvent::Started {
        command: cmd.display(),
        pid: child.id(),
    };
    let mut stopped = tx.send(started).await.is_err();
    let mut saw_error = false;
    if !stopped {
        let outcome = pump(&mut child, &cmd, &tx, &mut stop).await;
        stopped = outcome.stopped;
        saw_error = outcome.saw_error;
    }
    let status = if stopped {
        // start_kill fails only when the child was already reaped; wait either way.
        let _ = child.start_kill();
        child.wait().await
    } else {
        tokio::select! {
            s = child.wait() => s,
            _ = &mut stop => {
                stopped = true;
                let _ = child.start_kill();
                child.wait().await
            }
        }
    };
    let exit = status.ok().and_then(|s| s.code());
    // iputils exits 1 when packets got no reply (the events say so) and 2 on other failures.
    if !stopped && !saw_error && exit.is_some_and(|c| c >= 2) {
        let _ = tx
            .send(PingEvent::Error(format!(
                "`{}` failed with exit status {}",
                cmd.display(),
                exit.unwrap_or_default()
            )))
            .await;
    }
    let _ = tx.send(PingEvent::Finished { exit, stopped }).await;
}

struct Outcome {
    stopped: bool,
    saw_error: bool,
}

/// Read both pipes until they close, the handle says stop, or nobody listens any more.
async fn pump(
    child: &mut Child,
    cmd: &PingCommand,
    tx: &mpsc::Sender<PingEvent>,
    stop: &mut oneshot::Receiver<()>,
) -> Outcome {
    let mut outcome = Outcome {
        stopped: false,
        saw_error: false,
    };
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        outcome.stopped = true; // cannot happen with piped stdio; kill rather than hang
        return outcome;
    };
    let mut out = BufReader::new(stdout);
    let mut err = BufReader::new(stderr);
    // read_until keeps a partial line in its buffer when select! drops it, so the buffers
    // live across iterations and nothing is lost.
    let (mut out_buf, mut err_buf) = (Vec::new(), Vec::new());
    let (mut out_open, mut err_open) = (true, true);
    let mut parser = PingParser::new(cmd.form);
    while out_open || err_open {
        let (from_stderr, read) = tokio::select! {
            biased;
            _ = &mut *stop => {
                outcome.stopped = true;
                return outcome;
            }
            r = out.read_until(b'\n', &mut out_buf), if out_open => (false, r),
            r = err.read_until(b'\n', &mut err_buf), if err_open => (true, r),
        };
        let buf = if from_stderr {
            &mut err_buf
        } else {
            &mut out_buf
        };
        let mut events = Vec::new();
        match read {
            Ok(n) => {
                if n == 0 {
                    if from_stderr {
                        err_open = false;
                    } else {
                        out_open = false;
                    }
                }
                if !buf.is_empty() {
                    // Windows writes its code page; a stray byte must not end the reading.
                    let line = String::from_utf8_lossy(buf).trim().to_string();
                    buf.clear();
                    events = if from_stderr {
                        parser.feed_stderr(&line)
                    } else {
                        parser.feed(&line)
                    };
                }
            }
            Err(e) => {
                events.push(PingEvent::Error(format!("reading `ping` output: {e}")));
                if from_stderr {
                    err_open = false;
                } else {
                    out_open = false;
                }
            }
        }
        for ev in events {
            outcome.saw_error |= matches!(ev, PingEvent::Error(_));
            if tx.send(ev).await.is_err() {
                outcome.stopped = true; // nobody is listening: stop pinging
                return outcome;
            }
        }
    }
    outcome
}
