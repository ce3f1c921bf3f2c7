//! Findings from the debug stream's failure events and from error counters: pre-shared key
//! mismatches, authentication and proposal failures (with the phase, and the algorithm where a
//! line names it), ID and traffic selector mismatches, unknown SPIs and retransmissions (with
//! whether the peer answered). Matching works on the IKE vocabulary (RFC 2408 notify names spelt
//! with `-`, `_` or spaces, strongSwan's short names), since no AlliedWare debug sample is
//! published; the phase of each line is the exchange tracker's, and the tracker's facts
//! (`DebugContext`) tell an identity refused from a key refused.

use super::{advice, evidence, DoctorInput, Finding, Severity};
use crate::model::{Cmd, Counter, DebugEvent, IkePolicy, Phase};

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
/// A message that could not be decrypted: in phase 1, after the key exchange, the keys the two
/// ends derived differ, and with pre-shared keys that means the keys differ.
const UNDECRYPTABLE: &[Phrase] = &[
    prefix("DECRYPTION FAIL"),
    whole("COULD NOT DECRYPT"),
    whole("CANNOT DECRYPT"),
    prefix("DECRYPT ERROR"),
    prefix("DECRYPTION ERROR"),
];
/// A malformed payload: evidence of the same mismatch when it comes with a decryption failure
/// (the peer could not decrypt either, and said so).
const MALFORMED: &[Phrase] = &[
    whole("PAYLOAD MALFORMED"),
    whole("PLD MAL"),
    prefix("MALFORMED"),
];
const PROPOSAL: &[Phrase] = &[
    whole("NO PROPOSAL"),
    whole("NO PROP"),
    whole("NO SUITABLE PROPOSAL"),
    whole("NO MATCHING PROPOSAL"),
    whole("NO ACCEPTABLE PROPOSAL"),
    whole("NO ACCEPTABLE OAKLEY TRANSFORM"),
    whole("NO ACCEPTABLE TRANSFORM"),
    whole("NO ACCEPTABLE ENCRYPTION ALGORITHM"),
    whole("NO ACCEPTABLE INTEGRITY ALGORITHM"),
    whole("NO ACCEPTABLE PSEUDO RANDOM FUNCTION"),
    whole("NO ACCEPTABLE DIFFIE HELLMAN GROUP"),
    whole("NO ACCEPTABLE KEY EXCHANGE METHOD"),
    whole("NO ACCEPTABLE EXTENDED SEQUENCE NUMBERS"),
    whole("NO MATCHING TRANSFORM"),
    whole("NOT ACCEPTABLE"),
    whole("PROPOSAL REJECTED"),
    whole("PROPOSALS REJECTED"),
];
const ID: &[Phrase] = &[
    whole("INVALID ID"),
    whole("INVAL ID"),
    whole("ID MISMATCH"),
    whole("IDENTITY MISMATCH"),
    whole("ID DOES NOT MATCH"),
    whole("MISMATCHED ID"),
    whole("PROXY IDENTITIES NOT SUPPORTED"),
    whole("NO PEER CONFIG"),
    whole("NO MATCHING PEER CONFIG"),
];
/// Traffic selectors (proxy IDs) refused whatever the phase says.
const TS: &[Phrase] = &[
    whole("NO MATCHING CHILD SA CONFIG"),
    whole("TS UNACCEPTABLE"),
    whole("TRAFFIC SELECTORS UNACCEPTABLE"),
    whole("TRAFFIC SELECTOR MISMATCH"),
    whole("PROXY ID MISMATCH"),
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
/// The retransmission limit reached: the exchange stalled.
const GIVE_UP: &[Phrase] = &[
    whole("GIVING UP"),
    whole("GAVE UP"),
    whole("GIVE UP"),
    whole("RETRANSMISSION LIMIT"),
    prefix("MAX NUMBER OF RETRANSMI"),
    prefix("MAXIMUM NUMBER OF RETRANSMI"),
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

/// The peers the events name, each once, in order.
fn peer_list<'a>(events: &[&'a DebugEvent]) -> Vec<&'a str> {
    let mut list: Vec<&str> = Vec::new();
    for p in events.iter().filter_map(|e| e.exchange.peer.as_deref()) {
        let p = p.trim();
        if !p.is_empty() && !list.iter().any(|q| q.eq_ignore_ascii_case(p)) {
            list.push(p);
        }
    }
    list
}

/// The ISAKMP policies that can serve the peers these events name.
fn policies_for<'a>(input: &'a DoctorInput, events: &[&DebugEvent]) -> Vec<&'a IkePolicy> {
    advice::ike_policies_for(&input.snapshot.config.ike_policies, &peer_list(events))
}

/// The pre-shared key id of the policies serving these events' peers, when the configuration
/// names one.
fn key_for<'a>(input: &'a DoctorInput, events: &[&DebugEvent]) -> Option<&'a str> {
    advice::key_id(&policies_for(input, events))
}

/// ` with 1.2.3.4, 5.6.7.8` for the peers the events name, empty when none do.
fn peers(events: &[&DebugEvent]) -> String {
    let list = peer_list(events);
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
    let psk = psk_mismatch(input, out);
    let id_refused = identity_refused(input);
    auth_failed(input, out, psk, id_refused);
    proposal_rejected(input, out);
    id_and_ts_mismatch(input, out, id_refused);
    bad_spi(input, out);
    retransmissions(input, out);
}

/// Lines that report a message that could not be decrypted; they say nothing of IDs or hashes
/// even when they name an ID or HASH payload (`invalid ID_V1 payload length, decryption
/// failed?`).
fn undecryptable(e: &DebugEvent) -> bool {
    matches(&e.text, UNDECRYPTABLE)
}

/// `events` without the lines that report a message that could not be decrypted.
fn events_readable<'a>(input: &'a DoctorInput, phrases: &[Phrase]) -> Vec<&'a DebugEvent> {
    events(input, phrases)
        .into_iter()
        .filter(|e| !undecryptable(e))
        .collect()
}

/// The phase several events share, when they share one.
fn common_phase(ev: &[&DebugEvent]) -> Phase {
    let mut known = ev
        .iter()
        .map(|e| e.phase)
        .filter(|p| !matches!(p, Phase::Info | Phase::None));
    match known.next() {
        Some(p) if known.all(|q| q == p) => p,
        _ => Phase::None,
    }
}

/// ` in phase 1`, or empty when the phase is not known.
fn in_phase(phase: Phase) -> String {
    match phase {
        Phase::Info | Phase::None => String::new(),
        p => format!(" in {}", phase_label(p)),
    }
}

/// A pre-shared key mismatch: in phase 1, a message could not be decrypted (the keys the two
/// ends derived from their pre-shared keys differ), with the peer's malformed-payload reports
/// on it. Returns whether it was found, so the generic authentication finding stays silent.
fn psk_mismatch(input: &DoctorInput, out: &mut Vec<Finding>) -> bool {
    let decrypt: Vec<&DebugEvent> = input
        .debug
        .failure_events
        .iter()
        .filter(|e| e.phase == Phase::One && undecryptable(e))
        .collect();
    if decrypt.is_empty() {
        return false;
    }
    let ev: Vec<&DebugEvent> = input
        .debug
        .failure_events
        .iter()
        .filter(|e| e.phase == Phase::One && (undecryptable(e) || matches(&e.text, MALFORMED)))
        .collect();
    out.push(Finding {
        code: "psk-mismatch",
        severity: Severity::Error,
        summary: format!(
            "Pre-shared key mismatch in phase 1{} ({}): from the message carrying the key's \
proof on, messages could not be decrypted ({} decryption failures): the keys differ",
            peers(&ev),
            lines(ev.len()),
            decrypt.len()
        ),
        advice: format!(
            "The ISAKMP keys each end derived from its pre-shared key differ, so the first \
encrypted message (the one that carries the key's proof) cannot be decrypted. {}: the values must \
be the same (watch for trailing spaces and case).",
            advice::compare_keys(input.dialect, key_for(input, &ev))
        ),
        evidence: evidence::debug_events(&ev),
    });
    true
}

/// Authentication failures reported before any phase 1 message carried the key's proof: the
/// peer refused what the first messages carry, the identity (aggressive mode sends its ID in
/// the first message, the proof only in the third).
fn identity_refused(input: &DoctorInput) -> bool {
    let c = &input.debug.context;
    c.auth_failed_before_proof > 0 && c.auth_failed_after_proof == 0
}

fn auth_failed(input: &DoctorInput, out: &mut Vec<Finding>, psk: bool, id_refused: bool) {
    if psk || id_refused {
        return;
    }
    let ev = events_readable(input, AUTH);
    if ev.is_empty() {
        return;
    }
    out.push(Finding {
        code: "auth-failed",
        severity: Severity::Error,
        summary: format!(
            "Authentication failed{}{} ({}): likely a pre-shared key mismatch",
            in_phase(common_phase(&ev)),
            peers(&ev),
            lines(ev.len())
        ),
        advice: format!(
            "The peers could not authenticate each other, most often because the pre-shared keys \
differ. {}: the values must be the same. Also check that each peer's local ID is the other's \
remote ID.",
            advice::compare_keys(input.dialect, key_for(input, &ev))
        ),
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

/// The algorithm a refusal names (`no acceptable ENCRYPTION_ALGORITHM found`), in words.
fn refused_algorithm(ev: &[&DebugEvent]) -> Option<String> {
    for e in ev {
        let norm = normalise(&e.text);
        let Some(at) = norm.find(" NO ACCEPTABLE ") else {
            continue;
        };
        let rest = &norm[at + " NO ACCEPTABLE ".len()..];
        let Some(end) = rest.find(" FOUND ") else {
            continue;
        };
        let what = rest[..end].trim();
        let words = match what {
            "ENCRYPTION ALGORITHM" => "encryption algorithm".to_string(),
            "INTEGRITY ALGORITHM" => "integrity (hash) algorithm".to_string(),
            "PSEUDO RANDOM FUNCTION" => "pseudo-random function (hash)".to_string(),
            "DIFFIE HELLMAN GROUP" | "KEY EXCHANGE METHOD" => "Diffie-Hellman group".to_string(),
            "EXTENDED SEQUENCE NUMBERS" => "extended sequence numbers setting".to_string(),
            "" => continue,
            other => other.to_ascii_lowercase(),
        };
        return Some(words);
    }
    None
}

/// `A phase 1 proposal was rejected ...`, or without a phase when the lines do not say.
fn proposal_summary(label: &str, ev: &[&DebugEvent]) -> String {
    let what = if label == phase_label(Phase::None) {
        "A proposal (phase not stated)".to_string()
    } else {
        format!("A {label} proposal")
    };
    let algorithm = refused_algorithm(ev)
        .map(|a| format!(": no acceptable {a}"))
        .unwrap_or_default();
    format!(
        "{what} was rejected{} ({}){algorithm}",
        peers(ev),
        lines(ev.len())
    )
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
                "The peers found no proposal both accept. Compare {what} with the peer's ({} and {} \
on both): encryption, hash, Diffie-Hellman group, mode and PFS must match exactly.",
                advice::cmd(input.dialect, &Cmd::ShowIkeConfig),
                advice::cmd(input.dialect, &Cmd::ShowIpsecConfig),
            ),
            evidence: evidence::debug_events(&ev),
        });
    }
}

/// Identity refusals: in phase 2 INVALID-ID-INFORMATION refers to the proxy IDs (traffic
/// selectors), so those lines, and the lines that name traffic selectors, make a traffic
/// selector mismatch; the others (phase 1, or a phase the lines do not tell) an ID mismatch,
/// with the authentication failures when the peer refused the identity before any key proof.
fn id_and_ts_mismatch(input: &DoctorInput, out: &mut Vec<Finding>, id_refused: bool) {
    let mut ids: Vec<&DebugEvent> = Vec::new();
    let mut ts: Vec<&DebugEvent> = Vec::new();
    for e in input
        .debug
        .failure_events
        .iter()
        .filter(|e| !undecryptable(e))
    {
        if matches(&e.text, TS) || (e.phase == Phase::Two && matches(&e.text, ID)) {
            ts.push(e);
        } else if matches(&e.text, ID)
            || (id_refused && e.phase == Phase::One && matches(&e.text, AUTH))
        {
            ids.push(e);
        }
    }
    if !ids.is_empty() {
        let why = if id_refused {
            ": an identity was refused before any key was checked (the ID one end sends is \
not the one the other expects)"
        } else {
            ""
        };
        out.push(Finding {
            code: "id-mismatch",
            severity: Severity::Error,
            summary: format!(
                "The peer rejected identity information{}{} ({}){why}",
                in_phase(common_phase(&ids)),
                peers(&ids),
                lines(ids.len())
            ),
            advice: format!(
                "IDs must mirror each other: this router's localid must be the peer's remoteid \
and the other way round ({}), and the ID type must match (an IP address is not an FQDN). Compare \
{} on both peers.",
                advice::set_ike(
                    input.dialect,
                    advice::policy_name(&policies_for(input, &ids)).unwrap_or(advice::POLICY),
                    "localid=... remoteid=..."
                ),
                advice::cmd(input.dialect, &Cmd::ShowIkeConfig),
            ),
            evidence: evidence::debug_events(&ids),
        });
    }
    if !ts.is_empty() {
        out.push(Finding {
            code: "ts-mismatch",
            severity: Severity::Error,
            summary: format!(
                "Traffic selector (proxy ID) mismatch in phase 2{} ({}): the subnets one end \
proposes are not the ones the other expects",
                peers(&ts),
                lines(ts.len())
            ),
            advice: format!(
                "In phase 2 the IPsec policy's local address and mask must be the peer's remote \
ones and the other way round (mirrored, not swapped, same prefix lengths): compare the policies' \
`lad`/`lma` and `rad`/`rma` in {} on both peers.",
                advice::cmd(input.dialect, &Cmd::ShowIpsecConfig)
            ),
            evidence: evidence::debug_events(&ts),
        });
    }
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
            advice::reset(input.dialect),
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
    let ctx = &input.debug.context;
    let gave_up = ctx.give_ups > 0 || ev.iter().any(|e| matches(&e.text, GIVE_UP));
    // Every retransmission the tracker saw was followed by an SA coming up: a reply was late
    // (a message overtaken by the next, a lost packet), nothing to fix.
    if ctx.retransmits > 0 && ctx.retransmits_unanswered_by_success == 0 && !gave_up {
        return;
    }
    // Replies that came but could not be used still answer: the peer is up.
    let answered = ctx.answers_after_retransmit > 0
        || input
            .debug
            .failure_events
            .iter()
            .any(|e| undecryptable(e) || matches(&e.text, MALFORMED));
    // "Giving up" with no phase of its own is the stall of the exchange that never got past
    // phase 1.
    let phase = match common_phase(&ev) {
        Phase::None if gave_up => Phase::One,
        p => p,
    };
    let stalled = if gave_up {
        format!(
            "{} stalled: the retransmission limit was reached",
            phase_label(phase)
        )
    } else {
        format!("retransmitted{}", in_phase(phase))
    };
    let answer = if answered {
        "the peer answered, but its replies could not be used (see the other findings: keys or \
settings differ)"
    } else {
        "the peer is not answering"
    };
    out.push(Finding {
        code: "retransmissions",
        severity: Severity::Warning,
        summary: format!(
            "ISAKMP messages were retransmitted or timed out{who} ({}): {stalled}; {answer}",
            lines(ev.len())
        ),
        advice: if answered {
            format!(
                "ISAKMP resends a message until it gets a reply it can use. Replies came, so the \
path works; they could not be decrypted or did not fit the exchange, which points at the \
pre-shared key or the policy settings: compare {} and {} on both peers.",
                advice::cmd(
                    input.dialect,
                    &Cmd::ShowKey(key_for(input, &ev).unwrap_or(advice::KEY))
                ),
                advice::cmd(input.dialect, &Cmd::ShowIkeConfig),
            )
        } else {
            format!(
                "ISAKMP resends an unanswered message after 4, 8, 16 ... up to 56 seconds, 8 \
times, then gives up. {}. Check that the firewall on both ends lets UDP 500 (and 4500 with NAT-T) \
in on the public interface, that the peer address is right, and that the peer's ISAKMP policy \
settings match this router's.",
                advice::wan_check(input.dialect, target.trim())
            )
        },
        evidence: evidence::debug_events(&ev),
    });
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{aw, examine_with_debug, healthy};
    use super::*;
    use crate::model::{DebugSummary, ExchangeRef};

    fn debug(lines: &[(Phase, &str)]) -> DebugSummary {
        let mut d = DebugSummary::default();
        for (i, (phase, text)) in lines.iter().enumerate() {
            d.record(
                DebugEvent {
                    file: None,
                    time: None,
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
        // The fixture's policy for 200.200.200.1 uses key 1: the advice names it.
        assert!(found[0].advice.contains(&aw().command(&Cmd::ShowKey("1"))));
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
            &[(Phase::One, "notify INVALID ID INFORMATION")],
            "id-mismatch",
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].summary.contains("in phase 1"),
            "{}",
            found[0].summary
        );
        assert!(found[0].advice.contains("remoteid"));
        // In quick mode the IDs are the proxy IDs: a traffic selector mismatch.
        let lines = [(Phase::Two, "notify INVALID ID INFORMATION")];
        assert!(find(&lines, "id-mismatch").is_empty());
        let ts = find(&lines, "ts-mismatch");
        assert_eq!(ts.len(), 1);
        assert!(ts[0].summary.contains("phase 2") && ts[0].advice.contains("lad"));
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
        let reset = aw().reset_sequence();
        let order: Vec<usize> = reset
            .iter()
            .filter_map(|c| adv.find(&format!("`{c}`")))
            .collect();
        assert_eq!(order.len(), reset.len());
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
        assert!(found[0]
            .advice
            .contains(&aw().command(&Cmd::Ping("200.200.200.1"))));
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

    fn codes(d: &DebugSummary) -> Vec<&'static str> {
        examine_with_debug(&healthy(), d)
            .into_iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn psk_mismatch_from_undecryptable_phase1_messages() {
        let d = debug(&[
            (
                Phase::One,
                "10[ENC] invalid ID_V1 payload length, decryption failed?",
            ),
            (Phase::One, "10[ENC] could not decrypt payloads"),
            (
                Phase::One,
                "10[ENC] generating INFORMATIONAL_V1 request 4059988257 [ HASH N(PLD_MAL) ]",
            ),
        ]);
        // Not an ID mismatch (the line names an ID payload) nor a generic failure.
        assert_eq!(codes(&d), ["psk-mismatch"]);
        let f = &find(
            &[(
                Phase::One,
                "invalid HASH_V1 payload length, decryption failed?",
            )],
            "psk-mismatch",
        )[0];
        assert!(f.summary.starts_with("Pre-shared key mismatch in phase 1"));
        assert!(f.advice.contains(&aw().command(&Cmd::ShowKey("1"))));
        // A malformed payload alone says nothing of the key.
        assert!(find(&[(Phase::One, "PAYLOAD-MALFORMED")], "psk-mismatch").is_empty());
    }

    #[test]
    fn authentication_refused_before_the_key_proof_is_an_id_mismatch() {
        let mut d = debug(&[(
            Phase::One,
            "12[IKE] received AUTHENTICATION_FAILED error notify",
        )]);
        assert_eq!(codes(&d), ["auth-failed"]);
        d.context.auth_failed_before_proof = 1;
        assert_eq!(codes(&d), ["id-mismatch"]);
        let f = examine_with_debug(&healthy(), &d);
        assert!(f[0].summary.contains("in phase 1") && f[0].summary.contains("identity"));
        d.context.auth_failed_after_proof = 1;
        assert_eq!(codes(&d), ["auth-failed"]);
    }

    #[test]
    fn retransmissions_say_whether_the_peer_answered_and_stalled() {
        let silent = find(
            &[
                (
                    Phase::One,
                    "sending retransmit 1 of request message ID 0, seq 1",
                ),
                (Phase::One, "giving up after 3 retransmits"),
            ],
            "retransmissions",
        );
        assert!(
            silent[0].summary.contains("phase 1 stalled")
                && silent[0].summary.contains("the peer is not answering"),
            "{}",
            silent[0].summary
        );
        let answered = find(
            &[
                (
                    Phase::One,
                    "sending retransmit 1 of request message ID 0, seq 3",
                ),
                (
                    Phase::One,
                    "invalid HASH_V1 payload length, decryption failed?",
                ),
            ],
            "retransmissions",
        );
        assert!(
            answered[0].summary.contains("the peer answered"),
            "{}",
            answered[0].summary
        );
        assert!(!answered[0].advice.contains("ping"));
        // The tracker saw replies come in.
        let mut d = debug(&[(
            Phase::Two,
            "sending retransmit 1 of request message ID 7, seq 3",
        )]);
        d.context.retransmits = 1;
        d.context.retransmits_unanswered_by_success = 1;
        d.context.answers_after_retransmit = 1;
        let f = examine_with_debug(&healthy(), &d);
        assert!(
            f[0].summary.contains("in phase 2") && f[0].summary.contains("the peer answered"),
            "{}",
            f[0].summary
        );
        // Every retransmission followed by an SA coming up: nothing to fix.
        d.context.retransmits_unanswered_by_success = 0;
        assert!(codes(&d).is_empty());
    }

    #[test]
    fn proposal_rejected_names_the_algorithm() {
        let found = find(
            &[
                (Phase::Two, "  no acceptable ENCRYPTION_ALGORITHM found"),
                (Phase::Two, "received NO_PROPOSAL_CHOSEN error notify"),
            ],
            "proposal-rejected",
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .summary
                .starts_with("A phase 2 proposal was rejected")
                && found[0]
                    .summary
                    .ends_with(": no acceptable encryption algorithm"),
            "{}",
            found[0].summary
        );
        // "no acceptable response" is not a proposal.
        assert!(find(
            &[(
                Phase::One,
                "No response (or no acceptable response) to our first IKE message"
            )],
            "proposal-rejected"
        )
        .is_empty());
    }

    #[test]
    fn healthy_stream_and_unrelated_failures_are_silent() {
        let quiet = find(&[(Phase::One, "PAYLOAD-MALFORMED")], "auth-failed");
        assert!(quiet.is_empty());
        let all = examine_with_debug(&healthy(), &debug(&[(Phase::Info, "INVALID-COOKIE")]));
        assert!(all.is_empty(), "{all:?}");
    }

    fn psk_lines() -> DebugSummary {
        debug(&[(
            Phase::One,
            "invalid HASH_V1 payload length, decryption failed?",
        )])
    }

    fn advice_of(snap: &crate::model::Snapshot, d: &DebugSummary, code: &str) -> String {
        examine_with_debug(snap, d)
            .into_iter()
            .find(|f| f.code == code)
            .map(|f| f.advice)
            .unwrap_or_default()
    }

    #[test]
    fn the_real_key_id_appears_when_the_configuration_names_it() {
        let mut snap = healthy();
        snap.config.ike_policies[0].key = Some("7".into());
        let adv = advice_of(&snap, &psk_lines(), "psk-mismatch");
        assert!(adv.contains("`show enco key=7`"), "{adv}");
        assert!(adv.contains(&aw().command(&Cmd::ShowKey("7"))));
        assert!(!adv.contains("key=N"), "{adv}");
        let auth = debug(&[(Phase::One, "Notify AUTHENTICATION-FAILED")]);
        let adv = advice_of(&snap, &auth, "auth-failed");
        assert!(adv.contains(&aw().command(&Cmd::ShowKey("7"))), "{adv}");
    }

    #[test]
    fn the_key_id_is_a_placeholder_only_when_unknown() {
        // No configuration read: the advice says how to find the key's id.
        let mut snap = healthy();
        snap.config.ike_policies.clear();
        let adv = advice_of(&snap, &psk_lines(), "psk-mismatch");
        assert!(adv.contains(&aw().command(&Cmd::ShowKey("N"))), "{adv}");
        assert!(adv.contains(&format!("`{}`", aw().command(&Cmd::ShowKeys))));
        assert!(adv.contains(&aw().command(&Cmd::ShowIkeConfig)));
        // Two wildcard policies with different keys: which one the peer got is not known.
        let mut a = healthy().config.ike_policies[0].clone();
        a.peer = Some("any".into());
        let mut b = a.clone();
        b.name = "other".into();
        b.key = Some("2".into());
        snap.config.ike_policies = vec![a, b];
        let adv = advice_of(&snap, &psk_lines(), "psk-mismatch");
        assert!(adv.contains(&aw().command(&Cmd::ShowKey("N"))), "{adv}");
    }

    #[test]
    fn id_mismatch_advice_names_the_policy() {
        let mut snap = healthy();
        snap.config.ike_policies[0].name = "wiz_Peer1 to Peer2".into();
        let d = debug(&[(Phase::One, "notify INVALID ID INFORMATION")]);
        let adv = advice_of(&snap, &d, "id-mismatch");
        assert!(
            adv.contains("`set isakmp policy=\"wiz_Peer1 to Peer2\" localid=... remoteid=...`"),
            "{adv}"
        );
    }
}
