//! Properties of the text cleaner (`console::text`): arbitrary bytes, chunking invariance, a
//! reference terminal model, the regressions it had, and its memory bounds on endless lines.

use crate::gen::*;
use crate::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::fmt::Debug;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::analyze::{analyze_bytes, Options};
use tunnelscope::console::text::{TextCleaner, TextEvent, MAX_LINE_BYTES};

/// A token of the terminal alphabet used for chunking invariance and the reference model.
#[derive(Debug, Clone)]
pub(crate) enum Tok {
    Text(String),
    CrLf,
    Lf,
    Cr,
    Tab,
    Bs,
    /// `ESC [ K` or `ESC [ 0 K`: erase to the end of the line.
    EraseToEnd(bool),
    /// `ESC [ 2 K`: erase the line (only in the invariance alphabet).
    EraseLine,
    Sgr(Vec<u8>),
}

impl Tok {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Tok::Text(s) => s.as_bytes().to_vec(),
            Tok::CrLf => b"\r\n".to_vec(),
            Tok::Lf => b"\n".to_vec(),
            Tok::Cr => b"\r".to_vec(),
            Tok::Tab => b"\t".to_vec(),
            Tok::Bs => b"\x08".to_vec(),
            Tok::EraseToEnd(zero) => {
                if *zero {
                    b"\x1b[0K".to_vec()
                } else {
                    b"\x1b[K".to_vec()
                }
            }
            Tok::EraseLine => b"\x1b[2K".to_vec(),
            Tok::Sgr(ps) => {
                let ps: Vec<String> = ps.iter().map(u8::to_string).collect();
                format!("\x1b[{}m", ps.join(";")).into_bytes()
            }
        }
    }
}

pub(crate) fn tok(with_erase_line: bool) -> impl Strategy<Value = Tok> {
    prop_oneof![
        8 => "[ -~]{1,20}".prop_map(Tok::Text),
        3 => Just(Tok::CrLf),
        2 => Just(Tok::Lf),
        1 => Just(Tok::Cr),
        1 => Just(Tok::Tab),
        2 => Just(Tok::Bs),
        1 => any::<bool>().prop_map(Tok::EraseToEnd),
        1 => Just(if with_erase_line { Tok::EraseLine } else { Tok::Sgr(vec![]) }),
        2 => vec(0u8..108, 0..4).prop_map(Tok::Sgr),
    ]
}

/// What a terminal shows for the tokens, line by line, as the cleaner documents it: CR to
/// column 0 and overwrite, backspace left, erase to end, tabs to the next multiple of 8,
/// trailing blanks dropped, a blank unfinished last line not delivered.
///
/// One choice follows the code rather than a real terminal: a tab over existing text writes
/// spaces (a terminal moves the cursor over the text and leaves it).
pub(crate) fn terminal_model(toks: &[Tok]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line: Vec<char> = Vec::new();
    let mut cur = 0usize;
    let put = |line: &mut Vec<char>, cur: &mut usize, c: char| {
        if *cur < line.len() {
            line[*cur] = c;
        } else {
            while line.len() < *cur {
                line.push(' ');
            }
            line.push(c);
        }
        *cur += 1;
    };
    let text = |line: &[char]| line.iter().collect::<String>().trim_end().to_string();
    for t in toks {
        match t {
            Tok::Text(s) => {
                for c in s.chars() {
                    put(&mut line, &mut cur, c);
                }
            }
            Tok::CrLf | Tok::Lf => {
                lines.push(text(&line));
                line.clear();
                cur = 0;
            }
            Tok::Cr => cur = 0,
            Tok::Tab => {
                let next = (cur / 8 + 1) * 8;
                while cur < next {
                    put(&mut line, &mut cur, ' ');
                }
            }
            Tok::Bs => cur = cur.saturating_sub(1),
            Tok::EraseToEnd(_) => line.truncate(cur),
            Tok::EraseLine => unreachable!("not in the model's alphabet"),
            Tok::Sgr(_) => {}
        }
    }
    let last = text(&line);
    if !last.trim().is_empty() {
        lines.push(last);
    }
    lines
}

// ==== 1. text cleanup ============================================================================

pub(crate) fn check_events(events: &[TextEvent], input: &[u8]) -> Result<(), TestCaseError> {
    let line_feeds = input
        .iter()
        .filter(|&&b| matches!(b, b'\n' | 0x0b | 0x0c))
        .count();
    let mut last_number = 0;
    for e in events {
        let TextEvent::Line(l) = e else { continue };
        prop_assert!(
            l.text.len() <= MAX_LINE_BYTES + 4,
            "line of {} bytes",
            l.text.len()
        );
        prop_assert!(
            !l.text.chars().any(|c| c < ' ' || c == '\u{7f}'),
            "control character in {:?}",
            l.text
        );
        prop_assert!(l.number >= last_number, "line numbers go back");
        prop_assert!(
            l.number <= line_feeds + 1,
            "line {} but only {} line feeds",
            l.number,
            line_feeds
        );
        last_number = l.number;
    }
    Ok(())
}

/// Arbitrary bytes in arbitrary chunks: no panic, lines bounded and free of controls, the
/// pending line bounded, and the same events however the bytes are chunked.
///
/// FIXED (regression test) (three defects, each with its own test below:
/// `regression_tab_at_the_line_cut_never_ends`,
/// `regression_cursor_forward_padding_passes_the_line_cut`,
/// `regression_del_after_invalid_utf8_reaches_the_line`).
#[test]
fn cleaner_arbitrary_bytes() {
    if !in_child(
        module_path!(),
        "cleaner_arbitrary_bytes",
        Duration::from_secs(240),
    ) {
        return;
    }
    check(
        "cleaner_arbitrary_bytes",
        160,
        (noisy_bytes(), chunk_sizes()),
        |(bytes, sizes)| {
            let (whole, pending_whole) = clean(&bytes, &[]);
            let (chunked, pending_chunked) = clean(&bytes, &sizes);
            check_events(&whole, &bytes)?;
            check_events(&chunked, &bytes)?;
            prop_assert!(pending_whole <= MAX_LINE_BYTES + 4);
            prop_assert!(
                pending_chunked <= MAX_LINE_BYTES + 4,
                "pending line of {pending_chunked} bytes"
            );
            prop_assert_eq!(&whole, &chunked, "chunking changed the events");
            // `partial` and `discard_partial` between chunks (at most ~100 times: a session
            // calls `partial` when the line goes quiet, not per byte) never panic, and keep
            // the bound.
            let mut c = TextCleaner::default();
            let mut out = Vec::new();
            let size = sizes[0].max(1);
            let every = (bytes.len() / size / 100).max(1);
            for (i, piece) in bytes.chunks(size).enumerate() {
                c.feed(piece, &mut out);
                if i % every == 0 {
                    let _ = c.partial();
                    prop_assert!(c.pending().len() <= MAX_LINE_BYTES + 4);
                }
                if i % (7 * every) == 6 {
                    c.discard_partial();
                }
            }
            c.finish(&mut out);
            check_events(&out, &bytes)?;
            Ok(())
        },
    );
}

/// Printable ASCII, CR LF, LF, CR, tab, backspace, complete SGR and erase sequences: any
/// chunking gives the same events as one chunk.
#[test]
fn cleaner_chunking_invariance() {
    if !in_child(
        module_path!(),
        "cleaner_chunking_invariance",
        Duration::from_secs(120),
    ) {
        return;
    }
    check(
        "cleaner_chunking_invariance",
        256,
        (vec(tok(true), 0..80), chunk_sizes()),
        |(toks, sizes)| {
            let bytes: Vec<u8> = toks.iter().flat_map(Tok::bytes).collect();
            let (whole, _) = clean(&bytes, &[]);
            let (chunked, _) = clean(&bytes, &sizes);
            let (bytewise, _) = clean(&bytes, &[1]);
            prop_assert_eq!(&whole, &chunked);
            prop_assert_eq!(&whole, &bytewise);
            Ok(())
        },
    );
}

/// The same alphabet (without `ESC [ 2 K`): the clean lines are what a terminal would show.
#[test]
fn cleaner_matches_terminal_model() {
    if !in_child(
        module_path!(),
        "cleaner_matches_terminal_model",
        Duration::from_secs(120),
    ) {
        return;
    }
    check(
        "cleaner_matches_terminal_model",
        256,
        (vec(tok(false), 0..80), chunk_sizes()),
        |(toks, sizes)| {
            let bytes: Vec<u8> = toks.iter().flat_map(Tok::bytes).collect();
            let (events, _) = clean(&bytes, &sizes);
            prop_assert_eq!(line_texts(&events), terminal_model(&toks));
            Ok(())
        },
    );
}

/// Regression: `prompt::is_password_prompt` once sliced `t[t.len() - 9..]` of a str, which
/// panicked when the index fell inside a multi-byte character; the cleaner calls it on every
/// line, so one line such as `ééééé` crashed `analyze` and a live session.
#[test]
fn password_prompt_test_on_multibyte_text() {
    for line in ["ééééé\n", "aéééé€\n", "\u{ff}\u{ff}\u{ff}\u{ff}x\n"] {
        let r = std::panic::catch_unwind(|| clean(line.as_bytes(), &[]));
        assert!(r.is_ok(), "the cleaner panicked on {line:?}");
        let r = std::panic::catch_unwind(|| {
            analyze_bytes(line.as_bytes(), Classifier::builtin(), Options::default())
        });
        assert!(r.is_ok(), "analyze_bytes panicked on {line:?}");
    }
}

/// FIXED (regression test) (hang, and memory growing without end): a tab whose next tab stop is at
/// or past `MAX_LINE_BYTES` never ends. `execute(b'\t')` computes `next` from the cursor, then
/// calls `put(' ')` until the cursor reaches it; `put` cuts the line at `MAX_LINE_BYTES` and
/// moves the cursor back to 0, so the loop starts over, delivering a 64 KiB line of spaces on
/// every pass. Minimal inputs: `"x" × 65530` then `\t`, or `ESC [ 65530 C` then `\t`.
#[test]
fn regression_tab_at_the_line_cut_never_ends() {
    if !in_child(
        module_path!(),
        "regression_tab_at_the_line_cut_never_ends",
        Duration::from_secs(60),
    ) {
        return;
    }
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for before in (MAX_LINE_BYTES - 10)..=(MAX_LINE_BYTES + 2) {
        let mut v = vec![b'x'; before];
        v.extend_from_slice(b"\tend\n");
        inputs.push(v);
    }
    inputs.push(b"\x1b[65530C\tend\n".to_vec());
    CASE_LIMIT_MS.store(3_000, Ordering::Relaxed);
    inputs.push(b"\x1b[65535C\x1b[65535C\tend\n".to_vec());
    for input in inputs {
        let desc = squeeze(&format!("{:?}", String::from_utf8_lossy(&input)));
        *CURRENT_CASE.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), desc));
        let (events, pending) = clean(&input, &[]);
        check_events(&events, &input).unwrap();
        assert!(pending <= MAX_LINE_BYTES + 4);
        let texts = line_texts(&events);
        assert!(
            texts.last().is_some_and(|t| t.ends_with("end")),
            "the text after the tab was lost"
        );
    }
    *CURRENT_CASE.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// FIXED (regression test): a line longer than `MAX_LINE_BYTES + 4`. `ESC [ n C` moves the cursor up to
/// `MAX_LINE_BYTES` *characters*; the next character pads the line with spaces up to the
/// cursor without looking at its length in *bytes*, so when the line already holds
/// multi-byte characters the padded line passes the cut (up to about 1.75 × the limit).
/// Minimal input: `€€€ ESC [ 65535 C A` (a 65 543-byte line).
#[test]
fn regression_cursor_forward_padding_passes_the_line_cut() {
    let wide = "\u{1f600}".repeat(16_383);
    for prefix in ["€€€", wide.as_str()] {
        let mut input = prefix.as_bytes().to_vec();
        input.extend_from_slice(b"\x1b[65535CA\n");
        let (events, pending) = clean(&input, &[]);
        assert!(pending <= MAX_LINE_BYTES + 4);
        for e in &events {
            if let TextEvent::Line(l) = e {
                assert!(
                    l.text.len() <= MAX_LINE_BYTES + 4,
                    "a {}-byte line from {:?} ESC [ 65535 C A",
                    l.text.len(),
                    squeeze(prefix)
                );
            }
        }
    }
}

/// FIXED (regression test): DEL (0x7f) reaches a clean line. After an invalid UTF-8 byte `vte` decodes
/// the next byte as part of the character and then prints DEL as a character instead of
/// executing it, so `LineState::print` puts it in the line (elsewhere DEL is a backspace).
/// Minimal input: bytes `80 7f` (also `c2 7f`).
#[test]
fn regression_del_after_invalid_utf8_reaches_the_line() {
    for input in [&b"\x80\x7f\n"[..], b"\xc2\x7f\n", b"ok \xff\x7f done\n"] {
        let (events, _) = clean(input, &[]);
        for t in line_texts(&events) {
            assert!(!t.contains('\u{7f}'), "DEL in {t:?} from {input:?}");
        }
    }
}

// ==== 6. memory bounds ===========================================================================

/// A 10 MB line with no line feed: the pending line never passes `MAX_LINE_BYTES`, the line is
/// delivered in cut pieces of at most that size, and the cleaner's heap stays flat.
#[test]
fn memory_ten_megabyte_line() {
    const TOTAL: usize = 10 << 20;
    let chunk = vec![b'x'; 64 * 1024 + 13];
    let mut c = TextCleaner::default();
    let mut out = Vec::new();
    let mut delivered = 0usize;
    let mut pieces = 0usize;
    let mark = heap_mark();
    let mut fed = 0;
    while fed < TOTAL {
        let n = chunk.len().min(TOTAL - fed);
        c.feed(&chunk[..n], &mut out);
        fed += n;
        assert!(
            c.pending().len() <= MAX_LINE_BYTES,
            "pending {} bytes",
            c.pending().len()
        );
        for e in out.drain(..) {
            if let TextEvent::Line(l) = e {
                assert!(l.text.len() <= MAX_LINE_BYTES + 4);
                assert!(l.cut, "a piece of a long line is marked cut");
                assert_eq!(l.number, 1);
                delivered += l.text.len();
                pieces += 1;
            }
        }
    }
    let growth = heap_peak_growth(mark);
    c.finish(&mut out);
    for e in out.drain(..) {
        if let TextEvent::Line(l) = e {
            delivered += l.text.len();
        }
    }
    assert_eq!(delivered, TOTAL, "every byte of the line is delivered");
    assert!(pieces >= TOTAL / (MAX_LINE_BYTES + 4));
    assert!(
        growth < (1 << 20),
        "the cleaner's heap grew by {growth} bytes"
    );
}

/// FIXED (regression test): an OSC string (`ESC ]`) that is never terminated is buffered whole by
/// `vte` (its `std` feature keeps OSC bytes in an unbounded `Vec`), so 10 MB after a stray
/// `ESC ]` cost 10 MB of heap, and every line after it is swallowed until a BEL or ST
/// arrives. Minimal input: `ESC ]` followed by many bytes without BEL/ESC.
#[test]
fn regression_unterminated_osc_is_bounded() {
    const TOTAL: usize = 10 << 20;
    let mut c = TextCleaner::default();
    let mut out = Vec::new();
    c.feed(b"before\r\n\x1b]0;", &mut out);
    let chunk = b"output line\r\n".repeat(5000);
    let mark = heap_mark();
    let mut fed = 0;
    while fed < TOTAL {
        c.feed(&chunk, &mut out);
        fed += chunk.len();
        out.clear();
    }
    let growth = heap_peak_growth(mark);
    assert!(
        growth < (4 << 20),
        "10 MB after an unterminated ESC ] grew the heap by {growth} bytes"
    );
}
