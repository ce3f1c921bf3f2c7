//! Property tests of the reading pipeline, one test binary with a module a topic: console
//! text cleanup and its memory bounds (`text`), transcript splitting (`transcript`), the display
//! parsers (`parsers`), table round trips (`tables`) and the analysis (`analysis`); the inputs
//! they share are generated in `gen`. This file owns running them: the heap accounting, the
//! child process and watchdog for inputs that could hang, and `check`.
//!
//! Run with `cargo test --test properties` (one topic: `cargo test --test properties text::`).
//! Case counts are kept modest so the binary runs in well under a minute in debug mode.
//!
//! Tests that feed the text cleaner input that could make it loop are run in a child process
//! (the test binary runs itself, see `in_child`), so a hang fails the test with the input that
//! caused it instead of stalling the whole run.
//!
//! Tests whose doc comment starts with `FIXED (regression test)` failed when they were written because of
//! a defect in the code; the comment gives the minimal input and the diagnosis. They are kept
//! as they are: the code is to be fixed, not the test.

#[path = "../support/mod.rs"]
mod support;

use support::cases::{self, squeeze};

mod analysis;
mod gen;
mod parsers;
mod tables;
mod text;
mod transcript;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Debug;
use std::io::Read;
use std::process::{Command as Process, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

// ---- heap accounting ----------------------------------------------------------------------------

/// Counts the heap bytes each thread holds, so a test can bound what a piece of work keeps.
struct CountingAlloc;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now);
            }
        });
    });
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        account(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            account(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Start measuring this thread's heap: returns the bytes held now, and resets the peak.
pub(crate) fn heap_mark() -> isize {
    let now = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(now));
    now
}

/// The most this thread's heap grew above `mark` since `heap_mark`.
pub(crate) fn heap_peak_growth(mark: isize) -> isize {
    PEAK.with(Cell::get) - mark
}

// ---- running properties -------------------------------------------------------------------------

const CHILD_ENV: &str = "TUNNELSCOPE_PROPERTIES_CHILD";
/// A single case that runs longer than this many milliseconds (in a child process) is
/// reported as a hang.
pub(crate) static CASE_LIMIT_MS: AtomicU64 = AtomicU64::new(10_000);

/// The case being run (when a watchdog is active): its start and its input, for a hang report.
pub(crate) static CURRENT_CASE: Mutex<Option<(Instant, String)>> = Mutex::new(None);

fn is_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

fn start_watchdog() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        // Short panic messages, and only the first few: a failing case may carry a 64 KiB
        // line, and shrinking repeats the panic many times.
        static SHOWN: AtomicUsize = AtomicUsize::new(0);
        std::panic::set_hook(Box::new(|info| {
            if SHOWN.fetch_add(1, Ordering::Relaxed) >= 3 {
                return;
            }
            let msg = info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let loc = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            eprintln!("panicked at {loc}: {}", squeeze(&msg));
        }));
        std::thread::spawn(|| loop {
            std::thread::sleep(Duration::from_millis(200));
            let guard = CURRENT_CASE.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((start, input)) = guard.as_ref() {
                let limit = Duration::from_millis(CASE_LIMIT_MS.load(Ordering::Relaxed));
                if start.elapsed() > limit {
                    eprintln!(
                        "HANG: one case ran for more than {limit:?}; its input was:\n{input}"
                    );
                    std::process::exit(70);
                }
            }
        });
    });
}

/// Run the calling test in a child process, unless this is that child. Returns true when the
/// caller is the child and must run its body; in the parent it waits for the child (killing it
/// after `limit`) and fails with the child's output when the child failed or hung.
///
/// `module` is the caller's `module_path!()`: the child runs the test by its full name.
pub(crate) fn in_child(module: &str, name: &str, limit: Duration) -> bool {
    let name = &match module.split_once("::") {
        Some((_, m)) => format!("{m}::{name}"),
        None => name.to_string(),
    };
    if std::env::var(CHILD_ENV).as_deref() == Ok(name) {
        start_watchdog();
        return true;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Process::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, name)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the test binary as a child");
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let (status, hung) = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break (Some(status), false);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break (None, true);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let err = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    let tail = |s: &str| {
        let s = squeeze(s);
        let mut from = s.len().saturating_sub(12_000);
        while !s.is_char_boundary(from) {
            from += 1;
        }
        s[from..].to_string()
    };
    if hung {
        panic!(
            "{name}: HANG: no result after {limit:?} (child killed)\n--- stderr ---\n{}\n--- stdout ---\n{}",
            tail(&err),
            tail(&out)
        );
    }
    let ok = status.is_some_and(|s| s.success()) && out.contains("1 passed");
    assert!(
        ok,
        "{name} failed in its child process ({status:?})\n--- stderr ---\n{}\n--- stdout ---\n{}",
        tail(&err),
        tail(&out)
    );
    false
}

/// Run a property over `cases` generated inputs; fail with the minimal input found.
pub(crate) fn check<S>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: Debug,
{
    let watched = is_child();
    cases::run(name, cases::config(cases), strategy, |value| {
        if watched {
            let input = squeeze(&format!("{value:?}"));
            *CURRENT_CASE.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), input));
        }
        let r = test(value);
        if watched {
            *CURRENT_CASE.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
        r
    });
}
