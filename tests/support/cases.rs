//! Running generated cases (proptest) for the property and fuzz tests: one runner, the list
//! of every display, input cut into pieces as a line delivers it, and failing inputs printed
//! short enough to read.

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::fmt::Debug;
use tunnelscope::alliedware::commands::Display;

/// Every display the parsers know, `Other` included.
pub const DISPLAYS: [Display; 12] = [
    Display::IsakmpSa,
    Display::IsakmpSaDetail,
    Display::IsakmpExchange,
    Display::IsakmpExchangeDetail,
    Display::IpsecSa,
    Display::IpsecSaDetail,
    Display::Counters,
    Display::IpInterface,
    Display::Config,
    Display::Log,
    Display::DebugIpsec,
    Display::Other,
];

/// `cases` cases, no file of failures kept (a failure is reported, not replayed next run), and
/// shrinking bounded so a failing 64 KiB input is reported in seconds.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 1024,
        max_shrink_time: 10_000,
        ..Config::default()
    }
}

/// Runs `test` on inputs from `strategy` under `config`; fails the test naming `name` with the
/// minimal failing input found (shortened by `squeeze`).
pub fn run<S>(
    name: &str,
    config: Config,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: Debug,
{
    let mut runner = TestRunner::new(config);
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{name}: {}", squeeze(&e.to_string()));
    }
}

/// `data` in pieces of the given sizes (cycled; at least 1 byte each), as a line delivers it;
/// no sizes: all of it at once.
pub fn pieces<'a>(data: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < data.len() {
        let n = match sizes {
            [] => data.len(),
            _ => sizes[i % sizes.len()].max(1),
        };
        let end = (at + n).min(data.len());
        out.push(&data[at..end]);
        at = end;
        i += 1;
    }
    out
}

/// Shorten runs of a repeated character (`x{×65530}`) or list element (`120 ×65530`), so a
/// 64 KiB input prints readably.
pub fn squeeze(s: &str) -> String {
    // Repeated list elements first (`120, 120, 120` -> `120 ×3`).
    let mut out = String::new();
    let parts: Vec<&str> = s.split(", ").collect();
    let mut i = 0;
    while i < parts.len() {
        let mut j = i + 1;
        while j < parts.len() && parts[j] == parts[i] {
            j += 1;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(parts[i]);
        if j - i > 3 {
            out.push_str(&format!(" ×{}", j - i));
        } else {
            for _ in i + 1..j {
                out.push_str(", ");
                out.push_str(parts[i]);
            }
        }
        i = j;
    }
    // Then long runs of one character (`xxx…x` -> `x{×50}`).
    let chars: Vec<char> = out.chars().collect();
    let mut res = String::new();
    let mut i = 0;
    while i < chars.len() {
        let mut j = i + 1;
        while j < chars.len() && chars[j] == chars[i] {
            j += 1;
        }
        if j - i > 40 {
            res.push(chars[i]);
            res.push_str(&format!("{{×{}}}", j - i));
        } else {
            res.extend(&chars[i..j]);
        }
        i = j;
    }
    if res.len() > 20_000 {
        let mut cut = 20_000;
        while !res.is_char_boundary(cut) {
            cut -= 1;
        }
        res.truncate(cut);
        res.push_str(" …(cut)");
    }
    res
}
