//! Properties of the display parsers (`alliedware::parse`), `parse::apply`, command recognition,
//! the debug classifier and the counters parser: no panic, line numbers kept, round trips.

use crate::gen::*;
use crate::support::cases::DISPLAYS;
use crate::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeSet;

use tunnelscope::alliedware::commands::{recognise, split_words, Display};
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::parse::{
    self, config, counters, detail, interface, ipsec, isakmp, log,
};
use tunnelscope::model::{Snapshot, SourceLine};

// ==== 3. parsers =================================================================================

pub(crate) fn in_input(lines: &[SourceLine]) -> BTreeSet<usize> {
    lines.iter().map(|l| l.number).collect()
}

pub(crate) fn lines_exist(
    what: &str,
    nums: &[usize],
    input: &BTreeSet<usize>,
) -> Result<(), TestCaseError> {
    for n in nums {
        prop_assert!(input.contains(n), "{what}: line {n} is not in the input");
    }
    Ok(())
}

/// Unrecognised lines are input lines, unchanged.
pub(crate) fn unchanged(
    what: &str,
    unrec: &[SourceLine],
    lines: &[SourceLine],
) -> Result<(), TestCaseError> {
    for u in unrec {
        prop_assert!(
            lines.iter().any(|l| l == u),
            "{what}: unrecognised line {u:?} is not an input line"
        );
    }
    Ok(())
}

/// Every parser on arbitrary lines: no panic, every value's line number is an input line, and
/// every unrecognised line is an input line.
#[test]
fn parsers_never_panic_and_keep_line_numbers() {
    check(
        "parsers_never_panic_and_keep_line_numbers",
        256,
        source_lines(),
        |lines| {
            let input = in_input(&lines);
            let p = isakmp::parse_sa(&lines);
            lines_exist(
                "isakmp sa",
                &p.items.iter().map(|x| x.line).collect::<Vec<_>>(),
                &input,
            )?;
            unchanged("isakmp sa", &p.unrecognised, &lines)?;
            let p = isakmp::parse_exchanges(&lines);
            lines_exist(
                "exchanges",
                &p.items.iter().map(|x| x.line).collect::<Vec<_>>(),
                &input,
            )?;
            unchanged("exchanges", &p.unrecognised, &lines)?;
            let p = ipsec::parse(&lines);
            lines_exist(
                "ipsec sa",
                &p.items.iter().map(|x| x.line).collect::<Vec<_>>(),
                &input,
            )?;
            unchanged("ipsec sa", &p.unrecognised, &lines)?;
            let p = counters::parse("show ipsec counters", &lines);
            lines_exist(
                "counters",
                &p.items.iter().map(|x| x.line).collect::<Vec<_>>(),
                &input,
            )?;
            unchanged("counters", &p.unrecognised, &lines)?;
            for c in &p.items {
                prop_assert!(
                    lines.iter().any(|l| l.number == c.line
                        && l.text.contains(&c.name)
                        && l.text.contains(&c.value.to_string())),
                    "counter {c:?} is not on its line"
                );
            }
            let p = detail::parse("show ipsec sa=0", &lines);
            unchanged("detail", &p.unrecognised, &lines)?;
            for d in &p.items {
                for f in &d.fields {
                    prop_assert!(
                        lines.iter().any(|l| l.text.contains(&f.label)),
                        "detail label {:?} is on no line",
                        f.label
                    );
                }
            }
            let p = interface::parse(&lines);
            lines_exist(
                "interfaces",
                &p.items.iter().map(|x| x.line).collect::<Vec<_>>(),
                &input,
            )?;
            unchanged("interfaces", &p.unrecognised, &lines)?;
            let p = log::parse(&lines);
            lines_exist(
                "log",
                &p.items.iter().map(|x| x.line).collect::<Vec<_>>(),
                &input,
            )?;
            unchanged("log", &p.unrecognised, &lines)?;
            let (cfg, unknown) = config::parse(&lines);
            let mut nums: Vec<usize> = unknown.iter().map(|l| l.number).collect();
            nums.extend(cfg.ike_policies.iter().map(|p| p.line));
            nums.extend(cfg.ipsec_policies.iter().map(|p| p.line));
            for f in &cfg.firewall_policies {
                nums.push(f.line);
                nums.extend(f.interfaces.iter().map(|i| i.line));
                nums.extend(f.rules.iter().map(|r| r.line));
            }
            lines_exist("config", &nums, &input)?;
            // The line shape tests never panic either.
            for l in &lines {
                let _ = parse::sniff(&l.text);
                let _ = parse::sniff_gated(&l.text);
                let _ = counters::pairs(&l.text);
                let _ = detail::leader(&l.text);
                let _ = config::is_config_start(&l.text);
            }
            Ok(())
        },
    );
}

pub(crate) fn snapshot_lines(s: &Snapshot) -> Vec<(&'static str, usize)> {
    let mut v = Vec::new();
    v.extend(s.ike_sas.iter().map(|x| ("isakmp sa", x.line)));
    v.extend(s.exchanges.iter().map(|x| ("exchange", x.line)));
    v.extend(s.ipsec_sas.iter().map(|x| ("ipsec sa", x.line)));
    v.extend(s.counters.iter().map(|x| ("counter", x.line)));
    v.extend(s.interfaces.iter().map(|x| ("interface", x.line)));
    v.extend(s.log.iter().map(|x| ("log", x.line)));
    v.extend(s.config.ike_policies.iter().map(|x| ("ike policy", x.line)));
    v.extend(
        s.config
            .ipsec_policies
            .iter()
            .map(|x| ("ipsec policy", x.line)),
    );
    for f in &s.config.firewall_policies {
        v.push(("firewall policy", f.line));
        v.extend(f.interfaces.iter().map(|x| ("firewall interface", x.line)));
        v.extend(f.rules.iter().map(|x| ("firewall rule", x.line)));
    }
    v.extend(
        s.raw
            .iter()
            .filter(|r| r.line != 0)
            .map(|r| ("raw", r.line)),
    );
    v
}

/// `parse::apply` for every display on arbitrary lines: no panic, every line number in the
/// snapshot is an input line, raw output is bounded, and applying the same output twice
/// gives the same state as once (a live session re-reads displays all the time).
#[test]
fn apply_every_display() {
    let canonical = select(vec![
        "",
        "show isakmp sa",
        "show ipsec policy=x counters",
        "show config dynamic=isakmp",
        "show config dynamic",
        "counters: Outbound Packet Processing Counters",
        "show log",
    ]);
    check(
        "apply_every_display",
        128,
        (source_lines(), canonical),
        |(lines, canonical)| {
            let input = in_input(&lines);
            for d in DISPLAYS {
                for canonical in [canonical, d.default_command()] {
                    let mut once = Snapshot::default();
                    parse::apply(d, canonical, &lines, &mut once);
                    for (what, n) in snapshot_lines(&once) {
                        prop_assert!(
                            input.contains(&n),
                            "{d:?}: {what} at line {n}, not in the input"
                        );
                    }
                    for r in &once.raw {
                        prop_assert!(r.lines.len() <= parse::MAX_RAW_LINES_PER_BLOCK);
                        prop_assert!(
                            r.line != 0 || lines.is_empty(),
                            "{d:?}: raw output without a line"
                        );
                    }
                    if d != Display::Config && !canonical.is_empty() {
                        let mut twice = once.clone();
                        parse::apply(d, canonical, &lines, &mut twice);
                        prop_assert_eq!(&once, &twice, "{:?}: applying twice differs", d);
                    }
                }
            }
            Ok(())
        },
    );
}

/// Command words and recognition: no panic; the canonical form is a fixed point (recognising
/// it again gives the same canonical form and display).
#[test]
fn commands_canonical_form_is_stable() {
    let word = prop_oneof![
        3 => select(vec![
            "show", "sh", "SHOW", "isakmp", "isa", "ISA", "ipsec", "ips", "ip", "sa", "SA",
            "exchange", "exch", "counters", "counter", "cou", "policy", "pol", "config", "conf",
            "dynamic", "dyn", "log", "debug", "deb", "detail", "det", "interface", "int", "enco",
            "module", "mod", "system",
        ])
        .prop_map(str::to_string),
        2 => ("[a-z]{1,8}", "[A-Za-z0-9_.]{0,8}").prop_map(|(k, v)| format!("{k}={v}")),
        1 => ("[a-z]{1,8}", "[A-Za-z0-9_]{1,5}( [A-Za-z0-9_]{1,5}){1,2}")
            .prop_map(|(k, v)| format!("{k}=\"{v}\"")),
        1 => "[!-~]{1,10}".prop_filter("no quotes", |s| !s.contains('"')),
    ];
    check(
        "commands_canonical_form_is_stable",
        256,
        (vec(word, 0..6), 1usize..4),
        |(words, gap)| {
            let typed = words.join(&" ".repeat(gap));
            let first = recognise(&typed);
            prop_assert_eq!(&first.typed, &typed);
            let again = recognise(&first.canonical);
            prop_assert_eq!(&again.canonical, &first.canonical);
            prop_assert_eq!(again.display, first.display);
            prop_assert_eq!(split_words(&typed).len(), words.len());
            Ok(())
        },
    );
}

/// The classifier on arbitrary text: no panic, and (as `rules.toml` documents) the case of
/// the line does not matter, except for the tokens the rules deliberately match with case
/// (`KE`, `Ni`, `Nr`, `Notify:`, strongSwan's `[ ... D ... ]` payload lists): lines holding
/// one of those are only checked for panics.
#[test]
fn classifier_never_panics() {
    let c = Classifier::builtin();
    let case_sensitive = regex::bytes::RegexBuilder::new(r"\b(?:ke|ni|nr)\b|notify:|\[")
        .case_insensitive(true)
        .unicode(false)
        .build()
        .expect("valid pattern");
    check(
        "classifier_never_panics",
        256,
        prop_oneof![
            any_parser_line(),
            select(DEBUG).prop_map(str::to_string),
            ".{0,200}"
        ],
        |line| {
            let full = c.classify(&line, true);
            if case_sensitive.is_match(line.as_bytes()) {
                return Ok(());
            }
            for other in [line.to_ascii_uppercase(), line.to_ascii_lowercase()] {
                let o = c.classify(&other, false);
                prop_assert_eq!(o.phase, full.phase, "{:?} and {:?}", line, other);
                prop_assert_eq!(o.failure, full.failure, "{:?} and {:?}", line, other);
                prop_assert_eq!(
                    c.is_debug(&other),
                    c.is_debug(&line),
                    "{:?} and {:?}",
                    line,
                    other
                );
            }
            Ok(())
        },
    );
}

/// Counter lines: `name value` pairs with random separators and spacing, several per line,
/// under optional section titles; the parser returns exactly them, in order.
#[test]
fn counters_round_trip() {
    let name = "[A-Za-z][A-Za-z0-9_]{0,20}";
    let sep = select(vec![
        " ",
        "  ",
        "     ",
        ":",
        ": ",
        " : ",
        "=",
        " = ",
        " ........ ",
        "..",
        "\t",
    ]);
    let pair = (name, sep, any::<u64>());
    let line = (0usize..6, vec((pair, 1usize..8), 1..5));
    let title = "[A-Z][a-z]{2,9}( [A-Z][a-z]{2,9}){0,3}".prop_map(|s| format!("{s} Counters"));
    let section = (prop::option::of((title, any::<bool>())), vec(line, 0..6));
    check("counters_round_trip", 256, vec(section, 1..5), |sections| {
        let mut texts = Vec::new();
        let mut expected = Vec::new();
        let mut current = String::new();
        for (title, lines) in &sections {
            if let Some((t, colon)) = title {
                texts.push(if *colon { format!("{t}:") } else { t.clone() });
                current = t.clone();
            }
            for (indent, pairs) in lines {
                let mut s = " ".repeat(*indent);
                for (i, ((n, sep, v), gap)) in pairs.iter().enumerate() {
                    if i > 0 {
                        s.push_str(&" ".repeat(*gap));
                    }
                    s.push_str(&format!("{n}{sep}{v}"));
                    expected.push((current.clone(), n.clone(), *v, texts.len() + 1));
                }
                texts.push(s);
            }
        }
        let lines = numbered(1, &texts);
        let p = counters::parse("show ipsec counters", &lines);
        prop_assert!(
            p.unrecognised.is_empty(),
            "unrecognised: {:?}",
            p.unrecognised
        );
        let got: Vec<_> = p
            .items
            .iter()
            .map(|c| (c.section.clone(), c.name.clone(), c.value, c.line))
            .collect();
        prop_assert_eq!(got, expected);
        for l in &lines {
            prop_assert!(
                parse::fits(Display::Counters, &l.text),
                "{:?} does not fit",
                l.text
            );
        }
        Ok(())
    });
}
