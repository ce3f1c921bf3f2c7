//! Findings from the debug stream's failure events and from error counters: authentication
//! and proposal failures, ID mismatches, unknown SPIs and unanswered retransmissions.
//! Matching works on the IKE vocabulary (RFC 2408 notify names spelt with `-`, `_` or spaces),
//! since no AlliedWare debug sample is published.

use super::{advice, evidence, DoctorInput, Finding, Severity};
use crate::model::{Counter, DebugEvent, Phase};

/// A phrase in a normalised line; `prefix` lets the last word run on (`retransmit` also
/// matches `retransmitting`).
struct Phrase {
    words: &'static str,
    prefix: bool,
}

const fn whole(words: &'static str) -> Phrase {
    Phrase {
        words,
        prefix: false,
    }
}

const fn prefix(words: &'static str) -> Phrase {
    Phrase {
        words,
        prefix: true,
    }
}

// The phrase lists follow the classifier's failure rules (`rules.toml`), so a line it flags
// as an authentication, proposal or ID failure in any implementation's words lands here too.
const AUTH: &[Phrase] = &[
    prefix("AUTHENTICATION FAIL"),
    prefix("AUTHENTICATE FAIL"),
    whole("AUTH FAILED"),
    whole("HASH MISMATCH"),
    prefix("HASH VERIFICATION FAIL"),
    whole("INVALID HASH"),
    prefix("VERIFICATION FAIL"),
    whole("PRESHARED KEY MISMATCH"),
    whole("PRE SHARED KEY MISMATCH"),
    whole("PSK MISMATCH"),
    whole("NO PRESHARED KEY"),
    whole("NO PRE SHARED KEY"),
];
const PROPOSAL: &[Phrase] = &[
    whole("NO PROPOSAL"),
    whole("NO SUITABLE PROPOSAL"),
    whole("NO MATCHING PROPOSAL"),
    whole("NO ACCEPTABLE PROPOSAL"),
    whole("NO ACCEPTABLE OAKLEY TRANSFORM"),
    whole("NO ACCEPTABLE TRANSFORM"),
    whole("NO MATCHING TRANSFORM"),
    whole("NOT ACCEPTABLE"),
    whole("PROPOSAL REJECTED"),
    whole("PROPOSALS REJECTED"),
];
const ID: &[Phrase] = &[
    whole("INVALID ID"),
    whole("ID MISMATCH"),
    whole("IDENTITY MISMATCH"),
    whole("ID DOES NOT MATCH"),
    whole("MISMATCHED ID"),
    whole("PROXY IDENTITIES NOT SUPPORTED"),
    whole("NO MATCHING CHILD SA CONFIG"),
    whole("TS UNACCEPTABLE"),
];
const BAD_SPI: &[Phrase] = &[
    whole("INVALID SPI"),
    whole("BAD SPI"),
    whole("UNKNOWN SPI"),
    prefix("BADSPI"),
];
const RETRANSMIT: &[Phrase] = &[
    prefix("RETRANSMI"),
    prefix("TIMEOUT"),
    whole("TIMED OUT"),
    whole("TIME OUT"),
    whole("TIME UP"),
    whole("NO RESPONSE"),
    prefix("NOT RESPOND"),
];

/// Upper case, every run of non-alphanumerics one space, padded so phrases match whole words.
fn normalise(text: &str) -> String {
    let mut out = String::from(" ");
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_uppercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn matches(text: &str, phrases: &[Phrase]) -> bool {
    let norm = normalise(text);
    phrases.iter().any(|p| {
        let needle = if p.prefix {
            format!(" {}", p.words)
        } else {
            format!(" {} ", p.words)
        };
        norm.contains(&needle)
    })
}

fn events<'a>(input: &'a DoctorInput, phrases: &[Phrase]) -> Vec<&'a DebugEvent> {
    input
        .debug
        .failure_events
        .iter()
        .filter(|e| matches(&e.text, phrases))
        .collect()
}

/// ` with 1.2.3.4, 5.6.7.8` for the peers the events name, empty when none do.
fn peers(events: &[&DebugEvent]) -> String {
    let mut list: Vec<&str> = Vec::new();
    for p in events.iter().filter_map(|e| e.exchange.peer.as_deref()) {
        let p = p.trim();
        if !p.is_empty() && !list.iter().any(|q| q.eq_ignore_ascii_case(p)) {
            list.push(p);
        }
    }
    if list.is_empty() {
        String::new()
    } else {
        format!(" with {}", list.join(", "))
    }
}

fn lines(n: usize) -> String {
    if n == 1 {
        "1 debug line".to_string()
    } else {
        format!("{n} debug lines")
    }
}

pub(super) fn check(input: &DoctorInput, out: &mut Vec<Finding>) {
    auth_failed(input, out);
    proposal_rejected(input, out);
    id_mismatch(input, out);
    bad_spi(input, out);
    retransmissions(input, out);
}

fn auth_failed(input: &DoctorInput, out: &mut Vec<Finding>) {
    let ev = events(input, AUTH);
    if ev.is_empty() {
        return;
    }
    out.push(Finding {
        code: "auth-failed",
        severity: Severity::Error,
        summary: format!(
            "Authentication failed{} ({}): likely a pre-shared key mismatch",
            peers(&ev),
            lines(ev.len())
        ),
        advice: "The peers could not authenticate each other, most often because the pre-shared \
keys differ. Find the key ID the ISAKMP policy uses (`key=` in `show config dynamic=isakmp`), list \
keys with `show enco key`, and compare `show enco key=N` on both peers: the values must be the \
same. Also check that each peer's local ID is the other's remote ID."
            .to_string(),
        evidence: evidence::debug_events(&ev),
    });
}

fn phase_label(phase: Phase) -> &'static str {
    match phase {
        Phase::One => "phase 1",
        Phase::OneAndHalf => "phase 1.5",
        Phase::Two => "phase 2",
        Phase::Info | Phase::None => "an unknown phase",
    }
}

/// `A phase 1 proposal was rejected ...`, or without a phase when the lines do not say.
fn proposal_summary(label: &str, ev: &[&DebugEvent]) -> String {
    let what = if label == phase_label(Phase::None) {
        "A proposal (phase not stated)".to_string()
    } else {
        format!("A {label} proposal")
    };
    format!("{what} was rejected{} ({})", peers(ev), lines(ev.len()))
}

fn proposal_rejected(input: &DoctorInput, out: &mut Vec<Finding>) {
    let all = events(input, PROPOSAL);
    // One finding per phase: the fix for phase 1 is in a different policy than for phase 2.
    let mut phases: Vec<&'static str> = Vec::new();
    for e in &all {
        let label = phase_label(e.phase);
        if !phases.contains(&label) {
            phases.push(label);
        }
    }
    for label in phases {
        let ev: Vec<&DebugEvent> = all
            .iter()
            .copied()
            .filter(|e| phase_label(e.phase) == label)
            .collect();
        let what = match label {
            "phase 1" => "the ISAKMP policy's encalg, hashalg, group and mode",
            "phase 2" => {
                "the IPsec policy's bundle specification (ESP/AH encryption and hash) and \
PFS (usepfskey)"
            }
            "phase 1.5" => "the XAUTH / mode-config settings",
            _ => {
                "the ISAKMP policy (encalg, hashalg, group, mode) and the IPsec policy (bundle \
specification, PFS)"
            }
        };
        out.push(Finding {
            code: "proposal-rejected",
            severity: Severity::Error,
            summary: proposal_summary(label, &ev),
            advice: format!(
                "The peers found no proposal both accept. Compare {what} with the peer's \
(`show config dynamic=isakmp` and `show config dynamic=ipsec` on both): encryption, hash, \
Diffie-Hellman group, mode and PFS must match exactly."
            ),
            evidence: evidence::debug_events(&ev),
        });
    }
}

fn id_mismatch(input: &DoctorInput, out: &mut Vec<Finding>) {
    let ev = events(input, ID);
    if ev.is_empty() {
        return;
    }
    out.push(Finding {
        code: "id-mismatch",
        severity: Severity::Error,
        summary: format!(
            "The peer rejected identity information{} ({})",
            peers(&ev),
            lines(ev.len())
        ),
        advice:
            "IDs must mirror each other: this router's localid must be the peer's remoteid and \
the other way round (`set isakmp policy=NAME localid=... remoteid=...`), and in phase 2 the IPsec \
policy's local address and mask must be the peer's remote ones and vice versa (not swapped). \
Compare `show config dynamic=isakmp` and `show config dynamic=ipsec` on both peers."
                .to_string(),
        evidence: evidence::debug_events(&ev),
    });
}

fn is_bad_spi_counter(c: &Counter) -> bool {
    c.value > 0 && c.name.to_ascii_lowercase().contains("badspi")
}

fn bad_spi(input: &DoctorInput, out: &mut Vec<Finding>) {
    let counters: Vec<&Counter> = input
        .snapshot
        .counters
        .iter()
        .filter(|c| is_bad_spi_counter(c))
        .collect();
    let ev = events(input, BAD_SPI);
    if counters.is_empty() && ev.is_empty() {
        return;
    }
    let mut seen: Vec<String> = counters
        .iter()
        .map(|c| format!("{} {}", c.name, c.value))
        .collect();
    if !ev.is_empty() {
        seen.push(lines(ev.len()));
    }
    let mut evidence_lines: Vec<String> = counters.iter().map(|c| evidence::counter(c)).collect();
    evidence_lines.extend(evidence::debug_events(&ev));
    out.push(Finding {
        code: "bad-spi",
        severity: Severity::Warning,
        summary: format!(
            "Packets with unknown SPIs ({}): IPsec SAs may be out of step",
            seen.join(", ")
        ),
        advice: format!(
            "One peer is sending on an SA the other has removed, typically after a power cut or a \
dropped dial-up link. Fix: {}. {}.",
            advice::RESET,
            advice::PREVENT_OUT_OF_STEP
        ),
        evidence: evidence_lines,
    });
}

fn retransmissions(input: &DoctorInput, out: &mut Vec<Finding>) {
    let ev = events(input, RETRANSMIT);
    if ev.is_empty() {
        return;
    }
    let who = peers(&ev);
    let target = ev
        .iter()
        .find_map(|e| e.exchange.peer.as_deref())
        .unwrap_or("PEER-ADDRESS");
    out.push(Finding {
        code: "retransmissions",
        severity: Severity::Warning,
        summary: format!(
            "ISAKMP messages were retransmitted or timed out{who} ({}): the peer is not answering",
            lines(ev.len())
        ),
        advice: format!(
            "ISAKMP resends an unanswered message after 4, 8, 16 ... up to 56 seconds, 8 times, \
then gives up. {}. Check that the firewall on both ends lets UDP 500 (and 4500 with NAT-T) in on \
the public interface, that the peer address is right, and that the peer's ISAKMP policy settings \
match this router's.",
            advice::wan_check(target.trim())
        ),
        evidence: evidence::debug_events(&ev),
    });
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{examine_with_debug, healthy};
    use super::*;
    use crate::model::{DebugSummary, ExchangeRef};

    fn debug(lines: &[(Phase, &str)]) -> DebugSummary {
        let mut d = DebugSummary::default();
        for (i, (phase, text)) in lines.iter().enumerate() {
            d.record(
                DebugEvent {
                    file: None,
                    line: i + 1,
                    phase: *phase,
                    failure: true,
                    text: text.to_string(),
                    exchange: ExchangeRef {
                        peer: Some("200.200.200.1".into()),
                        ..Default::default()
                    },
                },
                false,
            );
        }
        d
    }

    fn find(lines: &[(Phase, &str)], code: &str) -> Vec<Finding> {
        examine_with_debug(&healthy(), &debug(lines))
            .into_iter()
            .filter(|f| f.code == code)
            .collect()
    }

    #[test]
    fn normalise_spellings() {
        assert_eq!(normalise("a-b_c  d!"), " A B C D ");
        assert_eq!(normalise(""), " ");
        assert!(matches("notify AUTHENTICATION_FAILED(24)", AUTH));
        assert!(matches("Authentication-Failed", AUTH));
        assert!(!matches("authentication ok", AUTH));
        assert!(!matches("INVALID IDENTIFIER", ID));
        assert!(matches("Invalid-ID-Information", ID));
    }

    #[test]
    fn auth_failure() {
        let found = find(
            &[(
                Phase::One,
                "Notify AUTHENTICATION-FAILED from 200.200.200.1",
            )],
            "auth-failed",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Error);
        assert!(found[0].summary.contains("200.200.200.1"));
        assert!(found[0].advice.contains("show enco key=N"));
        assert_eq!(
            found[0].evidence,
            ["debug line 1: Notify AUTHENTICATION-FAILED from 200.200.200.1"]
        );
        assert_eq!(
            find(&[(Phase::One, "hash mismatch")], "auth-failed").len(),
            1
        );
    }

    #[test]
    fn proposal_rejected_per_phase() {
        let found = find(
            &[
                (Phase::One, "NO_PROPOSAL_CHOSEN received"),
                (Phase::Two, "quick mode: proposal not acceptable"),
                (Phase::One, "no proposal chosen"),
            ],
            "proposal-rejected",
        );
        assert_eq!(found.len(), 2);
        assert!(found[0].summary.starts_with("A phase 1 proposal"));
        assert!(found[0].summary.contains("2 debug lines"));
        assert!(found[1].summary.starts_with("A phase 2 proposal"));
        assert!(found[1].advice.contains("PFS"));
        let unstated = find(
            &[(Phase::None, "no suitable proposal found")],
            "proposal-rejected",
        );
        assert_eq!(
            unstated[0].summary,
            "A proposal (phase not stated) was rejected with 200.200.200.1 (1 debug line)"
        );
    }

    #[test]
    fn id_mismatch() {
        let found = find(
            &[(Phase::Two, "notify INVALID ID INFORMATION")],
            "id-mismatch",
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].advice.contains("remoteid"));
    }

    #[test]
    fn bad_spi_from_counters_and_events() {
        let mut snap = healthy();
        snap.counters.push(Counter {
            command: "show isakmp counters".into(),
            section: String::new(),
            name: "badSpiRequests".into(),
            value: 3,
            line: 7,
        });
        let found: Vec<Finding> = examine_with_debug(&snap, &DebugSummary::default())
            .into_iter()
            .filter(|f| f.code == "bad-spi")
            .collect();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Warning);
        assert_eq!(
            found[0].evidence,
            ["show isakmp counters, line 7: badSpiRequests 3"]
        );
        let adv = &found[0].advice;
        let order: Vec<usize> = [
            "`disable ipsec`",
            "`disable isakmp`",
            "`enable isakmp`",
            "`enable ipsec`",
        ]
        .iter()
        .filter_map(|c| adv.find(c))
        .collect();
        assert_eq!(order.len(), 4);
        assert!(order.windows(2).all(|w| w[0] < w[1]));
        assert!(adv.contains("respondbadspi=true"));

        assert_eq!(
            find(
                &[(Phase::Two, "ESP packet with unknown SPI 123")],
                "bad-spi"
            )
            .len(),
            1
        );
    }

    #[test]
    fn retransmissions_and_bounded_evidence() {
        let lines: Vec<(Phase, &str)> = (0..7)
            .map(|_| (Phase::One, "Retransmitting MM message"))
            .collect();
        let found = find(&lines, "retransmissions");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].evidence.len(), 6);
        assert_eq!(found[0].evidence[5], "... and 2 more");
        assert!(found[0].advice.contains("ping 200.200.200.1"));
        assert_eq!(
            find(&[(Phase::One, "exchange timed-out")], "retransmissions").len(),
            1
        );
        assert_eq!(find(&[(Phase::One, "time up")], "retransmissions").len(), 1);
    }

    #[test]
    fn other_implementations_wording() {
        for (text, code) in [
            ("ERROR: no suitable proposal found.", "proposal-rejected"),
            (
                "\"wiz\" #2: no acceptable Proposal in IPsec SA",
                "proposal-rejected",
            ),
            (
                "\"wiz\" #1: no acceptable Oakley Transform",
                "proposal-rejected",
            ),
            ("12[IKE] received AUTH_FAILED error notify", "auth-failed"),
            (
                "\"wiz\" #1: Can't authenticate: no preshared key found for '1.1.1.1'",
                "auth-failed",
            ),
            ("ERROR: hash verification failed", "auth-failed"),
            (
                "IPSEC(validate_transform_proposal): proxy identities not supported",
                "id-mismatch",
            ),
            (
                "12[IKE] establishing IKE_SA failed, peer not responding",
                "retransmissions",
            ),
            ("ISAKMP: hash payload verification failed", "auth-failed"),
            (
                "ISAKMP: phase 1 proposal rejected by peer",
                "proposal-rejected",
            ),
            ("ISAKMP: remote ID does not match policy", "id-mismatch"),
        ] {
            assert_eq!(find(&[(Phase::None, text)], code).len(), 1, "{text}");
        }
        // Words that only look alike stay silent.
        assert!(find(&[(Phase::Two, "proposal accepted")], "proposal-rejected").is_empty());
        assert!(find(&[(Phase::One, "authentication ok")], "auth-failed").is_empty());
    }

    #[test]
    fn healthy_stream_and_unrelated_failures_are_silent() {
        let quiet = find(&[(Phase::One, "PAYLOAD-MALFORMED")], "auth-failed");
        assert!(quiet.is_empty());
        let all = examine_with_debug(&healthy(), &debug(&[(Phase::Info, "INVALID-COOKIE")]));
        assert!(all.is_empty(), "{all:?}");
    }
}
