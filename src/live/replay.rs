//! Replaying a capture into the live room: the recorded bytes go through the same reader as a
//! live session's (with the user's `--prompt` and `--rules`), at the recorded pace (or faster, or all at once), with the recorded times
//! on the debug lines. Pause, step, faster, slower and "next failure" come from the keys.

use super::action::ReplayControl as Command;
use crate::alliedware::debug::Classifier;
use crate::alliedware::prompt::PromptMatcher;
use crate::capture::read::{self, start_of_day_ms};
use crate::capture::Direction;
use crate::console::reader::Reader;
use crate::console::session::{Event, LoginState, Status};
use crate::console::transcript::Item;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How a replay runs.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// Times the recorded pace (1.0 = as recorded).
    Speed(f64),
    /// Everything at once: the final state.
    Instant,
}

/// What to replay, and how to read it.
pub struct ReplayInput {
    pub path: PathBuf,
    pub pace: Pace,
    pub prompt: PromptMatcher,
    pub rules: &'static Classifier,
    pub dialect: &'static dyn crate::model::Dialect,
    /// The router these events are for.
    pub router: usize,
    /// Milliseconds to wait before the first record: two captures start together where their
    /// recordings did.
    pub offset_ms: u64,
}

/// The recorded time of a record `ms` after a start of day `base` (milliseconds).
fn time_of(base: u64, ms: u64) -> jiff::civil::Time {
    let day = base.saturating_add(ms) % 86_400_000;
    let nanos = i64::try_from(day).unwrap_or(0) * 1_000_000;
    jiff::civil::Time::midnight()
        .checked_add(jiff::SignedDuration::from_nanos(nanos))
        .unwrap_or_else(|_| jiff::civil::Time::midnight())
}

/// Replay as router `router`'s events; `controls` carries the replay keys; `progress` gets a line
/// for the status bar.
pub async fn run(
    input: ReplayInput,
    events: mpsc::Sender<(usize, Event)>,
    mut controls: mpsc::Receiver<Command>,
    progress: mpsc::Sender<String>,
) {
    let ReplayInput {
        path,
        pace,
        prompt,
        rules,
        dialect,
        router,
        offset_ms,
    } = input;
    let debug_on = dialect.canonical(&dialect.command(&crate::model::Cmd::Debug(true)));
    let debug_off = dialect.canonical(&dialect.command(&crate::model::Cmd::Debug(false)));
    let (header, records) = match read::open(&path) {
        Ok(x) => x,
        Err(e) => {
            let _ = events
                .send((
                    router,
                    Event::Error(format!("cannot read {}: {e}", path.display())),
                ))
                .await;
            return;
        }
    };
    let base = start_of_day_ms(&header);
    let link = format!("replay of {}", path.display());
    let mut status = Status {
        link: link.clone(),
        login: LoginState::Connecting,
        privilege: None,
        system_name: header.router.clone(),
        debug_on: false,
        line_share: 0.0,
        last_poll: None,
        bytes_per_sec: None,
    };
    let _ = events.send((router, Event::Status(status.clone()))).await;
    let classifier = rules;
    let mut reader = Reader::new(prompt, rules);
    let mut items = Vec::new();
    let (mut speed, instant) = match pace {
        // The command line refuses bad speeds; a caller that did not check must not make a
        // wait of NaN or infinite length (a panic in the task left the terminal raw).
        Pace::Speed(s) if s.is_finite() && s > 0.0 => (s.clamp(0.01, 1000.0), false),
        Pace::Speed(_) => (1.0, false),
        Pace::Instant => (1.0, true),
    };
    let mut paused = false;
    let mut skipping = false;
    let mut last_ms = 0u64;
    // Records are read one at a time as they are replayed, never gathered: a capture can be
    // hundreds of MB (the file's size is the progress measure instead of a record count).
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut done_bytes = 0u64;
    let mut total = 0usize;
    for (n, r) in records.enumerate() {
        total = n + 1;
        done_bytes += r.data.as_ref().map_or(0, |d| d.len() as u64);
        // Wait as recorded (unless instant or jumping), answering the keys meanwhile.
        let at = r.ms.saturating_add(offset_ms);
        let gap = Duration::from_millis(at.saturating_sub(last_ms));
        let mut waited = Duration::ZERO;
        let mut step = false;
        while !instant && !skipping && (paused || waited < gap.div_f64(speed)) && !step {
            let t = Instant::now();
            let slice = if paused {
                Duration::from_millis(200)
            } else {
                gap.div_f64(speed)
                    .saturating_sub(waited)
                    .min(Duration::from_millis(200))
            };
            match tokio::time::timeout(slice, controls.recv()).await {
                Ok(Some(Command::Pause)) => paused = !paused,
                Ok(Some(Command::Step)) if paused => step = true,
                Ok(Some(Command::Faster)) => speed = (speed * 2.0).min(1000.0),
                Ok(Some(Command::Slower)) => speed = (speed / 2.0).max(0.01),
                Ok(Some(Command::Next)) => {
                    skipping = true;
                    paused = false;
                }
                Ok(Some(Command::Step)) => {}
                Ok(None) => return,
                Err(_) => {}
            }
            if !paused {
                waited += t.elapsed();
            }
            let state = if paused { "paused" } else { "playing" };
            let pct = (done_bytes * 100).checked_div(size).unwrap_or(0).min(100);
            let _ = progress.try_send(format!("replay {state} x{speed} record {n} (~{pct}%)"));
        }
        last_ms = at;
        let _ = events
            .send((router, Event::Clock(time_of(base, r.ms))))
            .await;
        match (r.dir, r.data) {
            (Direction::In, Some(data)) => {
                let mut lines = Vec::new();
                let prompt = reader.feed(&data, Some(&mut lines), &mut items);
                let _ = events.send((router, Event::Bytes(data))).await;
                let pending = reader.pending().to_string();
                let _ = events.send((router, Event::Lines { lines, pending })).await;
                // A prompt left standing is the router waiting: the command before it is done.
                if let Some(p) = prompt {
                    if status.login != LoginState::LoggedIn || status.privilege != Some(p.privilege)
                    {
                        status.login = LoginState::LoggedIn;
                        status.privilege = Some(p.privilege);
                        if p.system_name.is_some() {
                            status.system_name = p.system_name.clone();
                        }
                        let _ = events.send((router, Event::Status(status.clone()))).await;
                    }
                }
            }
            (Direction::Out, Some(data)) => {
                let text = String::from_utf8_lossy(&data).trim().to_ascii_lowercase();
                let canonical = dialect.canonical(&text);
                if canonical == debug_on || canonical == debug_off {
                    status.debug_on = canonical == debug_on;
                    let _ = events.send((router, Event::Status(status.clone()))).await;
                }
                if data.ends_with(b"\r") && !text.is_empty() {
                    if let Some(p) = reader.transcript.last_prompt.clone() {
                        reader
                            .transcript
                            .expect_echo(String::from_utf8_lossy(&data).trim(), p);
                    }
                }
            }
            (Direction::Mark, Some(data)) => {
                let _ = events
                    .send((0, Event::Mark(String::from_utf8_lossy(&data).into_owned())))
                    .await;
            }
            _ => {}
        }
        for it in items.drain(..) {
            let failure = matches!(&it, Item::Unsolicited(l, v) if v.map(|v| v.failure).unwrap_or_else(|| classifier.scan(&l.text).failure));
            let _ = events.send((router, Event::Item(it, Instant::now()))).await;
            if failure && skipping {
                skipping = false;
                paused = true;
            }
        }
    }
    reader.finish(&mut items);
    for it in items.drain(..) {
        let _ = events.send((router, Event::Item(it, Instant::now()))).await;
    }
    let _ = progress.try_send(format!("replay finished: {total} records"));
    let _ = events
        .send((0, Event::Mark("end of the capture".into())))
        .await;
}
