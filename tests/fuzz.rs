//! Fuzzing (issue 8's acceptance) of everything that reads bytes from outside: the text
//! cleaner, the transcript splitter, the display parsers, the capture reader and the secret
//! redaction. Each property runs a fixed number of generated cases (a few thousand, seconds in
//! CI) and checks that nothing panics and that output stays bounded by its input: lines never
//! longer than the 64 KiB cut, no more lines than line ends and cuts, no more bytes of data
//! than were read.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError};
use support::cases::{self, pieces, DISPLAYS};
use tunnelscope::alliedware::commands::Display;
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::parse;
use tunnelscope::alliedware::secrets::{redact_line, WITHHELD};
use tunnelscope::capture::{read, Redactor};
use tunnelscope::console::text::{TextCleaner, TextEvent, MAX_LINE_BYTES};
use tunnelscope::console::transcript::{Item, Transcript};
use tunnelscope::model::{Snapshot, SourceLine};

/// Cases per property: enough to find the shapes that break, few enough for CI (seconds,
/// not minutes: an unoptimised build is ten times slower).
const CASES: u32 = if cfg!(debug_assertions) { 1000 } else { 4000 };

/// Runs a property over `CASES` cases from a fixed seed, so CI runs the same cases every
/// time; `FUZZ_SEED=n` explores others.
fn run<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7475_6e6e_656c);
    let config = Config {
        max_shrink_iters: 2000,
        rng_seed: RngSeed::Fixed(seed),
        ..cases::config(CASES)
    };
    cases::run(name, config, strategy, test);
}

/// Pieces of router text that make the interesting shapes more likely than random bytes do.
const WORDS: &[&str] = &[
    "SecOff Peer1> ",
    "Manager > ",
    "Peer1> ",
    "show isakmp sa\r\n",
    "show ipsec sa\r\n",
    "show ipsec policy=\"vpn\" counters\r\n",
    "show config dynamic=isakmp\r\n",
    "show debug ipsec\r\n",
    "SA Id  Policy  Bundle  State  Protocol  OutSPI  InSPI\r\n",
    "SA Id  PeerAddress  EncA.  HashA.  Bytes  Expiry Limits - hard/soft/used  Seconds\r\n",
    "1      200.200.200.1    3DES   SHA     -/-/-  86400/82080/970\r\n",
    "0  wiz  0  Valid  ESP  1612248718  992095719\r\n",
    "99999999999999999999999  wiz  0  Valid  ESP  1  2\r\n",
    "Outbound Packet Processing Counters\r\n",
    "  outProcessDone ........ 10   outNeg ........ -5\r\n",
    "  outBig ........ 1e30\r\n",
    "ISAKMP SA Details\r\n",
    "SA Id ............ 3\r\n",
    "ISAKMP: exchange 5: Main mode message 1 (SA) sent to 200.200.200.1\r\n",
    "IPSEC: packet encrypted with SA 3\r\n",
    "--More-- (<space> = next page, <CR> = one line, C = continuous, Q = quit)",
    "\r          \r",
    "login: ",
    "Password: ",
    "create enco key=1 type=general value=s3cret\r\n",
    "set user=manager password=\"a b\"\r\n",
    "\x1b[1;31m",
    "\x1b[K",
    "\x1b[9999C",
    "\x1b]0;title\x1b\\",
    "\x1bPq#0\x1b\\",
    "\x1b]0;t\x07",
    "\u{202E}",
    "\u{200B}",
    "\u{FE0F}",
    "\t",
    "\x08",
    "\r",
    "\n",
    "\x00",
    "\u{e9}",
];

/// Router-like bytes: words from the list mixed with random bytes.
fn router_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(WORDS).prop_map(|w| w.as_bytes().to_vec()),
            1 => prop::collection::vec(any::<u8>(), 0..24),
        ],
        0..60,
    )
    .prop_map(|v| v.concat())
}

/// Input and the sizes of the pieces it is fed in.
fn chunked() -> impl Strategy<Value = (Vec<u8>, Vec<usize>)> {
    (router_bytes(), prop::collection::vec(1usize..64, 1..8))
}

/// The cleaner's events for `data` fed in pieces; `quiet` asks what the unfinished line is
/// after each piece (as a session does when the line goes quiet, which may take a pager
/// prompt away before its text is complete, so the lines may differ then).
fn clean_with(data: &[u8], sizes: &[usize], quiet: bool) -> Vec<TextEvent> {
    let mut c = TextCleaner::default();
    let mut out = Vec::new();
    for p in pieces(data, sizes) {
        c.feed(p, &mut out);
        if quiet {
            let _ = c.partial();
            let _ = c.pending();
        }
    }
    c.finish(&mut out);
    out
}

fn clean(data: &[u8], sizes: &[usize]) -> Vec<TextEvent> {
    clean_with(data, sizes, true)
}

#[test]
fn text_cleaner_is_bounded_and_never_panics() {
    run(
        "text_cleaner_is_bounded_and_never_panics",
        chunked(),
        |(data, sizes)| {
            let events = clean(&data, &sizes);
            let line_ends = data
                .iter()
                .filter(|b| matches!(b, b'\n' | 0x0b | 0x0c))
                .count();
            let mut lines = 0;
            let mut cut = 0;
            let mut visible = 0;
            for e in &events {
                if let TextEvent::Line(l) = e {
                    prop_assert!(l.text.len() <= MAX_LINE_BYTES, "a line of {}", l.text.len());
                    lines += 1;
                    cut += usize::from(l.cut);
                    visible += l.text.chars().filter(|c| *c != ' ').count();
                    // Characters that hide or reorder text never come out as they are.
                    prop_assert!(
                        !l.text
                            .contains(['\u{202E}', '\u{200B}', '\u{2066}', '\u{FEFF}']),
                        "{:?}",
                        l.text
                    );
                }
            }
            // One line per line end, one per cut, and the unfinished last one.
            prop_assert!(lines <= line_ends + cut + 1, "{lines} lines");
            // Each input byte shows as at most one marker of eight characters.
            prop_assert!(visible <= data.len() * 8, "{visible} from {}", data.len());
            // Cut in pieces or whole, the same lines.
            let whole = clean_with(&data, &[data.len().max(1)], false);
            prop_assert_eq!(clean_with(&data, &sizes, false), whole);
            Ok(())
        },
    );
}

#[test]
fn transcript_is_bounded_and_never_panics() {
    let classifier = Classifier::builtin();
    run(
        "transcript_is_bounded_and_never_panics",
        chunked(),
        |(data, sizes)| {
            let mut events = clean(&data, &sizes);
            let fed = events
                .iter()
                .filter(|e| matches!(e, TextEvent::Line(_)))
                .count();
            let mut t = Transcript::new(classifier);
            let mut items = Vec::new();
            // In two halves, as events arrive.
            let mut rest = events.split_off(events.len() / 2);
            t.feed(&mut events, &mut items);
            t.feed(&mut rest, &mut items);
            t.finish(&mut items);
            let mut lines = 0;
            let mut snapshot = Snapshot::default();
            for it in &items {
                match it {
                    Item::Block(b) => {
                        lines += b.lines.len() + b.dropped;
                        parse::apply(
                            b.command.display,
                            &b.command.canonical,
                            &b.lines,
                            &mut snapshot,
                        );
                        // Secret arguments never reach a block's command.
                        let c = &b.command.canonical;
                        let quoted = c.split("=s3cret").next().is_some_and(|b| b.contains('"'));
                        prop_assert!(!c.contains("value=s3cret") || quoted, "{c:?}");
                    }
                    Item::Unsolicited(l, _) => {
                        lines += 1;
                        // (A quote opened earlier on the line makes `value=` part of a quoted
                        // value, as the router reads it too. A carriage return may overwrite
                        // `value=` and leave the value alone on the line: the line no longer says
                        // it is one, so what is checked is what the line says.)
                        let t = &l.text;
                        let quoted = t.split("=s3cret").next().is_some_and(|b| b.contains('"'));
                        prop_assert!(!t.contains("value=s3cret") || quoted, "{t:?}");
                    }
                    _ => {}
                }
            }
            // No line is made twice.
            prop_assert!(lines <= fed, "{lines} lines out of {fed}");
            prop_assert!(snapshot.raw.len() <= parse::MAX_RAW_BLOCKS);
            Ok(())
        },
    );
}

/// Text lines for the parsers: words of the list, random characters and numbers of any size.
fn parser_lines() -> impl Strategy<Value = Vec<String>> {
    let line = prop_oneof![
        2 => prop::sample::select(WORDS).prop_map(|w| w.trim_end().to_string()),
        1 => "[ -~]{0,80}",
        1 => "[A-Za-z]{1,12}( \\.{2,8}|:|=| ) ?-?[0-9eExX.]{1,30}",
        1 => "[0-9]{1,40}  [a-z ]{1,20}  [0-9]{1,25}  [A-Za-z]{1,8}  [A-Z]{2,4}  [0-9x-]{1,22}  [0-9-]{1,22}( extra)?",
        1 => any::<String>(),
    ];
    prop::collection::vec(line, 0..40)
}

#[test]
fn parsers_keep_what_they_do_not_understand_and_never_panic() {
    run(
        "parsers_keep_what_they_do_not_understand_and_never_panic",
        (parser_lines(), prop::sample::select(&DISPLAYS[..])),
        |(lines, display)| {
            let lines: Vec<SourceLine> = lines
                .iter()
                .enumerate()
                .map(|(i, t)| SourceLine::new(i + 1, t.as_str()))
                .collect();
            for l in &lines {
                let _ = parse::fits(display, &l.text);
                let _ = parse::sniff(&l.text);
                let _ = parse::counters::pairs(&l.text);
                let _ = parse::counters::odd_pairs(&l.text);
            }
            let mut snapshot = Snapshot::default();
            parse::apply(display, display.default_command(), &lines, &mut snapshot);
            let kept: usize = snapshot.raw.iter().map(|r| r.lines.len()).sum();
            prop_assert!(kept <= lines.len());
            // A counters display: every line with a number is a counter or kept as text.
            if display == Display::Counters {
                let p = parse::counters::parse("c", &lines);
                for l in &lines {
                    let t = l.text.trim();
                    if parse::counters::odd_pairs(t).is_some() {
                        let counted = p.items.iter().any(|c| c.line == l.number);
                        let as_text = p.unrecognised.iter().any(|u| u.number == l.number);
                        prop_assert!(counted || as_text, "{:?} dropped", l.text);
                    }
                }
            }
            Ok(())
        },
    );
}

/// Capture-like bytes: the magic line (mostly), then records, headers and junk.
fn capture_bytes() -> impl Strategy<Value = Vec<u8>> {
    let record = prop_oneof![
        "[0-9]{1,22}(\\.[0-9]{0,4})? [<>!] \"[ -~]{0,40}\"?\n",
        "[0-9]{1,3}\\.[0-9]{3} [<>] \\[withheld: [a-z ]{0,20}\\]\n",
        "# [a-z]{1,8}: [ -~]{0,30}\n",
        "[ -~]{0,60}\n",
        prop::collection::vec(any::<u8>(), 0..40)
            .prop_map(|v| String::from_utf8_lossy(&v).into_owned()),
    ];
    (
        any::<bool>(),
        prop::collection::vec(record, 0..40),
        prop::collection::vec(any::<u8>(), 0..20),
    )
        .prop_map(|(magic, records, tail)| {
            let mut v = Vec::new();
            if magic {
                v.extend_from_slice(b"# tunnelscope capture 1\n");
            }
            for r in records {
                v.extend_from_slice(r.as_bytes());
            }
            v.extend_from_slice(&tail);
            v
        })
}

#[test]
fn capture_reader_is_bounded_and_never_panics() {
    run(
        "capture_reader_is_bounded_and_never_panics",
        capture_bytes(),
        |data| {
            let _ = read::is_capture_prefix(&data);
            let (_, records) = read::from_reader(std::io::Cursor::new(data.clone())).unwrap();
            let mut bytes = 0;
            let mut last_line = 0;
            let mut n = 0;
            for r in records {
                bytes += r.data.as_ref().map_or(0, Vec::len);
                prop_assert!(r.line >= last_line, "line {} after {last_line}", r.line);
                last_line = r.line;
                n += 1;
            }
            // Decoding only shrinks (an escape is several bytes for one).
            prop_assert!(bytes <= data.len());
            prop_assert!(n <= data.iter().filter(|b| **b == b'\n').count() + 1);
            Ok(())
        },
    );
}

#[test]
fn redaction_is_bounded_and_withholds_secrets() {
    let secret = "Zq9secret";
    let typed = prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(&[
                "value=", "password=", "pass=", "key=", "create enco key=1 ", "add tacplus ",
                "set user=m ", " ", "\"", "\r", "\x7f", "\x08",
            ][..])
            .prop_map(str::to_string),
            2 => Just(secret.to_string()),
            1 => "[ -~]{0,8}",
        ],
        0..30,
    )
    .prop_map(|v| v.concat());
    run(
        "redaction_is_bounded_and_withholds_secrets",
        (typed, prop::collection::vec(1usize..16, 1..4)),
        |(text, sizes)| {
            let data = text.as_bytes();
            let mut r = Redactor::new(false);
            let mut sent = Vec::new();
            let mut received = Vec::new();
            for p in pieces(data, &sizes) {
                sent.extend(r.sent(p));
                received.extend(r.received(p));
            }
            // At most one marker per value, and one more each time a correction goes back
            // into a value.
            let markers = data
                .iter()
                .filter(|b| matches!(b, b'=' | 0x7f | 0x08))
                .count()
                * WITHHELD.len();
            prop_assert!(sent.len() <= data.len() + markers);
            prop_assert!(received.len() <= data.len() + markers);
            // A line with no correction in it: every value of `value=` is withheld.
            for line in text.split('\r') {
                if line.contains(['\x7f', '\x08']) {
                    continue;
                }
                let red = redact_line(line);
                prop_assert!(red.len() <= line.len() + markers);
                for w in red.split(' ') {
                    if let Some(v) = w.strip_prefix("value=") {
                        prop_assert!(
                            !v.contains(secret) || line.contains('"'),
                            "{line:?} -> {red:?}"
                        );
                    }
                }
            }
            Ok(())
        },
    );
}
