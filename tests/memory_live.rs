//! Memory on the live path when a router never ends a line: over 100 MB of text with no line
//! end (and an OSC string that never ends) go through the session's reading (the text cleaner
//! and the transcript) and through the screen's view of a router; what each keeps is measured
//! in bytes of its data structures and must stay within a fixed budget. Also the capture's
//! size cap: after it, one mark and nothing more.

use std::io::Read;
use std::time::Instant;
use tunnelscope::capture::{CaptureWriter, Header};
use tunnelscope::console::session::Event;
use tunnelscope::console::text::{TextCleaner, MAX_LINE_BYTES};
use tunnelscope::console::transcript::{Item, Transcript};
use tunnelscope::live::debuglog::DEFAULT_SCROLLBACK_BYTES;
use tunnelscope::live::RouterState;
use tunnelscope::model::SourceLine;

/// What the flood sends in all: more than 100 MB.
const FLOOD_BYTES: usize = 120 << 20;
/// What the session's reading may keep of it: a fixed budget, whatever was sent.
const SESSION_BUDGET: usize = 32 << 20;
/// One read from the line.
const CHUNK: usize = 8192;

/// The bytes the session's reading keeps, item by item as it hands them on: an open
/// command's block is what holds lines, so the largest block seen is the measure.
fn session_retained(prefix: &[u8], fill: &[u8]) -> usize {
    let classifier = tunnelscope::alliedware::debug::Classifier::builtin();
    let mut cleaner = TextCleaner::default();
    let mut transcript = Transcript::new(classifier);
    let mut ev = Vec::new();
    let mut items = Vec::new();
    let mut largest = 0usize;
    let mut measure = |items: &mut Vec<Item>| {
        for it in items.drain(..) {
            match it {
                Item::Block(b) => {
                    let n: usize = b.lines.iter().map(|l| l.text.len()).sum();
                    largest = largest.max(n);
                }
                Item::Unsolicited(l, _) => assert!(l.text.len() <= MAX_LINE_BYTES),
                _ => {}
            }
        }
    };
    cleaner.feed(prefix, &mut ev);
    transcript.feed(&mut ev, &mut items);
    measure(&mut items);
    let chunk: Vec<u8> = fill.iter().copied().cycle().take(CHUNK).collect();
    for _ in 0..FLOOD_BYTES / CHUNK {
        cleaner.feed(&chunk, &mut ev);
        assert!(cleaner.pending().len() <= MAX_LINE_BYTES);
        transcript.feed(&mut ev, &mut items);
        measure(&mut items);
    }
    cleaner.finish(&mut ev);
    transcript.feed(&mut ev, &mut items);
    transcript.finish(&mut items);
    measure(&mut items);
    largest
}

#[test]
fn session_reading_keeps_a_bounded_block_when_a_line_never_ends() {
    let kept = session_retained(b"\r\nManager Peer1> show isakmp sa\r\n", b"A");
    assert!(
        kept <= SESSION_BUDGET,
        "the open block kept {kept} bytes of a {FLOOD_BYTES}-byte line"
    );
    // The budget is far below what was sent: the flood itself is not kept.
    assert!(kept < FLOOD_BYTES / 4, "kept {kept}");
}

#[test]
fn session_reading_keeps_a_bounded_block_when_an_osc_never_ends() {
    let kept = session_retained(
        b"\r\nManager Peer1> show isakmp sa\r\nISAKMP: x \x1b]52;c;",
        b"QUFB",
    );
    assert!(kept <= SESSION_BUDGET, "the open block kept {kept} bytes");
}

/// Bytes a router's view keeps: its passthrough lines, the unfinished line, the console
/// pane and the debug scrollback.
fn view_bytes(v: &RouterState) -> usize {
    v.raw_lines.iter().map(|l| l.len()).sum::<usize>()
        + v.raw_pending.len()
        + v.console.iter().map(|l| l.len()).sum::<usize>()
        + v.debug.bytes()
}

#[test]
fn router_view_stays_bounded_under_a_line_with_no_end() {
    let mut view = RouterState::new("r1", tunnelscope::live::debuglog::DEFAULT_SCROLLBACK);
    view.fixed_stamp = Some("00:00:00.000".parse().expect("a time of day"));
    let chunk = vec![b'A'; CHUNK];
    let piece = "A".repeat(MAX_LINE_BYTES);
    let mut peak = 0;
    for i in 0..FLOOD_BYTES / CHUNK {
        view.on_event(Event::Bytes(chunk.clone()));
        // The session hands on the cut pieces of the line as unsolicited lines.
        if i % 16 == 0 {
            view.on_event(Event::Item(
                Item::Unsolicited(SourceLine::new(1, piece.clone()), None),
                Instant::now(),
            ));
        }
        if i % 256 == 0 {
            peak = peak.max(view_bytes(&view));
        }
    }
    peak = peak.max(view_bytes(&view));
    // Passthrough lines (2000 at most, each at most one cut piece) plus the debug
    // scrollback's own byte budget.
    let budget = 2000 * MAX_LINE_BYTES + DEFAULT_SCROLLBACK_BYTES + MAX_LINE_BYTES;
    assert!(
        peak <= budget,
        "the view kept {peak} bytes (budget {budget})"
    );
    assert!(peak < 100 << 20, "the view kept {peak} bytes");
}

/// A fresh temporary directory for one test.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ts-memlive-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn capture_stops_at_its_size_limit_with_one_mark() {
    let dir = temp_dir("cap");
    let path = dir.join("c.tscap");
    let header = Header {
        router: Some("r1".into()),
        link: None,
        started: None,
    };
    let mut w = CaptureWriter::create(&path, &header, false).expect("create");
    const LIMIT: u64 = 1 << 20;
    w.set_limit(LIMIT);
    let chunk = vec![b'A'; CHUNK];
    for i in 0..2000 {
        w.received(&chunk);
        if i % 100 == 0 {
            w.received(b"a line that ends\r\n");
        }
    }
    assert!(w.limit_reached());
    drop(w);
    let mut text = String::new();
    std::fs::File::open(&path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .expect("read");
    let len = text.len() as u64;
    assert!(len <= LIMIT + 256, "capture of {len} bytes, limit {LIMIT}");
    let mark =
        format!("capture limit reached: {LIMIT} bytes; the rest of the session is not recorded");
    assert_eq!(text.matches(&mark).count(), 1, "the mark, once");
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.contains(&mark),
        "the mark is the last record: {last:?}"
    );
    // The capture still reads: the mark is a record like any other.
    let (_, records) = tunnelscope::capture::read::open(&path).expect("open");
    assert!(records.count() > 100);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn capture_default_limit_is_a_few_hundred_mb() {
    // A router flooding the line fills no disk: 1.3 GB in 40 s was seen with the old 2 GiB cap.
    let dir = temp_dir("default");
    let header = Header {
        router: None,
        link: None,
        started: None,
    };
    let w = CaptureWriter::create(&dir.join("d.tscap"), &header, false).expect("create");
    assert!(w.limit() <= 256 << 20, "default limit {}", w.limit());
    let _ = std::fs::remove_dir_all(&dir);
}
