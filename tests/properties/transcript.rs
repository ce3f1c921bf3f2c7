//! Properties of the transcript splitter (`console::transcript`): every clean line accounted
//! for exactly once, however the bytes arrive, and a block's lines bounded.

use crate::gen::*;
use crate::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeMap;

use tunnelscope::alliedware::commands::recognise;
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::prompt::PromptMatcher;
use tunnelscope::console::text::{LineKind, TextCleaner, TextEvent};
use tunnelscope::console::transcript::{Item, Transcript, MAX_BLOCK_LINES};

// ==== 2. transcript ==============================================================================

/// Where each clean line went: every line is accounted for exactly once, with its text.
pub(crate) fn account_lines(events: &[TextEvent], items: &[Item]) -> Result<(), TestCaseError> {
    let matcher = PromptMatcher::default();
    let mut input: BTreeMap<usize, (String, LineKind)> = BTreeMap::new();
    let mut pagers_in = 0;
    for e in events {
        match e {
            TextEvent::Line(l) => {
                prop_assert!(!l.cut, "test input has no long lines");
                let dup = input.insert(l.number, (l.text.clone(), l.kind.clone()));
                prop_assert!(dup.is_none(), "two lines numbered {}", l.number);
            }
            TextEvent::Pager => pagers_in += 1,
        }
    }
    let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
    let mut pagers_out = 0;
    let mut saw_truncated = false;
    let mut prev: Option<&Item> = None;
    for (index, item) in items.iter().enumerate() {
        if saw_truncated {
            prop_assert!(
                matches!(item, Item::Block(b) if b.truncated),
                "an item after a block cut short by the end of input: {item:?}"
            );
        }
        match item {
            Item::Block(b) => {
                saw_truncated |= b.truncated;
                prop_assert_eq!(b.dropped, 0);
                match &b.prompt {
                    Some(p) => {
                        *seen.entry(b.start_line).or_default() += 1;
                        let Some((text, _)) = input.get(&b.start_line) else {
                            return Err(TestCaseError::fail(format!(
                                "block at line {} that was not in the input",
                                b.start_line
                            )));
                        };
                        let m = matcher.match_line(text);
                        prop_assert_eq!(m.as_ref(), Some(p), "prompt of line {}", b.start_line);
                        prop_assert_eq!(&b.command.typed, &p.rest);
                        prop_assert_eq!(b.command.display, recognise(&p.rest).display);
                    }
                    None => {
                        prop_assert_eq!(
                            b.lines.first().map(|l| l.number),
                            Some(b.start_line),
                            "a display found by its header starts with the header"
                        );
                    }
                }
                let mut last = b.start_line;
                for (i, l) in b.lines.iter().enumerate() {
                    if b.prompt.is_some() || i > 0 {
                        prop_assert!(l.number > last, "block lines out of order");
                    }
                    last = l.number;
                    *seen.entry(l.number).or_default() += 1;
                    prop_assert_eq!(
                        input.get(&l.number).map(|(t, _)| t),
                        Some(&l.text),
                        "text of line {}",
                        l.number
                    );
                }
            }
            Item::Unsolicited(l, _) => {
                // A strong prompt followed by debug text is reported as the prompt, then the
                // text after it: one line, two items.
                let split = matches!(prev, Some(Item::Prompt(p, n)) if *n == l.number && p.rest == l.text && !l.text.is_empty());
                if !split {
                    *seen.entry(l.number).or_default() += 1;
                    prop_assert_eq!(
                        input.get(&l.number).map(|(t, _)| t),
                        Some(&l.text),
                        "text of line {}",
                        l.number
                    );
                }
            }
            Item::Prompt(_, n) | Item::Login(_, n) | Item::Password(n) => {
                *seen.entry(*n).or_default() += 1;
                let kind = input.get(n).map(|(_, k)| k);
                let ok = match (item, kind) {
                    (Item::Prompt(p, _), Some(LineKind::Prompt(q))) => p == q,
                    (Item::Login(u, _), Some(LineKind::Login(v))) => u == v,
                    (Item::Password(_), Some(LineKind::Password)) => true,
                    _ => false,
                };
                prop_assert!(ok, "{item:?} from a line of kind {kind:?}");
                // Text typed after an idle prompt must follow it, not vanish.
                if let Item::Prompt(p, n) = item {
                    if !p.rest.is_empty() {
                        let next = items.get(index + 1);
                        let follows = matches!(next, Some(Item::Unsolicited(l, _)) if l.number == *n && l.text == p.rest);
                        prop_assert!(
                            follows,
                            "the text after prompt {p:?} (line {n}) was lost; next item {next:?}"
                        );
                    }
                }
            }
            Item::Pager => pagers_out += 1,
        }
        prev = Some(item);
    }
    prop_assert_eq!(pagers_in, pagers_out);
    let lost: Vec<_> = input
        .iter()
        .filter(|(n, _)| !seen.contains_key(n))
        .map(|(n, (t, _))| (*n, t.clone()))
        .collect();
    prop_assert!(lost.is_empty(), "lines lost: {lost:?}");
    let twice: Vec<_> = seen.iter().filter(|(_, c)| **c != 1).collect();
    prop_assert!(twice.is_empty(), "lines placed more than once: {twice:?}");
    let extra: Vec<_> = seen.keys().filter(|n| !input.contains_key(n)).collect();
    prop_assert!(
        extra.is_empty(),
        "items for lines not in the input: {extra:?}"
    );
    Ok(())
}

/// Every clean line ends up in exactly one place (a block's lines, a block's command line, the
/// unsolicited stream, or a prompt, login or password item), with its text; blocks cut short
/// by the end come last; chunking the bytes changes nothing.
#[test]
fn transcript_accounts_for_every_line() {
    check(
        "transcript_accounts_for_every_line",
        192,
        (session_capture(), chunk_sizes()),
        |(bytes, sizes)| {
            let (events, items) = pipeline(&bytes, &[]);
            account_lines(&events, &items)?;
            let (events2, items2) = pipeline(&bytes, &sizes);
            prop_assert_eq!(&events, &events2, "cleaner output depends on chunking");
            prop_assert_eq!(&items, &items2, "transcript output depends on chunking");
            Ok(())
        },
    );
}

/// Arbitrary ASCII lines (not only session-shaped ones) are accounted for too.
#[test]
fn transcript_accounts_for_arbitrary_lines() {
    check(
        "transcript_accounts_for_arbitrary_lines",
        128,
        vec(
            prop_oneof![2 => session_line(), 2 => parser_line().prop_filter("ascii", |s| s.is_ascii()), 1 => "[ -~]{0,80}"],
            0..60,
        ),
        |lines| {
            let bytes = lines.join("\r\n").into_bytes();
            let (events, items) = pipeline(&bytes, &[]);
            account_lines(&events, &items)
        },
    );
}

/// 200 000 lines in one command's output: the block keeps `MAX_BLOCK_LINES` and counts the
/// rest, and the second half of the flood costs no memory.
#[test]
fn memory_block_lines_are_bounded() {
    const LINES: usize = 200_000;
    let classifier = Classifier::builtin();
    let mut cleaner = TextCleaner::default();
    let mut tr = Transcript::new(classifier);
    let mut ev = Vec::new();
    let mut items = Vec::new();
    cleaner.feed(b"SecOff Peer1> show isakmp sa\r\n", &mut ev);
    tr.feed(&mut ev, &mut items);
    let row = |i: usize| format!(" {i}  200.200.200.1  3DES  SHA  -/-/-  86400/82080/{i}\r\n");
    let mut batch = String::new();
    let mut mark = 0;
    let mut growth_second_half = 0;
    for i in 0..LINES {
        batch.push_str(&row(i));
        if batch.len() > 32 * 1024 || i + 1 == LINES {
            cleaner.feed(batch.as_bytes(), &mut ev);
            tr.feed(&mut ev, &mut items);
            batch.clear();
            assert!(items.is_empty(), "the block is still open");
        }
        if i == MAX_BLOCK_LINES + 1000 {
            mark = heap_mark();
        }
        if i + 1 == LINES {
            growth_second_half = heap_peak_growth(mark);
        }
    }
    cleaner.feed(b"SecOff Peer1> ", &mut ev);
    cleaner.finish(&mut ev);
    tr.feed(&mut ev, &mut items);
    tr.finish(&mut items);
    let blocks: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::Block(b) => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(blocks.len(), 1, "{} items", items.len());
    let b = blocks[0];
    assert_eq!(b.lines.len(), MAX_BLOCK_LINES);
    assert_eq!(b.dropped, LINES - MAX_BLOCK_LINES);
    assert_eq!(b.lines.last().map(|l| l.number), Some(MAX_BLOCK_LINES + 1));
    assert!(
        growth_second_half < (1 << 20),
        "lines past MAX_BLOCK_LINES grew the heap by {growth_second_half} bytes"
    );
}
