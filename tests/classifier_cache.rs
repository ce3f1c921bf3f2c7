//! The built-in classifier answers from a cache of verdicts by line shape (`shape_key` in
//! `src/alliedware/debug/mod.rs`: long digit runs become `#`, read eight bytes at a time),
//! which is what makes `analyze` fast on a debug flood. A cache must never change an answer:
//! here every verdict of the cached classifier is compared with the same rules run with no
//! cache (the built-in rules plus an empty user file, which turns the cache off), on the real
//! IKE corpus, on lines built from its words with other numbers, and through `analyze`.

use proptest::prelude::*;
use std::sync::OnceLock;
use tunnelscope::alliedware::debug::{Classifier, BUILTIN_RULES};
use tunnelscope::analyze::{analyze_bytes, Options};

/// The built-in rules with no cache (a second source turns it off: a user's rules may read
/// numbers by value).
fn uncached() -> &'static Classifier {
    static C: OnceLock<Classifier> = OnceLock::new();
    C.get_or_init(|| {
        Classifier::from_sources(&[(BUILTIN_RULES, "built-in rules"), ("", "no rules")])
            .expect("the built-in rules compile")
    })
}

/// Every line of the real IKE corpus, and the synthetic AlliedWare debug of the benchmark.
fn corpus() -> &'static [String] {
    static C: OnceLock<Vec<String>> = OnceLock::new();
    C.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real-ike/corpus");
        let mut lines = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("the real IKE corpus is in the repository")
            .map(|e| e.expect("a readable directory entry").path())
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("a corpus log is UTF-8 text");
            lines.extend(text.lines().map(str::to_string));
        }
        assert!(lines.len() > 1000, "the corpus has {} lines", lines.len());
        lines.extend(
            [
                "ISAKMP: exchange 348: Main mode message 1 (SA) sent to 200.200.200.1 cookie 1a2b3c4d5e6f0a3f",
                "ISAKMP: exchange 349: Notify NO-PROPOSAL-CHOSEN received from 200.200.200.1",
                "ISAKMP: exchange 350: retransmitting message 3 to 200.200.200.1 (attempt 2)",
                "12:00:07 ISAKMP: INFO exchange 351: delete payload for SA 00ff",
                "received notify type 24578 from 1.2.3.4",
                "parsed INFORMATIONAL_V1 request 2884261939 [ HASH N(NO_PROP) ]",
                "retransmit 2 of request with message ID 0",
                "retransmit 2 of request with message ID 1234567",
            ]
            .map(str::to_string),
        );
        lines
    })
}

/// `line` with each run of digits replaced by `digits` (cycled), so it keeps or changes its
/// shape depending on the runs' lengths.
fn renumber(line: &str, digits: &[String]) -> String {
    let mut out = String::with_capacity(line.len());
    let mut k = 0;
    let mut in_run = false;
    for c in line.chars() {
        if c.is_ascii_digit() {
            if !in_run {
                out.push_str(&digits[k % digits.len()]);
                k += 1;
            }
            in_run = true;
        } else {
            in_run = false;
            out.push(c);
        }
    }
    out
}

fn same(line: &str) {
    let cached = Classifier::builtin();
    // Twice: the first may fill the cache, the second is answered from it.
    for pass in ["first", "second"] {
        assert_eq!(
            cached.scan(line),
            uncached().scan(line),
            "{pass} scan of {line:?}"
        );
    }
}

#[test]
fn the_corpus_is_classified_the_same_with_the_cache() {
    for line in corpus() {
        same(line);
    }
}

#[test]
fn long_lines_are_classified_the_same() {
    // Past the cache's line limit (512 bytes) and across it.
    for n in [500, 511, 512, 513, 600, 4000] {
        let line = format!(
            "ISAKMP: exchange 12345: {} NO-PROPOSAL-CHOSEN 24578",
            "x".repeat(n)
        );
        same(&line);
        same(&line[..n.min(line.len())]);
    }
}

#[test]
fn analyze_gives_the_same_events_with_the_cache() {
    let mut text = String::new();
    for (i, line) in corpus().iter().enumerate() {
        // Each line twice, the second with other numbers: the cache answers the second.
        text.push_str(line);
        text.push_str("\r\n");
        text.push_str(&renumber(line, &[format!("{}", 100 + i % 900), "7".into()]));
        text.push_str("\r\n");
    }
    let opts = Options {
        keep_events: true,
        exchanges: true,
    };
    let a = analyze_bytes(text.as_bytes(), Classifier::builtin(), opts);
    let b = analyze_bytes(text.as_bytes(), uncached(), opts);
    assert!(a.state.debug.events.len() > 1000);
    assert_eq!(a.state.debug.events, b.state.debug.events);
    assert_eq!(a.state.debug.by_phase, b.state.debug.by_phase);
    assert_eq!(a.state.debug.failures, b.state.debug.failures);
}

fn numbers() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            "[0-9]{1,2}",
            "[0-9]{3,10}",
            "0{1,8}",
            "24576|24578|36136|36137|24577|2457|245780",
            "0{1,3}[1-9]",
        ],
        1..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A corpus line with other numbers (same shape or not) gets the verdict the rules give it.
    #[test]
    fn renumbered_lines(i in any::<prop::sample::Index>(), digits in numbers()) {
        let line = i.get(corpus());
        let other = renumber(line, &digits);
        same(&other);
    }

    /// Lines made of words from the corpus, in any order, with numbers and hex among them.
    #[test]
    fn lines_of_corpus_words(
        picks in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..12),
        extra in prop::collection::vec(prop_oneof![
            "[0-9]{1,6}",
            "[0-9a-f]{4,16}",
            "0x[0-9a-f]{8}",
            "[0-9]{1,3}(\\.[0-9]{1,3}){3}",
            "[\\[\\]():=#/ -]{1,3}",
        ], 0..6),
    ) {
        let mut words = Vec::new();
        for (l, w) in picks {
            let line = l.get(corpus());
            let ws: Vec<&str> = line.split(' ').collect();
            words.push(w.get(&ws).to_string());
        }
        words.extend(extra);
        let line = words.join(" ");
        same(&line);
    }
}
