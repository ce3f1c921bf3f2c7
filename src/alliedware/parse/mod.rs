//! Display parsers: command blocks in, model values out. One entry point (`apply`) for live
//! sessions and files alike; `fits` and `sniff` tell the transcript which lines belong where.

pub mod config;
pub mod counters;
pub mod detail;
pub mod interface;
pub mod ipsec;
pub mod isakmp;
pub mod log;

use crate::alliedware::commands::Display;
use crate::model::{RawOutput, Snapshot, SourceLine};
use std::sync::OnceLock;

/// What one parser made of its lines: the values, and the lines it did not understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    pub items: Vec<T>,
    pub unrecognised: Vec<SourceLine>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Parsed {
            items: Vec::new(),
            unrecognised: Vec::new(),
        }
    }
}

/// True when `line` has the shape of `display`'s output (header, row, blank, rule).
/// Lines that do not fit may be debug output that arrived in the middle of it.
pub fn fits(display: Display, line: &str) -> bool {
    // A table may have a title above its header (`ISAKMP SAs`, `IPSEC SAs`).
    let title = || detail::is_block_title(line);
    match display {
        Display::IsakmpSa => isakmp::sa_fits(line) || title(),
        Display::IsakmpExchange => isakmp::exchange_fits(line) || title(),
        Display::IpsecSa => ipsec::fits(line) || title(),
        Display::IsakmpSaDetail | Display::IpsecSaDetail | Display::IsakmpExchangeDetail => {
            detail::fits(line)
        }
        Display::Counters => counters::fits(line) || counters::is_title(line),
        Display::IpInterface => interface::fits(line),
        Display::Config => config::fits(line),
        Display::Log => log::fits(line),
        Display::DebugIpsec | Display::Other => true,
    }
}

/// A line shaped like a row of `display`'s table even when a cell does not parse (an SA id
/// too large for any integer, a cell too many): the first word is a number, and there are
/// at least four words. Such a line stays with its table (kept as text with a warning when
/// it does not parse): a table row never becomes a debug line.
pub fn row_like(display: Display, line: &str) -> bool {
    if !matches!(
        display,
        Display::IsakmpSa | Display::IsakmpExchange | Display::IpsecSa
    ) {
        return false;
    }
    let mut words = line.split_whitespace();
    words
        .next()
        .is_some_and(|w| w.len() <= 64 && w.bytes().all(|b| b.is_ascii_digit()))
        && words.take(3).count() == 3
}

/// Words without which no line starts a display: a fast first test, run as part of the
/// classifier's single pass over each line (see `Classifier::scan`).
pub const SNIFF_GATE: &str = r"peeraddress|isakmp\s+exchanges|bundle|ip\s+address|counters|sa\s+id|date|^\s*time|^\s*(?:cr|se|ad|en)[a-z]*\s+(?:isa|ips|fir)|^\s*#.*configuration|\.\.\.\.|hard/soft/used";

/// The words of a row that `re` matches, where `re` is anchored at both ends and made of `N`
/// groups of non-space characters separated by white space (`^\s*(..)\s+(..)...\s*$`):
/// its groups are then exactly the row's words, so the lazy DFA's yes or no and a split give
/// what a capture search gives, without that search (the bounded backtracker, many times
/// slower, on every row of every table).
pub(crate) fn row_words<'t, const N: usize>(re: &regex::Regex, t: &'t str) -> Option<[&'t str; N]> {
    if !re.is_match(t) {
        return None;
    }
    let mut it = t.split_whitespace();
    let mut out = [""; N];
    for w in out.iter_mut() {
        *w = it.next()?;
    }
    it.next().is_none().then_some(out)
}

/// A line that starts a display on its own (its header), for text with no prompts, such as
/// a saved `show debug ipsec`.
pub fn sniff(line: &str) -> Option<Display> {
    static GATE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    let gate = GATE.get_or_init(|| {
        regex::bytes::RegexBuilder::new(SNIFF_GATE)
            .case_insensitive(true)
            .unicode(false)
            .build()
            .expect("valid pattern")
    });
    if !gate.is_match(line.as_bytes()) {
        return None;
    }
    sniff_gated(line)
}

/// `sniff` for a line already known to pass `SNIFF_GATE`.
pub fn sniff_gated(line: &str) -> Option<Display> {
    let t = line.trim();
    if t.is_empty() {
        return None;
    }
    let low = t.to_ascii_lowercase();
    // Either line of a two-line header may come first: `Expiry Limits - hard/soft/used` above
    // `Bytes Seconds`, or above the column names.
    if (low.contains("peeraddress") || low.contains("hard/soft/used")) && isakmp::is_sa_header(t) {
        return Some(Display::IsakmpSa);
    }
    if isakmp::is_exchange_header(t) {
        return Some(Display::IsakmpExchange);
    }
    if ipsec::is_header(t) && low.contains("spi") {
        return Some(Display::IpsecSa);
    }
    if interface::is_header(t) {
        return Some(Display::IpInterface);
    }
    if log::is_header(t) {
        return Some(Display::Log);
    }
    if counters::is_title(t) {
        return Some(Display::Counters);
    }
    if config::is_config_start(t) || config::is_section_comment(t) {
        return Some(Display::Config);
    }
    // Last: a dotted leader outside any display starts a detail display (the saved
    // `show debug ipsec` runs several), so its fields never reach the debug stream.
    if detail::starts_display(line) {
        return Some(detail_display(None));
    }
    None
}

/// The three detail displays share one layout and one parser.
pub fn is_detail(display: Display) -> bool {
    matches!(
        display,
        Display::IsakmpSaDetail | Display::IpsecSaDetail | Display::IsakmpExchangeDetail
    )
}

/// Which detail display a dotted-leader block found without its command is, from the title
/// printed above it (`ISAKMP SA Details`, `ISAKMP Exchange Details`); without one, IPsec SA
/// detail (what `show debug ipsec` prints for `show ipsec sa=*sa*`).
pub fn detail_display(title: Option<&str>) -> Display {
    let t = title.unwrap_or("").to_ascii_lowercase();
    if t.contains("isakmp") || t.contains("ike") {
        if t.contains("exchange") {
            Display::IsakmpExchangeDetail
        } else {
            Display::IsakmpSaDetail
        }
    } else {
        Display::IpsecSaDetail
    }
}

/// Apply one command's output to the router state. `canonical` is the command as
/// `commands::recognise` spelt it. Lines no parser understood are kept in `snapshot.raw`.
pub fn apply(display: Display, canonical: &str, lines: &[SourceLine], snapshot: &mut Snapshot) {
    let first_line = lines.first().map(|l| l.number).unwrap_or(0);
    let unrecognised = match display {
        Display::IsakmpSa => {
            let p = isakmp::parse_sa(lines);
            snapshot.ike_sas = p.items;
            snapshot.seen.ike_sas = true;
            p.unrecognised
        }
        Display::IsakmpExchange => {
            let p = isakmp::parse_exchanges(lines);
            snapshot.exchanges = p.items;
            snapshot.seen.exchanges = true;
            p.unrecognised
        }
        Display::IpsecSa => {
            let p = ipsec::parse(lines);
            snapshot.ipsec_sas = p.items;
            snapshot.seen.ipsec_sas = true;
            p.unrecognised
        }
        Display::IsakmpSaDetail | Display::IpsecSaDetail | Display::IsakmpExchangeDetail => {
            let p = detail::parse(canonical, lines);
            for d in p.items {
                snapshot.replace_detail(d);
            }
            p.unrecognised
        }
        Display::Counters => {
            let p = counters::parse(canonical, lines);
            snapshot.replace_counters(canonical, p.items);
            p.unrecognised
        }
        Display::IpInterface => {
            let p = interface::parse(lines);
            snapshot.interfaces = p.items;
            snapshot.seen.interfaces = true;
            p.unrecognised
        }
        Display::Config => {
            let (cfg, unknown) = config::parse(lines);
            let sections = if canonical.starts_with("show config") {
                config::Sections::for_command(canonical)
            } else {
                config::sections_present(&cfg)
            };
            config::merge(&mut snapshot.config, cfg, sections);
            snapshot.seen.config = true;
            // Other configuration commands are expected in a whole configuration.
            let _ = unknown;
            Vec::new()
        }
        Display::Log => {
            let p = log::parse(lines);
            snapshot.log = p.items;
            snapshot.seen.log = true;
            p.unrecognised
        }
        Display::DebugIpsec | Display::Other => {
            let kept: Vec<String> = lines.iter().map(|l| l.text.clone()).collect();
            if kept.iter().any(|l| !l.trim().is_empty()) {
                push_raw(
                    snapshot,
                    RawOutput {
                        command: canonical.to_string(),
                        line: first_line,
                        lines: kept,
                        warning: "no parser for this command's output; kept as text".into(),
                    },
                );
            }
            Vec::new()
        }
    };
    if !unrecognised.is_empty() {
        let line = unrecognised[0].number;
        let count = unrecognised.len();
        push_raw(
            snapshot,
            RawOutput {
                command: canonical.to_string(),
                line,
                lines: unrecognised.into_iter().map(|l| l.text).collect(),
                warning: format!(
                    "{count} line(s) of this display were not understood; kept as text"
                ),
            },
        );
    }
}

/// Raw output is bounded: a flood of unknown text keeps its newest blocks.
pub const MAX_RAW_BLOCKS: usize = 200;
pub const MAX_RAW_LINES_PER_BLOCK: usize = 2000;

fn push_raw(snapshot: &mut Snapshot, mut raw: RawOutput) {
    if raw.lines.len() > MAX_RAW_LINES_PER_BLOCK {
        let dropped = raw.lines.len() - MAX_RAW_LINES_PER_BLOCK;
        raw.lines.truncate(MAX_RAW_LINES_PER_BLOCK);
        raw.warning
            .push_str(&format!(" ({dropped} more lines not kept)"));
    }
    // The same command's earlier output is superseded by this one.
    snapshot
        .raw
        .retain(|r| r.command != raw.command || raw.command.is_empty());
    if snapshot.raw.len() >= MAX_RAW_BLOCKS {
        snapshot.raw.remove(0);
    }
    snapshot.raw.push(raw);
}
