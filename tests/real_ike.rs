//! The real IKEv1 corpus: strongSwan charon logs made by `tests/real-ike/make-corpus.sh` (two
//! daemons in network namespaces, eight scenarios, both ends), labelled by the templates of
//! `tests/real-ike/labels.toml`.
//!
//! - every line of every committed log is labelled by exactly one template;
//! - each scenario's labels say what the scenario is (where it failed, in which phase, on both
//!   ends);
//! - the built-in classifier's accuracy (with its exchange tracker, fed line by line) against
//!   the labels is measured, printed, and held at the issue's target levels;
//! - each scenario's findings (`analyze` on each log) name its cause and phase on both ends,
//!   and no wrong cause;
//! - an ignored test (needs root) regenerates the corpus with real charon into a temporary
//!   directory and runs the same label, scenario, accuracy and findings checks on the fresh
//!   logs.
//!
//! The labeller (templates plus the context rules documented in labels.toml) lives here, not in
//! the crate: it is the reference the classifier is measured against.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;
use tunnelscope::alliedware::debug::{Classifier, Tracker};
use tunnelscope::analyze::{analyze_bytes, Options};
use tunnelscope::model::Phase;

/// The scenarios the script makes, each with an initiator (`a`) and a responder (`b`) log.
const SCENARIOS: &[&str] = &[
    "healthy",
    "psk-mismatch",
    "p1-proposal-mismatch",
    "p2-proposal-mismatch",
    "ts-mismatch",
    "peer-unreachable",
    "aggressive-healthy",
    "aggressive-id-mismatch",
];
const ENDS: &[&str] = &["a", "b"];

fn real_ike_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real-ike")
}

// ---- the labeller ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct LabelsFile {
    template: Vec<TemplateDef>,
}

#[derive(Deserialize)]
struct TemplateDef {
    name: String,
    #[serde(rename = "match")]
    pattern: String,
    phase: String,
    failure: bool,
    reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum PhaseRule {
    Own(Phase),
    PrevInThread,
    NextInThread,
    Negotiation,
}

struct Template {
    name: String,
    re: Regex,
    rule: PhaseRule,
    failure: bool,
}

fn load_templates() -> Vec<Template> {
    let path = real_ike_dir().join("labels.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file: LabelsFile =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut names = std::collections::HashSet::new();
    file.template
        .into_iter()
        .map(|t| {
            assert!(names.insert(t.name.clone()), "template {} twice", t.name);
            assert!(
                !t.reason.trim().is_empty(),
                "template {} has no reason",
                t.name
            );
            let rule = match t.phase.as_str() {
                "none" => PhaseRule::Own(Phase::None),
                "1" => PhaseRule::Own(Phase::One),
                "1.5" => PhaseRule::Own(Phase::OneAndHalf),
                "2" => PhaseRule::Own(Phase::Two),
                "info" => PhaseRule::Own(Phase::Info),
                "prev-in-thread" => PhaseRule::PrevInThread,
                "next-in-thread" => PhaseRule::NextInThread,
                "negotiation" => PhaseRule::Negotiation,
                other => panic!("template {}: unknown phase {other:?}", t.name),
            };
            let re = Regex::new(&t.pattern)
                .unwrap_or_else(|e| panic!("template {}: bad regex: {e}", t.name));
            Template {
                name: t.name,
                re,
                rule,
                failure: t.failure,
            }
        })
        .collect()
}

/// One labelled line of a log.
#[derive(Debug, Clone)]
struct Labelled {
    line: String,
    template: usize,
    phase: Phase,
    failure: bool,
    /// The phase is in the line's own words (its template decides alone, no context rule).
    own: bool,
}

/// charon's prefix: any time stamp, the thread, the log group, the IKE_SA name if logged.
fn prefix_re() -> Regex {
    Regex::new(r"^.*?(\d{2})\[([A-Z]{3})\] (?:<[^>]*> )?(.*)$").expect("static regex")
}

fn is_negotiation(p: Phase) -> bool {
    matches!(p, Phase::One | Phase::OneAndHalf | Phase::Two)
}

/// Label every line of one log; errors name the file, line number and text.
fn label_log(templates: &[Template], name: &str, text: &str) -> Result<Vec<Labelled>, Vec<String>> {
    let prefix = prefix_re();
    let mut errors = Vec::new();
    let mut out = Vec::new();
    // (thread, rule) per line, for the context passes.
    let mut threads = Vec::new();
    let mut rules = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let Some(caps) = prefix.captures(line) else {
            errors.push(format!("{name}:{}: no charon prefix: {line}", n + 1));
            continue;
        };
        let thread: u32 = caps[1].parse().expect("two digits");
        let body = caps.get(3).map_or("", |m| m.as_str());
        let hits: Vec<usize> = templates
            .iter()
            .enumerate()
            .filter(|(_, t)| t.re.is_match(body))
            .map(|(i, _)| i)
            .collect();
        match hits.as_slice() {
            [i] => {
                let t = &templates[*i];
                let (phase, own) = match t.rule {
                    PhaseRule::Own(p) => (p, true),
                    _ => (Phase::None, false),
                };
                out.push(Labelled {
                    line: line.to_string(),
                    template: *i,
                    phase,
                    failure: t.failure,
                    own,
                });
                threads.push(thread);
                rules.push(t.rule);
            }
            [] => errors.push(format!("{name}:{}: no template matches: {line}", n + 1)),
            many => errors.push(format!(
                "{name}:{}: {} templates match ({}): {line}",
                n + 1,
                many.len(),
                many.iter()
                    .map(|i| templates[*i].name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Pass 1, top to bottom: prev-in-thread and negotiation.
    let mut negotiation = Phase::None;
    for i in 0..out.len() {
        match rules[i] {
            PhaseRule::PrevInThread => {
                out[i].phase = (0..i)
                    .rev()
                    .find(|&j| threads[j] == threads[i])
                    .map_or(Phase::None, |j| out[j].phase);
            }
            PhaseRule::Negotiation => out[i].phase = negotiation,
            _ => {}
        }
        if rules[i] != PhaseRule::NextInThread && is_negotiation(out[i].phase) {
            negotiation = out[i].phase;
        }
    }
    // Pass 2, bottom to top: next-in-thread.
    for i in (0..out.len()).rev() {
        if rules[i] == PhaseRule::NextInThread {
            out[i].phase = (i + 1..out.len())
                .find(|&j| threads[j] == threads[i])
                .map_or(Phase::None, |j| out[j].phase);
        }
    }
    Ok(out)
}

/// Every log of a corpus directory, labelled; panics listing every unlabelled line.
fn label_corpus(dir: &Path, templates: &[Template]) -> BTreeMap<(String, String), Vec<Labelled>> {
    let mut logs = BTreeMap::new();
    let mut errors = Vec::new();
    for scenario in SCENARIOS {
        for end in ENDS {
            let name = format!("{scenario}.{end}.log");
            let path = dir.join(&name);
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(format!("{}: {e}", path.display()));
                    continue;
                }
            };
            if text.trim().is_empty() {
                errors.push(format!("{name}: empty"));
                continue;
            }
            match label_log(templates, &name, &text) {
                Ok(l) => {
                    logs.insert((scenario.to_string(), end.to_string()), l);
                }
                Err(e) => errors.extend(e),
            }
        }
    }
    assert!(
        errors.is_empty(),
        "{} line(s) not labelled by exactly one template:\n{}",
        errors.len(),
        errors.join("\n")
    );
    logs
}

// ---- what each scenario must show -----------------------------------------------------------

struct Expect {
    scenario: &'static str,
    end: &'static str,
    /// `Some(p)`: at least one failure line, and every failure line is in phase `p`.
    /// `None`: no failure line.
    fails_in: Option<Phase>,
    /// Templates that must label some line with the given phase.
    needs: &'static [(&'static str, Phase)],
    /// The log has no line of phase 1, 1.5 or 2 (the end saw no negotiation).
    quiet: bool,
}

use Phase::{Info, One, Two};

const HEALTHY_NEEDS: &[(&str, Phase)] = &[
    ("message-phase-1", One),
    ("ike-established", One),
    ("message-phase-2", Two),
    ("child-established", Two),
    ("packet-sent", Two),
    ("packet-received", Two),
    ("delete", Info),
];

const EXPECT: &[Expect] = &[
    Expect {
        scenario: "healthy",
        end: "a",
        fails_in: None,
        needs: HEALTHY_NEEDS,
        quiet: false,
    },
    Expect {
        scenario: "healthy",
        end: "b",
        fails_in: None,
        needs: HEALTHY_NEEDS,
        quiet: false,
    },
    Expect {
        scenario: "psk-mismatch",
        end: "a",
        fails_in: Some(One),
        needs: &[
            ("decryption-failed", One),
            ("retransmit-limit", One),
            ("peer-not-responding", One),
        ],
        quiet: false,
    },
    Expect {
        scenario: "psk-mismatch",
        end: "b",
        fails_in: Some(One),
        needs: &[("decryption-failed", One), ("message-error-notify", One)],
        quiet: false,
    },
    Expect {
        scenario: "p1-proposal-mismatch",
        end: "a",
        fails_in: Some(One),
        needs: &[
            ("message-error-notify", One),
            ("error-notify-received", One),
        ],
        quiet: false,
    },
    Expect {
        scenario: "p1-proposal-mismatch",
        end: "b",
        fails_in: Some(One),
        needs: &[("proposal-refused", One), ("message-error-notify", One)],
        quiet: false,
    },
    Expect {
        scenario: "p2-proposal-mismatch",
        end: "a",
        fails_in: Some(Two),
        needs: &[("ike-established", One), ("error-notify-received", Two)],
        quiet: false,
    },
    Expect {
        scenario: "p2-proposal-mismatch",
        end: "b",
        fails_in: Some(Two),
        needs: &[
            ("ike-established", One),
            ("proposal-refused", Two),
            ("esp-proposals", Two),
        ],
        quiet: false,
    },
    Expect {
        scenario: "ts-mismatch",
        end: "a",
        fails_in: Some(Two),
        needs: &[("ike-established", One), ("error-notify-received", Two)],
        quiet: false,
    },
    Expect {
        scenario: "ts-mismatch",
        end: "b",
        fails_in: Some(Two),
        needs: &[("ike-established", One), ("child-config-missing", Two)],
        quiet: false,
    },
    Expect {
        scenario: "peer-unreachable",
        end: "a",
        fails_in: Some(One),
        needs: &[
            ("retransmit-phase-1", One),
            ("retransmit-limit", One),
            ("peer-not-responding", One),
        ],
        quiet: false,
    },
    Expect {
        scenario: "peer-unreachable",
        end: "b",
        fails_in: None,
        needs: &[],
        quiet: true,
    },
    Expect {
        scenario: "aggressive-healthy",
        end: "a",
        fails_in: None,
        needs: HEALTHY_NEEDS,
        quiet: false,
    },
    Expect {
        scenario: "aggressive-healthy",
        end: "b",
        fails_in: None,
        needs: HEALTHY_NEEDS,
        quiet: false,
    },
    Expect {
        scenario: "aggressive-id-mismatch",
        end: "a",
        fails_in: Some(One),
        needs: &[("error-notify-received", One)],
        quiet: false,
    },
    Expect {
        scenario: "aggressive-id-mismatch",
        end: "b",
        fails_in: Some(One),
        needs: &[("peer-config-missing", One), ("message-error-notify", One)],
        quiet: false,
    },
];

fn check_scenarios(
    logs: &BTreeMap<(String, String), Vec<Labelled>>,
    templates: &[Template],
) -> Vec<String> {
    let mut problems = Vec::new();
    for e in EXPECT {
        let who = format!("{}.{}", e.scenario, e.end);
        let Some(lines) = logs.get(&(e.scenario.to_string(), e.end.to_string())) else {
            problems.push(format!("{who}: no log"));
            continue;
        };
        let failures: Vec<&Labelled> = lines.iter().filter(|l| l.failure).collect();
        match e.fails_in {
            None => {
                // A healthy run may retransmit a quick mode message that overtook the last
                // aggressive mode one (a race of the two daemons, seen in fresh runs); the
                // negotiation goes on and succeeds, which the `needs` below check.
                for l in failures
                    .iter()
                    .filter(|l| templates[l.template].name != "retransmit-later")
                {
                    problems.push(format!("{who}: unexpected failure line: {}", l.line));
                }
            }
            Some(p) => {
                if failures.is_empty() {
                    problems.push(format!("{who}: no failure line (expected phase {p:?})"));
                }
                for l in failures.iter().filter(|l| l.phase != p) {
                    problems.push(format!(
                        "{who}: failure in phase {:?}, expected {p:?}: {}",
                        l.phase, l.line
                    ));
                }
            }
        }
        for (name, phase) in e.needs {
            let found = lines
                .iter()
                .any(|l| templates[l.template].name == *name && l.phase == *phase);
            if !found {
                problems.push(format!(
                    "{who}: no line of template {name} in phase {phase:?}"
                ));
            }
        }
        if e.quiet {
            for l in lines.iter().filter(|l| is_negotiation(l.phase)) {
                problems.push(format!(
                    "{who}: should have seen no negotiation: {}",
                    l.line
                ));
            }
        }
    }
    problems
}

// ---- accuracy of the classifier against the labels ------------------------------------------

#[derive(Debug, Default)]
struct Ratio {
    hit: usize,
    total: usize,
}

impl Ratio {
    fn add(&mut self, hit: bool) {
        self.total += 1;
        self.hit += usize::from(hit);
    }
    fn value(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.hit as f64 / self.total as f64
        }
    }
}

impl std::fmt::Display for Ratio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3} ({}/{})", self.value(), self.hit, self.total)
    }
}

#[derive(Debug, Default)]
struct Accuracy {
    /// Phase right, over lines labelled 1, 1.5, 2 or info (the IKE lines).
    ike: Ratio,
    /// The same, over IKE lines whose phase is in their own words.
    ike_own: Ratio,
    /// Phase right over every line.
    all: Ratio,
    /// Per phase: (precision, recall).
    per_phase: BTreeMap<&'static str, (Ratio, Ratio)>,
    failure_precision: Ratio,
    failure_recall: Ratio,
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::One => "1",
        Phase::OneAndHalf => "1.5",
        Phase::Two => "2",
        Phase::Info => "info",
        Phase::None => "none",
    }
}

fn measure(logs: &BTreeMap<(String, String), Vec<Labelled>>) -> Accuracy {
    let c = Classifier::builtin();
    let mut acc = Accuracy::default();
    let show_misses = std::env::var_os("REAL_IKE_MISSES").is_some();
    for ((scenario, end), lines) in logs {
        // One tracker per log, fed line by line as `analyze` does.
        let mut tracker = Tracker::new(c);
        for l in lines {
            let got = tracker.classify(&l.line, false);
            if show_misses && (got.phase != l.phase || got.failure != l.failure) {
                eprintln!(
                    "MISS {scenario}.{end} want {:>4} {:5} got {:>4} {:5} {}",
                    phase_name(l.phase),
                    if l.failure { "FAIL" } else { "" },
                    phase_name(got.phase),
                    if got.failure { "FAIL" } else { "" },
                    l.line
                );
            }
            let right = got.phase == l.phase;
            acc.all.add(right);
            if l.phase != Phase::None {
                acc.ike.add(right);
                if l.own {
                    acc.ike_own.add(right);
                }
            }
            for p in [
                Phase::One,
                Phase::OneAndHalf,
                Phase::Two,
                Phase::Info,
                Phase::None,
            ] {
                let e = acc.per_phase.entry(phase_name(p)).or_default();
                if got.phase == p {
                    e.0.add(l.phase == p);
                }
                if l.phase == p {
                    e.1.add(got.phase == p);
                }
            }
            if got.failure {
                acc.failure_precision.add(l.failure);
            }
            if l.failure {
                acc.failure_recall.add(got.failure);
            }
        }
    }
    acc
}

fn report(what: &str, acc: &Accuracy) {
    eprintln!("classifier against the labels of {what}:");
    eprintln!("  phase right, IKE lines:            {}", acc.ike);
    eprintln!("  phase right, IKE lines, own words: {}", acc.ike_own);
    eprintln!("  phase right, all lines:            {}", acc.all);
    for (p, (precision, recall)) in &acc.per_phase {
        eprintln!("  phase {p:>4}: precision {precision}, recall {recall}");
    }
    eprintln!(
        "  failure flag: precision {}, recall {}",
        acc.failure_precision, acc.failure_recall
    );
}

// ---- the tests ------------------------------------------------------------------------------

#[test]
fn every_line_of_the_corpus_has_exactly_one_label() {
    let templates = load_templates();
    let logs = label_corpus(&real_ike_dir().join("corpus"), &templates);
    assert_eq!(logs.len(), SCENARIOS.len() * ENDS.len());
    // REAL_IKE_DUMP=1 prints every label, to review them by eye.
    if std::env::var_os("REAL_IKE_DUMP").is_some() {
        for ((scenario, end), lines) in &logs {
            for l in lines {
                eprintln!(
                    "{scenario}.{end} {:>4} {:5} {:<22} {}",
                    phase_name(l.phase),
                    if l.failure { "FAIL" } else { "" },
                    templates[l.template].name,
                    l.line
                );
            }
        }
    }
    // Every template is used somewhere, so none is dead weight nobody checks.
    let mut unused: Vec<&str> = templates
        .iter()
        .enumerate()
        .filter(|(i, _)| !logs.values().flatten().any(|l| l.template == *i))
        .map(|(_, t)| t.name.as_str())
        .collect();
    // Templates kept for exchanges this corpus has no run of (XAuth, mode config, DPD, quick
    // mode retransmissions, the aggressive mode race where quick mode's first message arrives
    // before the last aggressive mode one: seen in fresh runs): their names are listed so a new
    // unused one is noticed.
    unused.retain(|n| {
        ![
            "task-phase-1.5",
            "message-phase-1.5",
            "retransmit-later",
            "quick-mode-too-early",
        ]
        .contains(n)
    });
    assert!(
        unused.is_empty(),
        "templates matching no line of the corpus: {unused:?}"
    );
}

#[test]
fn the_labels_say_what_each_scenario_is() {
    let templates = load_templates();
    let logs = label_corpus(&real_ike_dir().join("corpus"), &templates);
    let problems = check_scenarios(&logs, &templates);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Labels go by template, never by time stamp: the corpus with its stamps removed, or in tio's
/// ISO format, gets the same labels line for line.
#[test]
fn labels_do_not_depend_on_time_stamps() {
    let templates = load_templates();
    let dir = real_ike_dir().join("corpus");
    let stamp = Regex::new(r"(?m)^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ").expect("static regex");
    for scenario in SCENARIOS {
        for end in ENDS {
            let name = format!("{scenario}.{end}.log");
            let text = std::fs::read_to_string(dir.join(&name)).expect("corpus log");
            assert!(
                stamp.is_match(&text),
                "{name}: no charon time stamp to replace"
            );
            let bare = stamp.replace_all(&text, "");
            let tio = stamp.replace_all(&text, "[2026-11-29T10:15:02.123] ");
            let summary = |t: &str| -> Vec<(usize, Phase, bool)> {
                label_log(&templates, &name, t)
                    .unwrap_or_else(|e| panic!("{}", e.join("\n")))
                    .iter()
                    .map(|l| (l.template, l.phase, l.failure))
                    .collect()
            };
            let original = summary(&text);
            assert_eq!(original, summary(&bare), "{name} without time stamps");
            assert_eq!(original, summary(&tio), "{name} with tio time stamps");
        }
    }
}

/// The labeller's context rules on a few lines written here, so a change to them is seen
/// apart from the corpus.
#[test]
fn context_rules_place_packets_and_refusals() {
    let templates = load_templates();
    let log = "\
Nov 29 10:00:00 15[ENC] generating QUICK_MODE request 3746912596 [ HASH SA No ID ID ]
Nov 29 10:00:00 15[NET] sending packet: from 200.200.200.1[4500] to 200.200.200.2[4500] (172 bytes)
Nov 29 10:00:00 12[NET] received packet: from 200.200.200.2[4500] to 200.200.200.1[4500] (76 bytes)
Nov 29 10:00:00 09[IKE] activating new tasks
Nov 29 10:00:00 12[ENC] parsed INFORMATIONAL_V1 request 141490388 [ HASH N(NO_PROP) ]
Nov 29 10:00:00 12[IKE] received NO_PROPOSAL_CHOSEN error notify
Nov 29 10:00:00 09[IKE] nothing to initiate
Nov 29 10:00:01 08[ENC] generating INFORMATIONAL_V1 request 2073517557 [ HASH D ]
Nov 29 10:00:01 08[NET] sending packet: from 200.200.200.1[4500] to 200.200.200.2[4500] (92 bytes)
";
    let labels = label_log(&templates, "inline", log).unwrap_or_else(|e| panic!("{e:?}"));
    let got: Vec<(Phase, bool)> = labels.iter().map(|l| (l.phase, l.failure)).collect();
    assert_eq!(
        got,
        vec![
            (Two, false),
            (Two, false),
            (Two, false),
            (Phase::None, false),
            (Two, true),
            (Two, true),
            (Phase::None, false),
            (Info, false),
            (Info, false),
        ]
    );
}

/// The levels the issue asks of the classifier (issue 12, acceptance), on the committed corpus
/// and on any fresh one: phase right on 97% of the IKE lines whose phase is in their own words
/// and 90% of all IKE lines, failure flag precision 0.95 and recall 0.90.
const TARGET_IKE_OWN: f64 = 0.97;
const TARGET_IKE: f64 = 0.90;
const TARGET_FAILURE_PRECISION: f64 = 0.95;
const TARGET_FAILURE_RECALL: f64 = 0.90;

/// The levels below target, one a line.
fn below_target(acc: &Accuracy) -> Vec<String> {
    let mut below = Vec::new();
    for (what, value, floor) in [
        ("phase right, IKE lines", acc.ike.value(), TARGET_IKE),
        (
            "phase right, own-words IKE lines",
            acc.ike_own.value(),
            TARGET_IKE_OWN,
        ),
        (
            "failure precision",
            acc.failure_precision.value(),
            TARGET_FAILURE_PRECISION,
        ),
        (
            "failure recall",
            acc.failure_recall.value(),
            TARGET_FAILURE_RECALL,
        ),
    ] {
        if value < floor {
            below.push(format!("{what}: {value:.3} < target {floor:.3}"));
        }
    }
    below
}

/// The classifier (with its exchange tracker, as `analyze` reads) against the labels of the
/// committed corpus: the issue's levels, and floors per phase and over all lines at the levels
/// measured, so a regression fails. `REAL_IKE_MISSES=1` prints every line it gets wrong.
#[test]
fn classifier_reaches_the_target_levels() {
    let templates = load_templates();
    let logs = label_corpus(&real_ike_dir().join("corpus"), &templates);
    let acc = measure(&logs);
    report("the committed corpus", &acc);
    let mut below = below_target(&acc);
    // The same lines without charon's time stamps, with tio's, and with charon's IKE_SA name
    // after the thread (`ike_name = yes`): the tracker reads the thread wherever it stands.
    let stamp = Regex::new(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ").expect("static regex");
    let group = Regex::new(r"^(.*?\d{2}\[[A-Z]{3}\]) ").expect("static regex");
    type Change = fn(&Regex, &Regex, &str) -> String;
    let variants: [(&str, Change); 3] = [
        ("without time stamps", |s, _, l| {
            s.replace(l, "").into_owned()
        }),
        ("with tio time stamps", |s, _, l| {
            s.replace(l, "[2026-11-29T10:15:02.123] ").into_owned()
        }),
        ("with IKE_SA names", |_, g, l| {
            g.replace(l, "${1} <vpn|1> ").into_owned()
        }),
    ];
    for (what, change) in variants {
        let changed: BTreeMap<(String, String), Vec<Labelled>> = logs
            .iter()
            .map(|(k, lines)| {
                let lines = lines
                    .iter()
                    .map(|l| Labelled {
                        line: change(&stamp, &group, &l.line),
                        ..l.clone()
                    })
                    .collect();
                (k.clone(), lines)
            })
            .collect();
        let acc_changed = measure(&changed);
        for b in below_target(&acc_changed) {
            below.push(format!("{what}: {b}"));
        }
    }
    if acc.all.value() < FLOOR_ALL {
        below.push(format!(
            "phase right, all lines: {} < floor {FLOOR_ALL:.3}",
            acc.all
        ));
    }
    for (p, floor_precision, floor_recall) in FLOOR_PER_PHASE {
        let (precision, recall) = &acc.per_phase[p];
        if precision.value() < *floor_precision {
            below.push(format!(
                "phase {p} precision {precision} < floor {floor_precision:.3}"
            ));
        }
        if recall.value() < *floor_recall {
            below.push(format!(
                "phase {p} recall {recall} < floor {floor_recall:.3}"
            ));
        }
    }
    assert!(
        below.is_empty(),
        "the classifier is below its levels:\n{}",
        below.join("\n")
    );
}

// Measured on the committed corpus on 2026-11-29 with the exchange tracker: phase right on
// 1.000 (873/873) of the IKE lines and of the own-words IKE lines (634/634), 0.998 (2415/2419)
// of all lines; failure flag precision 1.000 (76/76), recall 1.000 (76/76). Two fresh corpora
// the same day: 0.999 / 1.000 IKE / own-words, failure flag 1.000 / 1.000. (The single-line
// classifier before the tracker: 0.505, 0.690, precision 0.764, recall 0.684.) The misses are
// `activating new tasks` lines that start nothing ("nothing to initiate" follows), placed in
// the exchange expected next.
const FLOOR_ALL: f64 = 0.99;
/// (phase, precision floor, recall floor).
const FLOOR_PER_PHASE: &[(&str, f64, f64)] = &[
    ("1", 0.99, 0.99),
    ("2", 0.98, 0.99),
    ("info", 0.95, 0.99),
    ("none", 0.99, 0.99),
];

/// A program the fresh-corpus test needs: missing, it fails saying what to install.
fn need(path: &str, package: &str) {
    let found = if path.contains('/') {
        Path::new(path).exists()
    } else {
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(path).is_file()))
            .unwrap_or(false)
    };
    assert!(
        found,
        "{path} is missing: apt-get install {package} (needed to regenerate the corpus)"
    );
}

#[test]
#[ignore = "needs root: regenerates the corpus with real charon"]
fn fresh_corpus_from_real_charon_has_the_same_labels() {
    // REAL_IKE_DIR names a corpus made before (`make-corpus.sh DIR` as root): the same checks
    // on it, to measure several runs without making each again.
    if let Some(dir) = std::env::var_os("REAL_IKE_DIR") {
        check_fresh_corpus(Path::new(&dir));
        return;
    }
    need("/usr/lib/ipsec/charon", "strongswan-charon");
    need(
        "/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so",
        "libcharon-extra-plugins",
    );
    need("swanctl", "strongswan-swanctl");
    need("ip", "iproute2");
    need("unshare", "util-linux");
    // SAFETY: libc::geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    assert_eq!(
        uid, 0,
        "needs root (network namespaces and charon): run as root, as CI does"
    );

    /// Removes the output directory however the test ends.
    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let out = std::env::temp_dir().join(format!("tunnelscope-real-ike-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let _cleanup = Cleanup(out.clone());
    let script = real_ike_dir().join("make-corpus.sh");
    let status = std::process::Command::new("bash")
        .arg(&script)
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(status.success(), "{} failed: {status}", script.display());

    check_fresh_corpus(&out);
}

/// Labels, scenarios, the target levels and the findings on a corpus made elsewhere.
fn check_fresh_corpus(dir: &Path) {
    let templates = load_templates();
    let logs = label_corpus(dir, &templates);
    let mut problems = check_scenarios(&logs, &templates);
    let acc = measure(&logs);
    report(&format!("the corpus in {}", dir.display()), &acc);
    problems.extend(below_target(&acc));
    problems.extend(check_findings(dir));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---- findings per scenario ----------------------------------------------------------------

/// What the debug findings must say for one scenario, on both ends: each `(code, words)` is a
/// finding that must be there with every word of `words` in its summary (the cause and the
/// phase), and no other finding may be there (no wrong cause).
struct FindingsExpect {
    scenario: &'static str,
    a: &'static [(&'static str, &'static [&'static str])],
    b: &'static [(&'static str, &'static [&'static str])],
}

const FINDINGS: &[FindingsExpect] = &[
    FindingsExpect {
        scenario: "healthy",
        a: &[],
        b: &[],
    },
    FindingsExpect {
        scenario: "psk-mismatch",
        a: &[
            ("psk-mismatch", &["Pre-shared key mismatch", "phase 1"]),
            (
                "retransmissions",
                &["phase 1 stalled", "the peer answered", "could not be used"],
            ),
        ],
        b: &[("psk-mismatch", &["Pre-shared key mismatch", "phase 1"])],
    },
    FindingsExpect {
        scenario: "p1-proposal-mismatch",
        a: &[("proposal-rejected", &["phase 1 proposal"])],
        b: &[(
            "proposal-rejected",
            &["phase 1 proposal", "no acceptable encryption algorithm"],
        )],
    },
    FindingsExpect {
        scenario: "p2-proposal-mismatch",
        a: &[("proposal-rejected", &["phase 2 proposal"])],
        b: &[(
            "proposal-rejected",
            &["phase 2 proposal", "no acceptable encryption algorithm"],
        )],
    },
    FindingsExpect {
        scenario: "ts-mismatch",
        a: &[("ts-mismatch", &["Traffic selector", "phase 2"])],
        b: &[("ts-mismatch", &["Traffic selector", "phase 2"])],
    },
    FindingsExpect {
        scenario: "peer-unreachable",
        a: &[(
            "retransmissions",
            &["phase 1 stalled", "the peer is not answering"],
        )],
        // b's daemon saw nothing: nothing to find.
        b: &[],
    },
    FindingsExpect {
        scenario: "aggressive-healthy",
        a: &[],
        b: &[],
    },
    FindingsExpect {
        scenario: "aggressive-id-mismatch",
        a: &[("id-mismatch", &["identity", "phase 1"])],
        b: &[("id-mismatch", &["identity", "phase 1"])],
    },
];

/// The findings of `analyze` on each log of a corpus directory, checked against `FINDINGS`;
/// the problems, one a line.
fn check_findings(dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for f in FINDINGS {
        for (end, wanted) in [("a", f.a), ("b", f.b)] {
            let name = format!("{}.{end}.log", f.scenario);
            let bytes = match std::fs::read(dir.join(&name)) {
                Ok(b) => b,
                Err(e) => {
                    problems.push(format!("{name}: {e}"));
                    continue;
                }
            };
            let a = analyze_bytes(&bytes, Classifier::builtin(), Options::default());
            let shown: Vec<String> = a
                .findings
                .iter()
                .map(|f| format!("{}: {}", f.code, f.summary))
                .collect();
            for (code, words) in wanted {
                match a.findings.iter().find(|f| f.code == *code) {
                    None => problems.push(format!("{name}: no {code} finding; got {shown:?}")),
                    Some(found) => {
                        for w in *words {
                            if !found.summary.contains(w) {
                                problems.push(format!(
                                    "{name}: {code} does not say {w:?}: {}",
                                    found.summary
                                ));
                            }
                        }
                    }
                }
            }
            for found in &a.findings {
                if !wanted.iter().any(|(c, _)| *c == found.code) {
                    problems.push(format!(
                        "{name}: wrong cause {}: {}",
                        found.code, found.summary
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn findings_name_each_scenarios_cause_and_phase_on_both_ends() {
    let problems = check_findings(&real_ike_dir().join("corpus"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
