//! Evidence (issue 5) end to end: a session captured as the screen captures it, replayed into
//! a second router view and compared with the live one; no password in any file written; a
//! capture cut short still replays and analyses; the bundle unpacks and its JSON parses; and a
//! capture taken through a real OpenSSH sshd.
//!
//! One live session (psk-mismatch, logged in as manager/friend, debug on, ~8 s of polling)
//! is run once and shared by the tests that need a capture.
//!
//! Some tests are regression tests of bugs found while writing these (key values written in
//! clear when they come or are typed in pieces, redaction that outlives its display,
//! time-based findings lost by an instant replay and so by the bundle, a junk line that
//! panicked the capture reader).

mod support;

use support::{sim, sshd, Deadline, Rng};

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::prompt::PromptMatcher;
use tunnelscope::analyze::{analyze_files, Analysis, Options};
use tunnelscope::capture::{iso_now, CaptureWriter, Header};
use tunnelscope::console::session::{Event, LoginState, Request, SessionConfig};
use tunnelscope::console::transcript::Item;
use tunnelscope::link::{HostKeyPolicy, LinkOptions, Secret, SshOptions, Target};
use tunnelscope::live::debuglog::{show_stamp, Entry, DEFAULT_SCROLLBACK};
use tunnelscope::live::replay::{self, Pace};
use tunnelscope::live::RouterState;
use tunnelscope::model::{Counter, Exchange, IkeSa, IpsecSa};
use tunnelscope::sim::serve::SharedNet;
use tunnelscope::sim::{ConsoleConfig, Scenario, Start};

const BIN: &str = env!("CARGO_BIN_EXE_tunnelscope");
/// The manager's password on the simulated router: typed at its `Password:` prompt.
const PASSWORD: &str = "friend";
const END_MARK: &str = "end of the capture";
/// How long the live session polls with debug on.
const LIVE_SECS: u64 = 8;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// This test process's folder under the target's temporary folder; folders of earlier runs
/// (whose process is gone) are removed.
fn base_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let _ = std::fs::create_dir_all(tmp);
        if let Ok(rd) = std::fs::read_dir(tmp) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("evidence-") {
                    if !Path::new("/proc").join(pid).exists() {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
        let d = tmp.join(format!("evidence-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

/// A fresh folder for one test.
fn test_dir(name: &str) -> PathBuf {
    let d = base_dir().join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

// ---------------------------------------------------------------------------------------
// What the screen knows of a router, in a form that compares live with replay.

#[derive(Debug, Clone, PartialEq, Eq)]
struct Tables {
    ike: Vec<IkeSa>,
    exchanges: Vec<Exchange>,
    ipsec: Vec<IpsecSa>,
    counters: Vec<Counter>,
}

/// The tables without what may differ between a live read and a replay: the source line of
/// each row, and how long an exchange has been in its state (a clock, not the data).
fn tables(v: &RouterState) -> Tables {
    /// The rows, each changed by `clear`.
    fn rows<T: Clone>(v: &[T], clear: impl Fn(&mut T)) -> Vec<T> {
        v.iter()
            .cloned()
            .map(|mut x| {
                clear(&mut x);
                x
            })
            .collect()
    }
    let s = &v.state.snapshot;
    Tables {
        ike: rows(&s.ike_sas, |x| x.line = 0),
        exchanges: rows(&s.exchanges, |x| {
            x.line = 0;
            x.in_state_secs = None;
        }),
        ipsec: rows(&s.ipsec_sas, |x| x.line = 0),
        counters: rows(&s.counters, |x| x.line = 0),
    }
}

fn finding_codes(v: &RouterState) -> Vec<&'static str> {
    let mut c: Vec<&'static str> = v.findings.iter().map(|f| f.code).collect();
    c.sort_unstable();
    c
}

/// The debug lines (stamp, text, failure) and, apart, the marks of a view's debug pane.
fn debug_lines(v: &RouterState) -> (Vec<(String, String, bool)>, Vec<String>) {
    let mut lines = Vec::new();
    let mut marks = Vec::new();
    for s in v.debug.iter() {
        match &s.entry {
            Entry::Line(e) => lines.push((show_stamp(s.at), e.text.clone(), e.failure)),
            Entry::Mark(m) => marks.push(m.clone()),
        }
    }
    (lines, marks)
}

/// `HH:MM:SS.mmm` as milliseconds of the day.
fn stamp_ms(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let shape = b.len() == 12
        && b[2] == b':'
        && b[5] == b':'
        && b[8] == b'.'
        && b.iter()
            .enumerate()
            .all(|(i, c)| matches!(i, 2 | 5 | 8) || c.is_ascii_digit());
    if !shape {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u64>().ok();
    let (h, m, sec, ms) = (n(0..2)?, n(3..5)?, n(6..8)?, n(9..12)?);
    (h < 24 && m < 60 && sec < 60).then_some(((h * 60 + m) * 60 + sec) * 1000 + ms)
}

// ---------------------------------------------------------------------------------------
// The live session, captured as `tui::run` captures it.

struct LiveRun {
    capture: PathBuf,
    tables: Tables,
    codes: Vec<&'static str>,
    lines: Vec<(String, String, bool)>,
    marks: Vec<String>,
    /// What the session sent as a secret (typed at a password prompt).
    secrets_sent: Vec<Vec<u8>>,
    password_prompts: usize,
    errors: Vec<String>,
}

fn live() -> &'static LiveRun {
    static LIVE: OnceLock<LiveRun> = OnceLock::new();
    LIVE.get_or_init(|| {
        let dir = base_dir().join("live");
        std::fs::create_dir_all(&dir).unwrap();
        // Its own runtime on its own thread: every test may be the first to ask.
        std::thread::spawn(move || {
            runtime().block_on(live_session(Scenario::PskMismatch, dir, LIVE_SECS))
        })
        .join()
        .expect("the live session panicked")
    })
}

/// A session against peer 1 of a fresh simulated network, opened as the demo opens it.
fn on_the_simulator(scenario: Scenario, cfg: SessionConfig) -> sim::Session {
    let net = SharedNet::new(scenario);
    sim::start(cfg, move || {
        std::future::ready(Ok(tunnelscope::link::sim::open_sim_on(
            &net,
            1,
            Start::Login,
            ConsoleConfig::default(),
        )))
    })
}

async fn live_session(scenario: Scenario, dir: PathBuf, secs: u64) -> LiveRun {
    let mut cfg = sim::config(scenario, "manager", PASSWORD);
    sim::poll_every(&mut cfg, Duration::from_secs(1));
    cfg.reconnect = false;
    let session = on_the_simulator(scenario, cfg);
    let capture = dir.join("Peer1-live.tscap");
    let header = Header {
        router: Some("Peer1".into()),
        link: Some("demo Peer1".into()),
        started: Some(iso_now()),
    };
    let mut w = CaptureWriter::create(&capture, &header, false).unwrap();
    let mut view = RouterState::new("Peer1", DEFAULT_SCROLLBACK);
    let mut secrets_sent = Vec::new();
    let mut password_prompts = 0;
    let mut debug_since: Option<Instant> = None;
    let ended = drive(session, &mut w, Duration::from_secs(40), |e, req| {
        if let Some(e) = e {
            if let Event::Sent {
                bytes,
                secret: true,
            } = &e
            {
                secrets_sent.push(bytes.clone());
            }
            if matches!(&e, Event::Item(Item::Password(_), _)) {
                password_prompts += 1;
            }
            let logged_in = matches!(&e, Event::Status(s) if s.login == LoginState::LoggedIn);
            view.on_event(e);
            if logged_in && debug_since.is_none() {
                req.try_send(Request::Debug(true)).unwrap();
                debug_since = Some(Instant::now());
            }
        }
        debug_since.is_some_and(|t| t.elapsed() >= Duration::from_secs(secs))
    })
    .await;
    assert!(
        ended,
        "the live session did not end; errors: {:?}",
        view.errors
    );
    assert!(w.error().is_none(), "capture write error: {:?}", w.error());
    drop(w);
    let (lines, marks) = debug_lines(&view);
    LiveRun {
        capture,
        tables: tables(&view),
        codes: finding_codes(&view),
        lines,
        marks,
        secrets_sent,
        password_prompts,
        errors: view.errors.clone(),
    }
}

/// Drives a session to its end as the screen does: what crosses the line goes into the
/// capture `w` as `tui::run` feeds its `CaptureWriter`, then every event (or `None` after 100 ms
/// of quiet) to `step`, which may send requests and returns true once the session is to quit.
/// False when the session has not ended `within`.
async fn drive(
    mut s: sim::Session,
    w: &mut CaptureWriter,
    within: Duration,
    mut step: impl FnMut(Option<Event>, &mpsc::Sender<Request>) -> bool,
) -> bool {
    let end = Deadline::after(within);
    let mut quit_sent = false;
    loop {
        if end.passed() {
            s.task.abort();
            return false;
        }
        let e = match tokio::time::timeout(Duration::from_millis(100), s.ev.recv()).await {
            Ok(Some(e)) => Some(e),
            Ok(None) => break,
            Err(_) => None,
        };
        let ended = matches!(e, Some(Event::Ended));
        match &e {
            Some(Event::Bytes(b)) => w.received(b),
            Some(Event::Sent { bytes, secret }) => w.sent(bytes, *secret),
            Some(Event::Mark(m)) => w.mark(m),
            _ => {}
        }
        if step(e, &s.req) && !quit_sent {
            quit_sent = true;
            s.req.send(Request::Quit).await.unwrap();
        }
        if ended {
            break;
        }
    }
    let _ = s.task.await;
    true
}

/// A capture replayed at once into a fresh view, up to the end mark.
async fn replay_into_view(path: &Path) -> RouterState {
    let (tx, mut rx) = mpsc::channel(4096);
    let (_ctl_tx, ctl_rx) = mpsc::channel(1);
    let (ptx, _prx) = mpsc::channel(64);
    let opts = tunnelscope::live::Options::default();
    let task = tokio::spawn(replay::run(
        replay::ReplayInput {
            path: path.to_path_buf(),
            pace: Pace::Instant,
            prompt: opts.prompt.clone(),
            rules: opts.rules,
            dialect: opts.dialect,
            router: 0,
            offset_ms: 0,
        },
        tx,
        ctl_rx,
        ptx,
    ));
    let mut view = RouterState::new("replay", DEFAULT_SCROLLBACK);
    loop {
        let e = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("replay of {} hangs", path.display()))
            .unwrap_or_else(|| panic!("replay of {} ended without its end mark", path.display()));
        let (_, e) = e;
        let last = matches!(&e, Event::Mark(m) if m == END_MARK);
        view.on_event(e);
        if last {
            break;
        }
    }
    task.await
        .unwrap_or_else(|e| panic!("replay of {} failed: {e}", path.display()));
    view
}

fn analyze(path: &Path) -> Analysis {
    analyze_files(
        &[path],
        Classifier::builtin(),
        &PromptMatcher::default(),
        Options::default(),
        None,
        |_, _| {},
    )
    .unwrap_or_else(|e| panic!("analyze {}: {e:?}", path.display()))
}

/// Every file under `dir` (recursively).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The files of a tar archive, by name.
fn tar_entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut a = tar::Archive::new(std::fs::File::open(path).unwrap());
    let mut v = Vec::new();
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        v.push((name, data));
    }
    v
}

fn bin(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_remove("TUNNELSCOPE_RULES")
        .env_remove("TUNNELSCOPE_KEYMAP")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// 1. Captured and replayed equals live.

#[test]
fn replay_of_a_capture_equals_the_live_run() {
    let live = live();
    assert!(live.errors.is_empty(), "session errors: {:?}", live.errors);
    // The run is worth comparing: tables were read, debug failures came.
    assert!(
        !live.tables.counters.is_empty(),
        "no counters read live: {:?}",
        live.tables
    );
    assert!(
        live.lines.iter().any(|l| l.2),
        "no debug failure live: {:?}",
        live.lines
    );
    let replayed = runtime().block_on(replay_into_view(&live.capture));
    assert_eq!(tables(&replayed), live.tables, "tables differ");
    assert_eq!(finding_codes(&replayed), live.codes, "findings differ");
    let (lines, marks) = debug_lines(&replayed);
    let live_texts: Vec<&str> = live.lines.iter().map(|l| l.1.as_str()).collect();
    let texts: Vec<&str> = lines.iter().map(|l| l.1.as_str()).collect();
    assert_eq!(texts, live_texts, "debug lines differ");
    let failures: Vec<bool> = lines.iter().map(|l| l.2).collect();
    let live_failures: Vec<bool> = live.lines.iter().map(|l| l.2).collect();
    assert_eq!(failures, live_failures, "failure verdicts differ");
    // Marks are not debug lines: the live ones were recorded in the capture and come back
    // in the same order, and the replay adds its own at the end.
    let mut want = live.marks.clone();
    want.push(END_MARK.to_string());
    assert_eq!(marks, want, "marks");
    // The replay's times are the capture's: HH:MM:SS.mmm, never going back, and within a
    // second of when the line was seen live.
    let mut last = 0;
    for ((at, text, _), (live_at, _, _)) in lines.iter().zip(&live.lines) {
        let t = stamp_ms(at).unwrap_or_else(|| panic!("replay stamp {at:?} of {text:?}"));
        let l = stamp_ms(live_at).unwrap_or_else(|| panic!("live stamp {live_at:?}"));
        assert!(t >= last, "replay stamps go back at {at} ({text})");
        last = t;
        let d = t.abs_diff(l).min(86_400_000 - t.abs_diff(l));
        assert!(d <= 1000, "replay {at} vs live {live_at} for {text}");
    }
}

// ---------------------------------------------------------------------------------------
// 2. Secrets.

#[test]
fn no_password_in_any_file_written() {
    let live = live();
    // The password was typed, at a password prompt, and the capture says it was withheld.
    assert!(live.password_prompts >= 1, "no password prompt seen");
    assert_eq!(
        live.secrets_sent,
        vec![format!("{PASSWORD}\r").into_bytes()],
        "the password sent as a secret"
    );
    let text = std::fs::read_to_string(&live.capture).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains(" > [withheld: typed at a password prompt")),
        "no withheld record:\n{text}"
    );
    // Everything that can be made from the capture: a bundle, the analysis as JSON.
    let dir = test_dir("secrets");
    let bundle = dir.join("bundle.tar");
    runtime()
        .block_on(tunnelscope::live::bundle::bundle_from_capture(
            &live.capture,
            Some(&bundle),
        ))
        .unwrap();
    let cli_bundle = dir.join("cli-bundle.tar");
    let o = bin(&[
        "bundle",
        &live.capture.to_string_lossy(),
        "-o",
        &cli_bundle.to_string_lossy(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = bin(&["analyze", &live.capture.to_string_lossy(), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(dir.join("analysis.json"), &o.stdout).unwrap();
    let o = bin(&["analyze", &live.capture.to_string_lossy()]);
    std::fs::write(dir.join("analysis.txt"), &o.stdout).unwrap();
    // Every file this test process wrote (the live capture, bundles, analyses, and whatever
    // the other tests wrote so far).
    let files = files_under(base_dir());
    assert!(files.len() >= 5, "{files:?}");
    for f in &files {
        let data = std::fs::read(f).unwrap();
        assert!(
            !contains(&data, PASSWORD.as_bytes()),
            "{} holds the password",
            f.display()
        );
    }
}

/// A capture by hand: `show enco key=1` sent and its key value printed in `chunks`.
fn key_capture(path: &Path, keep: bool, chunks: &[&[u8]]) -> String {
    let header = Header {
        router: Some("Peer1".into()),
        link: Some("test".into()),
        started: Some(iso_now()),
    };
    let mut w = CaptureWriter::create(path, &header, keep).unwrap();
    w.received(b"SecOff Peer1> ");
    w.sent(b"show enco key=1\r", false);
    for c in chunks {
        w.received(c);
    }
    drop(w);
    std::fs::read_to_string(path).unwrap()
}

/// The router's bytes of a capture, as replay and analyze read them.
fn received_bytes(path: &Path) -> Vec<u8> {
    let (_, records) = tunnelscope::capture::read::open(path).unwrap();
    records
        .filter(|r| r.dir == tunnelscope::capture::Direction::In)
        .filter_map(|r| r.data)
        .flatten()
        .collect()
}

#[test]
fn key_values_are_redacted_unless_kept() {
    let dir = test_dir("keys");
    let shown: &[&[u8]] = &[b"Value ........ 0xDEADBEEFCAFE\r\nSecOff Peer1> "];
    let redacted = dir.join("redacted.tscap");
    let text = key_capture(&redacted, false, shown);
    assert!(!text.contains("DEADBEEF"), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
    assert!(text.contains("show enco key=1"), "{text}");
    // The prompt after the display is the router's output as it was.
    assert!(text.contains("SecOff Peer1> "), "{text}");
    let kept = dir.join("kept.tscap");
    let text = key_capture(&kept, true, shown);
    assert!(text.contains("0xDEADBEEFCAFE"), "{text}");
    // After the display (its prompt came back), other output is not touched.
    let path = dir.join("after.tscap");
    let header = Header::default();
    let mut w = CaptureWriter::create(&path, &header, false).unwrap();
    w.sent(b"show enco key=1\r", false);
    w.received(shown[0]);
    w.sent(b"show ipsec sa\r", false);
    w.received(b"Value ........ 0xDEADBEEFCAFE\r\n");
    drop(w);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("DEADBEEF").count(), 1, "{text}");
}

/// Bytes from a slow line (serial) come a few at a time; the key must still not be written.
#[test]
fn key_values_split_across_reads_are_redacted() {
    let dir = test_dir("keys-split");
    let all = b"Value ........ 0xDEADBEEFCAFE\r\nSecOff Peer1> ";
    let chunks: Vec<&[u8]> = all.chunks(3).collect();
    let path = dir.join("split.tscap");
    key_capture(&path, false, &chunks);
    let got = String::from_utf8_lossy(&received_bytes(&path)).into_owned();
    assert!(!got.contains("DEADBEEF"), "{got}");
}

/// Passthrough sends each key as it is typed: the command is known only at its CR.
#[test]
fn key_values_of_a_command_typed_a_key_at_a_time_are_redacted() {
    let dir = test_dir("keys-typed");
    let path = dir.join("typed.tscap");
    let mut w = CaptureWriter::create(&path, &Header::default(), false).unwrap();
    w.received(b"SecOff Peer1> ");
    for b in b"show enco key=1\r" {
        w.sent(&[*b], false);
    }
    w.received(b"Value ........ 0xDEADBEEFCAFE\r\nSecOff Peer1> ");
    drop(w);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("DEADBEEF"), "{text}");
}

/// The prompt that ends a key display may come in two reads; debug lines after it are
/// evidence, not key values.
#[test]
fn redaction_ends_at_a_prompt_split_across_reads() {
    let dir = test_dir("keys-prompt");
    let path = dir.join("prompt.tscap");
    let mut w = CaptureWriter::create(&path, &Header::default(), false).unwrap();
    w.sent(b"show enco key=1\r", false);
    w.received(b"Value ........ 0xDEADBEEFCAFE\r\nSecOff Pe");
    w.received(b"er1> ");
    w.received(b"\r\nISAKMP: Exchange 348: received notify AUTHENTICATION-FAILED (24)\r\n");
    drop(w);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("DEADBEEF"), "{text}");
    assert!(text.contains("AUTHENTICATION-FAILED"), "{text}");
}

// ---------------------------------------------------------------------------------------
// 3. A capture cut short.

#[test]
fn a_capture_cut_short_still_replays_and_analyses() {
    let live = live();
    let dir = test_dir("truncated");
    let full = std::fs::read(&live.capture).unwrap();
    // The capture with a record of control bytes at its end, so cuts can fall inside a
    // `\xNN` escape (the simulator sends none; a real router's ANSI codes and bells do).
    let last_ms = String::from_utf8_lossy(&full)
        .lines()
        .rev()
        .find_map(|l| tunnelscope::capture::parse_record(l, 0))
        .map(|r| r.ms)
        .unwrap_or(0);
    let mut escaped = full.clone();
    escaped.extend_from_slice(
        format!(
            "{}.{:03} < \"\\x1b[K\\x07Peer1 \\x00\\x7f tail\\r\\n\"\n",
            last_ms / 1000,
            last_ms % 1000
        )
        .as_bytes(),
    );
    let text = String::from_utf8_lossy(&escaped).into_owned();
    let mut cuts: Vec<(&Vec<u8>, usize, &str)> = Vec::new();
    let mut rng = Rng(0x5eed_cafe_f00d_0005);
    for _ in 0..30 {
        cuts.push((&full, rng.below(full.len() + 1), "random"));
    }
    // In the middle of a long record's quoted data.
    let long = text
        .match_indices("< \"")
        .map(|(i, _)| i)
        .max_by_key(|&i| text[i..].find('\n').unwrap_or(0))
        .unwrap();
    let len = text[long..].find('\n').unwrap();
    cuts.push((&full, long + len / 2, "mid-quote"));
    // Just after the backslash of an escape, and inside `\x0`, `\x`, `\x1`.
    let cr = text.find("\\r").unwrap();
    cuts.push((&full, cr + 1, "after a backslash"));
    let x = text.rfind("\\x00").unwrap();
    cuts.push((&escaped, x + 3, "inside \\x0"));
    cuts.push((&escaped, x + 2, "after \\x"));
    let x1 = text.rfind("\\x1b").unwrap();
    cuts.push((&escaped, x1 + 3, "inside \\x1"));
    cuts.push((&escaped, escaped.len() - 3, "before the closing quote"));
    cuts.push((&full, 0, "empty"));
    cuts.push((&full, 10, "inside the header"));

    let full_view = runtime().block_on(replay_into_view(&live.capture));
    let (full_lines, _) = debug_lines(&full_view);
    let rt = runtime();
    let mut json_done = false;
    for (i, (src, at, what)) in cuts.iter().enumerate() {
        let path = dir.join(format!("cut-{i:02}-at-{at}.tscap"));
        std::fs::write(&path, &src[..*at]).unwrap();
        let view = rt.block_on(replay_into_view(&path));
        let (lines, marks) = debug_lines(&view);
        assert_eq!(marks.last().map(String::as_str), Some(END_MARK), "{what}");
        // What replays is what was recorded up to the cut: the debug lines before it; the
        // last one may be cut short, or be the cut record's own piece of a line (say the
        // first letters of a command's echo, which nothing follows to recognise).
        if std::ptr::eq(*src, &full) {
            let cut_piece = String::from_utf8_lossy(&src[..*at])
                .lines()
                .next_back()
                .and_then(|l| tunnelscope::capture::parse_record(l, 0))
                .and_then(|r| r.data)
                .map(|d| String::from_utf8_lossy(&d).trim().to_string())
                .unwrap_or_default();
            if let Some((last, before)) = lines.split_last() {
                assert!(before.len() <= full_lines.len(), "cut {what} at {at}");
                for (a, b) in before.iter().zip(&full_lines) {
                    assert_eq!(a.1, b.1, "cut {what} at {at}");
                }
                let whole = full_lines.get(before.len()).map(|l| l.1.as_str());
                let text = last.1.trim();
                assert!(
                    whole.is_some_and(|w| w.starts_with(text))
                        || (!cut_piece.is_empty() && cut_piece.ends_with(text)),
                    "cut {what} at {at}: {text:?} vs {whole:?} (cut record {cut_piece:?})"
                );
            }
        }
        let a = analyze(&path);
        assert!(a.state.debug.lines <= full_lines.len() + 1, "{what}");
        if *what == "mid-quote" && !json_done {
            json_done = true;
            let o = bin(&["analyze", &path.to_string_lossy(), "--json"]);
            assert!(
                o.status.success(),
                "analyze --json {what}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let v: serde_json::Value = serde_json::from_slice(&o.stdout)
                .unwrap_or_else(|e| panic!("analyze --json output is not JSON: {e}"));
            for k in [
                "isakmp_sas",
                "exchanges",
                "ipsec_sas",
                "counters",
                "findings",
            ] {
                assert!(v[k].is_array(), "{k} in {v}");
            }
            assert!(v["debug"]["lines"].as_u64().is_some(), "{v}");
        }
    }
    assert!(json_done);
}

// ---------------------------------------------------------------------------------------
// 4. The bundle.

fn bundle_names(entries: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut v: Vec<String> = entries.iter().map(|e| e.0.clone()).collect();
    v.sort();
    v
}

#[test]
fn the_bundle_unpacks_and_its_json_parses() {
    let live = live();
    let dir = test_dir("bundle");
    let capture = dir.join("Peer1-live.tscap");
    std::fs::copy(&live.capture, &capture).unwrap();
    let out = dir.join("lib-bundle.tar");
    let written = runtime()
        .block_on(tunnelscope::live::bundle::bundle_from_capture(
            &capture,
            Some(&out),
        ))
        .unwrap();
    assert_eq!(written, out);
    let entries = tar_entries(&out);
    let get = |name: &str| -> &Vec<u8> {
        &entries
            .iter()
            .find(|e| e.0 == format!("evidence/{name}"))
            .unwrap_or_else(|| panic!("{name} not in {:?}", bundle_names(&entries)))
            .1
    };
    assert_eq!(get("Peer1-live.tscap"), &std::fs::read(&capture).unwrap());
    let summary = String::from_utf8(get("summary.txt").clone()).unwrap();
    assert!(summary.contains("Peer1"), "{summary}");
    let json = |name: &str| -> serde_json::Value {
        serde_json::from_slice(get(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let snap = json("snapshot.json");
    for k in [
        "isakmp_sas",
        "ipsec_sas",
        "exchanges",
        "counters",
        "debug",
        "findings",
    ] {
        assert!(!snap[k].is_null(), "snapshot.json has no {k}: {snap}");
    }
    // The snapshot says what the live screen saw.
    let codes: Vec<&str> = snap["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    let mut codes_sorted = codes.clone();
    codes_sorted.sort_unstable();
    assert_eq!(codes_sorted, live.codes, "{snap}");
    assert_eq!(
        snap["debug"]["lines"].as_u64(),
        Some(live.lines.len() as u64),
        "{}",
        snap["debug"]
    );
    assert!(json("findings.json").is_array());
    let counters = json("counters.json");
    assert!(counters["counters"].is_array(), "{counters}");
    assert!(counters["verdict"].is_array(), "{counters}");
    let pings = json("pings.json");
    assert!(pings.is_object(), "{pings}");

    // The command writes the same files.
    let cli_out = dir.join("cli-bundle.tar");
    let o = bin(&[
        "bundle",
        &capture.to_string_lossy(),
        "-o",
        &cli_out.to_string_lossy(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(bundle_names(&tar_entries(&cli_out)), bundle_names(&entries));
    // Without -o, beside the capture.
    let o = bin(&["bundle", &capture.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(dir.join("Peer1-live-bundle.tar").is_file());

    // Bad input: exit 2 and a message that says why.
    let not = dir.join("not-a-capture.txt");
    std::fs::write(&not, "SecOff Peer1> show isakmp sa\r\n").unwrap();
    let o = bin(&["bundle", &not.to_string_lossy()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not a tunnelscope capture"), "{err}");
    assert!(!dir.join("not-a-capture-bundle.tar").exists());
    let o = bin(&["replay", &dir.join("missing.tscap").to_string_lossy()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("missing.tscap"), "{err}");
    assert!(err.lines().count() == 1, "{err}");
}

// ---------------------------------------------------------------------------------------
// 5. Through OpenSSH.

#[test]
#[ignore = "needs root: starts sshd, which logs in a local test account (tests/run.sh runs it as root)"]
fn capture_through_openssh() {
    let server = sshd::Sshd::start(&format!("{BIN} sim --scenario healthy --peer 1"));
    let dir = test_dir("ssh");
    let capture = dir.join("ssh.tscap");
    let mut cfg = sim::config(Scenario::Healthy, &server.user, &server.password);
    cfg.target = Target::Ssh {
        user: Some(server.user.clone()),
        host: "127.0.0.1".into(),
        port: server.port,
    };
    cfg.link = LinkOptions {
        ssh: SshOptions {
            host_key: HostKeyPolicy::AcceptNew,
            known_hosts: Some(dir.join("known_hosts")),
            ..Default::default()
        },
        user: Some(server.user.clone()),
        password: Some(Secret::new(&server.password)),
        ..Default::default()
    };
    sim::poll_every(&mut cfg, Duration::from_secs(1));
    cfg.reconnect = false;
    let target = cfg.target.to_string();
    let (ended, errors) = runtime().block_on(async {
        let header = Header {
            router: Some(target.clone()),
            link: Some(target.clone()),
            started: Some(iso_now()),
        };
        let mut w = CaptureWriter::create(&capture, &header, false).unwrap();
        let mut errors = Vec::new();
        let mut logged_in: Option<Instant> = None;
        let session = sim::start_on_target(cfg);
        let ended = drive(session, &mut w, Duration::from_secs(30), |e, _| {
            match e {
                Some(Event::Error(e)) => errors.push(e),
                Some(Event::Status(s)) if s.login == LoginState::LoggedIn => {
                    logged_in.get_or_insert_with(Instant::now);
                }
                _ => {}
            }
            logged_in.is_some_and(|t| t.elapsed() >= Duration::from_secs(5))
        })
        .await;
        (ended, errors)
    });
    assert!(ended, "the SSH session did not end; errors: {errors:?}");
    assert!(errors.is_empty(), "{errors:?}\n{}", server.log());
    let a = analyze(&capture);
    let s = &a.state.snapshot;
    assert_eq!(s.ike_sas.len(), 1, "{:?}", s.ike_sas);
    assert!(s.ike_sas[0].established, "{:?}", s.ike_sas);
    assert_eq!(s.ike_sas[0].peer, "200.200.200.1");
    assert!(
        s.ipsec_sas.iter().any(|x| x.policy == "wiz_Peer1 to Peer2"),
        "{:?}",
        s.ipsec_sas
    );
    assert_eq!(s.system_name.as_deref(), Some("Peer1"));
    // A bundle of it too, and the SSH password in no file.
    let bundle = runtime()
        .block_on(tunnelscope::live::bundle::bundle_from_capture(
            &capture, None,
        ))
        .unwrap();
    assert!(bundle.is_file());
    for f in files_under(&dir) {
        let data = std::fs::read(&f).unwrap();
        assert!(
            !contains(&data, server.password.as_bytes()),
            "{} holds the SSH password",
            f.display()
        );
    }
}

/// A capture of exchange 348 sitting in SASENT for 12 s: `analyze` calls it stalled; the
/// bundle (a replay at once) must say so too, not `in_state_secs: 0`.
#[test]
fn a_stall_replayed_at_once_keeps_its_finding() {
    let dir = test_dir("stall");
    let block = |t: &str| {
        [
            "> \"show isakmp exchange\\r\"",
            "< \"show isakmp exchange\\r\\n\"",
            "< \" Id   Phase  State     PeerAddress    Type\\r\\n\"",
            "< \" -----------------------------------------\\r\\n\"",
            "< \" 348  1      SASENT    200.200.200.1  MAIN\\r\\n\"",
            "< \"\\r\\n\"",
            "< \"SecOff Peer1> \"",
        ]
        .iter()
        .map(|r| format!("{t} {r}\n"))
        .collect::<String>()
    };
    let text = format!(
        "# tunnelscope capture 1\n# router: Peer1\n# started: 2026-01-01T10:00:00.000Z\n\
         0.000 < \"SecOff Peer1> \"\n{}{}",
        block("0.100"),
        block("12.100")
    );
    let capture = dir.join("stall.tscap");
    std::fs::write(&capture, text).unwrap();
    let a = analyze(&capture);
    let codes: Vec<&str> = a.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&"phase1-stalled"), "analyze: {codes:?}");
    let out = dir.join("stall-bundle.tar");
    runtime()
        .block_on(tunnelscope::live::bundle::bundle_from_capture(
            &capture,
            Some(&out),
        ))
        .unwrap();
    let entries = tar_entries(&out);
    let findings = &entries
        .iter()
        .find(|e| e.0 == "evidence/findings.json")
        .unwrap()
        .1;
    let v: serde_json::Value = serde_json::from_slice(findings).unwrap();
    let codes: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"phase1-stalled"), "bundle: {codes:?}");
}

/// A line that is not a record is skipped, whatever it holds; a replay that fails is not
/// turned into a bundle of nothing with exit status 0.
#[test]
fn a_junk_line_in_a_capture_is_skipped() {
    let dir = test_dir("junk");
    let capture = dir.join("junk.tscap");
    std::fs::write(
        &capture,
        "# tunnelscope capture 1\n0.000 < \"SecOff Peer1> \"\n12.ab\u{20ac} < \"x\"\n",
    )
    .unwrap();
    let o = bin(&["bundle", &capture.to_string_lossy()]);
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("panicked"),
        "bundle: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let a = analyze(&capture);
    assert_eq!(a.state.snapshot.system_name.as_deref(), Some("Peer1"));
}

// ---------------------------------------------------------------------------------------
// 4. Secrets typed as command arguments (issue 8, item 3).

const TYPED_VALUE: &str = "secretvalue123";
const TYPED_PASSWORD: &str = "n3wS3cret";

/// A session with the simulator where the user types `create enco ... value=SECRET` a key at
/// a time (passthrough) and sends `set user=manager password=SECRET` whole; the capture is
/// fed as `tui::run` feeds it. Returns the capture and the view's report and JSON (what a
/// bundle written from the screen holds as `summary.txt` and `snapshot.json`).
async fn typed_secrets_session(dir: PathBuf) -> (PathBuf, String, String) {
    let mut cfg = sim::config(Scenario::PskMismatch, "manager", PASSWORD);
    cfg.poll.enabled = false;
    cfg.reconnect = false;
    let session = on_the_simulator(Scenario::PskMismatch, cfg);
    let capture = dir.join("typed.tscap");
    let mut w = CaptureWriter::create(&capture, &Header::default(), false).unwrap();
    let mut view = RouterState::new("Peer1", DEFAULT_SCROLLBACK);
    let mut typed_at: Option<Instant> = None;
    let ended = drive(session, &mut w, Duration::from_secs(30), |e, req| {
        if let Some(e) = e {
            let logged_in = matches!(&e, Event::Status(s) if s.login == LoginState::LoggedIn);
            view.on_event(e);
            if logged_in && typed_at.is_none() {
                // Passthrough: one key per write, as the screen sends them.
                let line = format!("create enco key=1 type=general value={TYPED_VALUE}\r");
                for b in line.bytes() {
                    req.try_send(Request::Raw(vec![b])).unwrap();
                }
                req.try_send(Request::Command(format!(
                    "set user=manager password={TYPED_PASSWORD}"
                )))
                .unwrap();
                typed_at = Some(Instant::now());
            }
        }
        typed_at.is_some_and(|t| t.elapsed() >= Duration::from_secs(3))
    })
    .await;
    assert!(ended, "the session did not end");
    drop(w);
    let analysis = Analysis {
        state: view.state.clone(),
        findings: view.findings.clone(),
        files: vec!["Peer1".into()],
        bytes: 0,
        lines: 0,
    };
    let report = tunnelscope::analyze::report::render(&analysis);
    let json =
        serde_json::to_string_pretty(&tunnelscope::analyze::json::to_value(&analysis)).unwrap();
    (capture, report, json)
}

#[test]
fn secrets_typed_as_arguments_are_withheld_everywhere() {
    let dir = test_dir("typed-secrets");
    let d = dir.clone();
    let (capture, report, json) =
        std::thread::spawn(move || runtime().block_on(typed_secrets_session(d)))
            .join()
            .expect("the session panicked");
    let text = std::fs::read_to_string(&capture).unwrap();
    // Both commands reached the router (their echo is in the capture), their secrets did not.
    assert!(
        text.contains("create enco key=1 type=general value="),
        "{text}"
    );
    assert!(text.contains("set user=manager password="), "{text}");
    assert!(text.contains("<withheld: secret>"), "{text}");
    // Sent whole: the command with the marker in place of the value, both ways.
    assert!(
        text.lines().any(
            |l| l.contains(" > ") && l.contains("set user=manager password=<withheld: secret>")
        ),
        "{text}"
    );
    assert!(
        text.lines().any(
            |l| l.contains(" < ") && l.contains("set user=manager password=<withheld: secret>")
        ),
        "{text}"
    );
    // The screen's files, and what is made from the capture: a bundle and the analysis.
    std::fs::write(dir.join("summary.txt"), &report).unwrap();
    std::fs::write(dir.join("snapshot.json"), &json).unwrap();
    runtime()
        .block_on(tunnelscope::live::bundle::bundle_from_capture(
            &capture,
            Some(&dir.join("bundle.tar")),
        ))
        .unwrap();
    let o = bin(&["analyze", &capture.to_string_lossy(), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(dir.join("analysis.json"), &o.stdout).unwrap();
    let mut checked = 0;
    for f in files_under(&dir) {
        let data = std::fs::read(&f).unwrap();
        let mut all = vec![(f.display().to_string(), data.clone())];
        if f.extension().is_some_and(|e| e == "tar") {
            all.extend(tar_entries(&f));
        }
        for (name, data) in all {
            for secret in [TYPED_VALUE, TYPED_PASSWORD] {
                assert!(
                    !contains(&data, secret.as_bytes()),
                    "{name} holds {secret}:\n{}",
                    String::from_utf8_lossy(&data)
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked} files checked");
    // The command is still there, secret withheld, for the vendor to read.
    assert!(
        json.contains("password=<withheld: secret>") || report.contains("password=<withheld"),
        "{report}\n{json}"
    );
}

/// Issue 8 items 9 and 10: `show enco` however it is spelled shows key values, and a secret
/// argument with spaces around its `=` (or an SNMP community) is a secret: none reach the
/// capture file.
#[test]
fn key_displays_and_secret_arguments_of_any_spelling_are_withheld() {
    let dir = test_dir("keys-spellings");
    for (i, cmd) in [
        "show enco key",
        "show enco key = 1",
        "sh enco ke=1",
        "show enc",
        "sh   enco",
        "show enco",
    ]
    .iter()
    .enumerate()
    {
        let path = dir.join(format!("spelling{i}.tscap"));
        let mut w = CaptureWriter::create(&path, &Header::default(), false).unwrap();
        w.received(b"SecOff Peer1> ");
        w.sent(format!("{cmd}\r").as_bytes(), false);
        w.received(b"Value ........ 0xDEADBEEFCAFE\r\nSecOff Peer1> ");
        drop(w);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("DEADBEEF"), "{cmd}: {text}");
    }
    let path = dir.join("args.tscap");
    let mut w = CaptureWriter::create(&path, &Header::default(), false).unwrap();
    w.sent(b"add user=x password = SPACED04\r", false);
    w.received(b"add user=x password = SPACED04\r\nSecOff Peer1> ");
    w.sent(b"set snmp community=C0MMUN1TY\r", false);
    w.received(b"set snmp community=C0MMUN1TY\r\nSecOff Peer1> ");
    drop(w);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("SPACED04"), "{text}");
    assert!(!text.contains("C0MMUN1TY"), "{text}");
    assert!(text.contains("password = <withheld: secret>"), "{text}");
}
