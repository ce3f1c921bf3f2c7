//! Logs as terminal programs save them (issue 12 item 5): the fixtures written again the way
//! tio (two formats), Tera Term, minicom, a SecureCRT-like user format (`--stamp`) and PuTTY
//! (its header line) save a session. `tunnelscope analyze --json` must read the same tables,
//! debug events and findings as from the text without stamps, with each event's time taken
//! from the stamp on its line; text shaped like a stamp that is not at every line start is
//! read as text; a tunnelscope capture is never stripped.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::run_analyze as run;
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::prompt::PromptMatcher;
use tunnelscope::analyze::{analyze_bytes, Analysis, Analyzer, Options};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The logs compared: tables and a healthy tunnel, a stalled phase 1 with debug findings,
/// and a real charon log (strongSwan, its own time at each line start).
const LOGS: &[&str] = &[
    "tests/fixtures/healthy-peer1.log",
    "tests/fixtures/phase1-stalled.log",
    "tests/fixtures/proposal-rejected.log",
    "tests/real-ike/corpus/psk-mismatch.a.log",
];

/// The time of the line at index `i` (0-based): hours, minutes, seconds, milliseconds.
fn clock(i: usize) -> (usize, usize, usize, usize) {
    let ms = 10 * 3_600_000 + 15 * 60_000 + i * 1237;
    (
        ms / 3_600_000 % 24,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000,
    )
}

/// One way of stamping a line: the stamp written, and the time `analyze` must give the line.
struct Style {
    name: &'static str,
    stamp: fn(usize) -> String,
    time: fn(usize) -> String,
    /// `--stamp` for formats that are not recognised without it.
    flag: Option<&'static str>,
}

fn styles() -> Vec<Style> {
    vec![
        Style {
            name: "tio",
            stamp: |i| {
                let (h, m, s, ms) = clock(i);
                format!("[{h:02}:{m:02}:{s:02}.{ms:03}] ")
            },
            time: |i| {
                let (h, m, s, ms) = clock(i);
                format!("{h:02}:{m:02}:{s:02}.{ms:03}")
            },
            flag: None,
        },
        Style {
            name: "tio-iso8601",
            stamp: |i| {
                let (h, m, s, ms) = clock(i);
                format!("[2026-11-29T{h:02}:{m:02}:{s:02}.{ms:03}] ")
            },
            time: |i| {
                let (h, m, s, ms) = clock(i);
                format!("2026-11-29T{h:02}:{m:02}:{s:02}.{ms:03}")
            },
            flag: None,
        },
        Style {
            name: "teraterm",
            stamp: |i| {
                let (h, m, s, ms) = clock(i);
                format!("[Sun Nov 29 {h:02}:{m:02}:{s:02}.{ms:03} 2026] ")
            },
            time: |i| {
                let (h, m, s, ms) = clock(i);
                format!("2026-11-29T{h:02}:{m:02}:{s:02}.{ms:03}")
            },
            flag: None,
        },
        Style {
            name: "minicom",
            stamp: |i| {
                let (h, m, s, _) = clock(i);
                format!("[2026-11-29 {h:02}:{m:02}:{s:02}] ")
            },
            time: |i| {
                let (h, m, s, _) = clock(i);
                format!("2026-11-29T{h:02}:{m:02}:{s:02}")
            },
            flag: None,
        },
        Style {
            // SecureCRT's "custom log data" on each line, as a user might set it.
            name: "securecrt-custom",
            stamp: |i| {
                let (h, m, s, ms) = clock(i);
                format!("11/29/2026 {h:02}:{m:02}:{s:02}.{ms:03}| ")
            },
            time: |i| {
                let (h, m, s, ms) = clock(i);
                format!("2026-11-29T{h:02}:{m:02}:{s:02}.{ms:03}")
            },
            flag: Some(
                r"(?P<mon>\d\d)/(?P<d>\d\d)/(?P<y>\d{4}) (?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d)\.(?P<frac>\d{3})\| ",
            ),
        },
    ]
}

/// `text` with `stamp(i)` at the start of each line `i`, as a terminal program writes it:
/// after each line feed, once the next line has begun (none after the last line feed).
fn stamped(text: &[u8], stamp: impl Fn(usize) -> String) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 2);
    let mut i = 0;
    let mut at_start = true;
    for &b in text {
        if at_start {
            out.extend_from_slice(stamp(i).as_bytes());
            at_start = false;
        }
        out.push(b);
        if b == b'\n' {
            i += 1;
            at_start = true;
        }
    }
    out
}

const PUTTY_HEADER: &str =
    "=~=~=~=~=~=~=~=~=~=~=~= PuTTY log 2026.11.29 10:15:02 =~=~=~=~=~=~=~=~=~=~=~=";

/// A scratch directory of this test's own, removed first if a previous run left it.
fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("tunnelscope-stamps-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json_of(path: &Path, stamp: Option<&str>) -> Value {
    let mut args = vec![path.as_os_str(), "--json".as_ref()];
    if let Some(s) = stamp {
        args.push("--stamp".as_ref());
        args.push(s.as_ref());
    }
    let o = run(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn events(v: &Value) -> &Vec<Value> {
    v["debug"]["events"].as_array().unwrap()
}

/// The JSON without what differs by nature: the input's size and name, the events' times.
fn without_times(v: &Value) -> Value {
    let mut v = v.clone();
    let o = v.as_object_mut().unwrap();
    o.remove("bytes");
    o.remove("files");
    for e in o["debug"]["events"].as_array_mut().unwrap() {
        e.as_object_mut().unwrap().remove("time");
    }
    v
}

/// Each event has the time its line's stamp said.
fn assert_times(v: &Value, time: fn(usize) -> String, what: &str) {
    for e in events(v) {
        let line = e["line"].as_u64().unwrap() as usize;
        assert_eq!(
            e["time"].as_str(),
            Some(time(line - 1).as_str()),
            "{what}: event {e}"
        );
    }
}

#[test]
fn every_line_stamp_gives_the_same_reading_with_times() {
    let dir = scratch("every-line");
    for log in LOGS {
        let plain_path = repo(log);
        let plain_bytes = std::fs::read(&plain_path).unwrap();
        let plain = json_of(&plain_path, None);
        assert!(
            !events(&plain).is_empty() || log.contains("healthy"),
            "{log}: no debug events to compare"
        );
        if log.contains("healthy-peer1") {
            // The tables must be there to compare (a stamped log used to give none).
            assert_eq!(plain["isakmp_sas"].as_array().unwrap().len(), 1);
            assert_eq!(plain["ipsec_sas"].as_array().unwrap().len(), 1);
        }
        for style in styles() {
            let name = Path::new(log).file_name().unwrap().to_string_lossy();
            let path = dir.join(format!("{}-{name}", style.name));
            std::fs::write(&path, stamped(&plain_bytes, style.stamp)).unwrap();
            let got = json_of(&path, style.flag);
            let what = format!("{log} as {}", style.name);
            assert_eq!(without_times(&got), without_times(&plain), "{what}");
            assert_eq!(events(&got).len(), events(&plain).len(), "{what}");
            assert_times(&got, style.time, &what);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same through the library, in pieces of every awkward size: a stamp and a line cut
/// across the program's writes read the same as whole.
#[test]
fn stamps_cut_across_reads_are_still_stripped() {
    let opts = Options {
        keep_events: true,
        exchanges: true,
    };
    let plain = std::fs::read(repo("tests/fixtures/phase1-stalled.log")).unwrap();
    let want = analyze_bytes(&plain, Classifier::builtin(), opts);
    let style = &styles()[0];
    let bytes = stamped(&plain, style.stamp);
    for piece in [1, 2, 3, 5, 16, 17, 1000, 1 << 20] {
        let mut a = Analyzer::new(Classifier::builtin(), PromptMatcher::default(), opts);
        for p in bytes.chunks(piece) {
            a.feed(p);
        }
        if bytes.len() > piece {
            assert_eq!(a.stamp_format(), Some("tio"), "piece {piece}");
        }
        let got: Analysis = a.finish();
        assert_eq!(got.state.snapshot, want.state.snapshot, "piece {piece}");
        assert_eq!(got.findings, want.findings, "piece {piece}");
        let strip = |a: &Analysis| {
            a.state
                .debug
                .events
                .iter()
                .map(|e| (e.line, e.text.clone(), e.phase, e.failure))
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&got), strip(&want), "piece {piece}");
        for e in &got.state.debug.events {
            assert_eq!(e.time, Some((style.time)(e.line - 1)), "piece {piece}");
        }
    }
}

#[test]
fn putty_header_is_not_a_debug_line() {
    let dir = scratch("putty");
    for log in LOGS {
        let plain_path = repo(log);
        let plain_bytes = std::fs::read(&plain_path).unwrap();
        let plain = json_of(&plain_path, None);
        // PuTTY writes its header first, and again for each session appended to the file.
        let mut bytes = format!("{PUTTY_HEADER}\r\n").into_bytes();
        bytes.extend_from_slice(&plain_bytes);
        let path = dir.join("putty.log");
        std::fs::write(&path, &bytes).unwrap();
        let got = json_of(&path, None);
        assert_eq!(got["debug"]["lines"], plain["debug"]["lines"], "{log}");
        assert!(
            !events(&got)
                .iter()
                .any(|e| e["text"].as_str().is_some_and(|t| t.contains("PuTTY log"))),
            "{log}: the header was read as a debug line"
        );
        assert!(events(&got).iter().all(|e| e.get("time").is_none()));
        // The same reading as the text with an empty line in the header's place (its line
        // numbers go on counting the header's line, as an editor shows the file).
        let mut blank = b"\r\n".to_vec();
        blank.extend_from_slice(&plain_bytes);
        let blank_path = dir.join("blank.log");
        std::fs::write(&blank_path, &blank).unwrap();
        let want = json_of(&blank_path, None);
        assert!(
            without_times(&got) == without_times(&want),
            "{log}: read differently after PuTTY's header"
        );

        // A second session appended: its header too is no debug line.
        let mut twice = bytes.clone();
        twice.extend_from_slice(format!("{PUTTY_HEADER}\r\n").as_bytes());
        twice.extend_from_slice(&plain_bytes);
        std::fs::write(&path, &twice).unwrap();
        let got = json_of(&path, None);
        assert!(
            !events(&got)
                .iter()
                .any(|e| e["text"].as_str().is_some_and(|t| t.contains("PuTTY log"))),
            "{log}: the second header was read as a debug line"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A time at the start of one line, or inside lines, is the router's text, not a stamp.
#[test]
fn stamp_like_text_not_at_every_line_start_is_kept() {
    let dir = scratch("not-every-line");
    let plain = std::fs::read_to_string(repo("tests/fixtures/phase1-stalled.log")).unwrap();
    let mut lines: Vec<String> = plain.split('\n').map(str::to_string).collect();
    let debug: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("ISAKMP"))
        .collect();
    assert!(debug.len() >= 3);
    lines[debug[0]] = format!("[10:15:02.123] {}", lines[debug[0]]);
    lines[debug[1]] = format!("{} [2026-11-29 10:15:02] done", lines[debug[1]].trim_end());
    let path = dir.join("some.log");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let got = json_of(&path, None);
    let texts: Vec<&str> = events(&got)
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(
        texts.iter().any(|t| t.starts_with("[10:15:02.123] ")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.ends_with("[2026-11-29 10:15:02] done")),
        "{texts:?}"
    );
    assert!(events(&got).iter().all(|e| e.get("time").is_none()));

    // In a stamped log, only the program's stamp goes: the router's own time after it stays.
    let bytes = stamped(lines.join("\n").as_bytes(), styles()[0].stamp);
    std::fs::write(&path, bytes).unwrap();
    let got = json_of(&path, None);
    let first = events(&got)
        .iter()
        .find(|e| e["line"].as_u64() == Some(debug[0] as u64 + 1))
        .expect("the line with a time of its own");
    assert!(
        first["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("[10:15:02.123] ")),
        "{first}"
    );
    assert_eq!(
        first["time"].as_str(),
        Some((styles()[0].time)(debug[0]).as_str())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A carriage return alone redraws the line; the stamp is only after a line feed.
#[test]
fn redraw_with_carriage_return_is_not_a_new_line() {
    let text = "[10:15:02.000] SecOff Peer1> show isakmp sa\r\n\
[10:15:02.100] \r\n\
[10:15:02.200] SA Id  PeerAddress      EncA.  HashA.  Bytes  Expiry Limits - hard/soft/used  Seconds\r\n\
[10:15:02.300] --More-- (<space> = next page, <CR> = one line, C = continuous, Q = quit)\r          \r\
1      200.200.200.1    3DES   SHA     -/-/-  86400/82080/970\r\n\
[10:15:02.400] \r\n\
[10:15:02.500] SecOff Peer1> \r\n\
[10:15:03.000] ISAKMP: [10:15:01.000] something\r\n";
    let opts = Options {
        keep_events: true,
        exchanges: false,
    };
    let a = analyze_bytes(text.as_bytes(), Classifier::builtin(), opts);
    assert_eq!(a.state.snapshot.ike_sas.len(), 1, "{:?}", a.state.snapshot);
    assert_eq!(a.state.pager_prompts, 1);
    let e = a.state.debug.events.last().expect("the debug line");
    assert_eq!(e.text, "ISAKMP: [10:15:01.000] something");
    assert_eq!(e.time.as_deref(), Some("10:15:03.000"));
}

/// A tunnelscope capture holds the router's bytes as they came: never stripped, even when
/// the router's lines start with what looks like a stamp.
#[test]
fn a_capture_is_not_stripped() {
    let dir = scratch("capture");
    let plain = std::fs::read(repo("tests/fixtures/phase1-stalled.log")).unwrap();
    let bytes = stamped(&plain, styles()[0].stamp);
    let mut capture = format!(
        "{}\n# router: Peer1\n# records: seconds since the start, < from the router, > to it, ! a mark\n",
        tunnelscope::capture::MAGIC
    );
    for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        capture.push_str(&format!(
            "{}.{:03} < {}\n",
            i / 10,
            i % 10 * 100,
            tunnelscope::capture::encode(line)
        ));
    }
    let path = dir.join("session.capture");
    std::fs::write(&path, capture).unwrap();
    let got = json_of(&path, None);
    assert!(!events(&got).is_empty());
    for e in events(&got) {
        let t = e["text"].as_str().unwrap();
        assert!(t.starts_with('['), "stripped in a capture: {t}");
        assert!(e.get("time").is_none(), "{e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_stamp_expression_is_one_line_error() {
    let o = run(&[
        repo("tests/fixtures/phase1-stalled.log").as_os_str(),
        "--stamp".as_ref(),
        "[unclosed".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--stamp"), "{err}");
}
