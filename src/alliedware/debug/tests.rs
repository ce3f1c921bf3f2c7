//! Classifier tests: the built-in rules on AlliedWare-style vocabulary and user rule files.

use super::*;

fn c(line: &str) -> (Phase, bool) {
    let r = Classifier::builtin().classify(line, false);
    (r.phase, r.failure)
}

#[test]
fn builtin_rules_compile() {
    assert!(Classifier::builtin().rule_count() > 20);
    // `from_sources` compiles the built-in rules only as one set (start-up time): each
    // pattern is checked alone here, so a bad one is named.
    for (name, p) in Classifier::builtin().patterns() {
        assert!(super::build_regex(p).is_ok(), "rule {name}: {p}");
    }
    for p in Classifier::builtin().shape_patterns() {
        assert!(super::build_regex(p).is_ok(), "shape {p}");
    }
}

#[test]
fn alliedware_vocabulary() {
    assert_eq!(
        c("ISAKMP: Exchange 348 state SASENT, retransmitting message"),
        (Phase::One, true)
    );
    assert_eq!(
        c("Phase 1 main mode exchange 348 started with 200.200.200.1"),
        (Phase::One, false)
    );
    assert_eq!(
        c("Quick mode exchange 349 completed, IPsec SA bundle 0 created"),
        (Phase::Two, false)
    );
    assert_eq!(
        c("Phase 1.5 XAUTH transaction started"),
        (Phase::OneAndHalf, false)
    );
    assert_eq!(
        c("Sending R-U-THERE heartbeat to 200.200.200.1"),
        (Phase::Info, false)
    );
    assert_eq!(
        c("Notify NO-PROPOSAL-CHOSEN received in quick mode"),
        (Phase::Two, true)
    );
    assert_eq!(
        c("AUTHENTICATION_FAILED notify from 200.200.200.1"),
        (Phase::One, true)
    );
    assert_eq!(c("received INITIAL-CONTACT notify"), (Phase::Info, false));
    assert_eq!(
        c("Packet received with unknown SPI 12345"),
        (Phase::Two, true)
    );
    assert_eq!(c("some unrelated text"), (Phase::None, false));
}

#[test]
fn exchange_reference() {
    let r = Classifier::builtin().classify(
        "ISAKMP exchange 348: MM msg 3 sent to peer 200.200.200.1 cookie 1a2b3c4d5e6f7a8b message id 0x1f",
        true,
    );
    assert_eq!(r.exchange.exchange_id, Some(348));
    assert_eq!(r.exchange.peer.as_deref(), Some("200.200.200.1"));
    assert_eq!(r.exchange.cookie.as_deref(), Some("1a2b3c4d5e6f7a8b"));
    assert_eq!(r.exchange.message_id.as_deref(), Some("0x1f"));
}

#[test]
fn user_rules_add_and_report_errors() {
    let user = r#"
[[rule]]
name = "vendor-special"
pattern = 'FROBNICATE'
phase = "2"
priority = 200
"#;
    let cl = Classifier::from_sources(&[(BUILTIN_RULES, "built-in"), (user, "mine.toml")]).unwrap();
    assert_eq!(cl.classify("frobnicate main mode", false).phase, Phase::Two);

    let bad_phase = "[[rule]]\nname = \"x\"\npattern = 'a'\nphase = \"3\"\n";
    let e = Classifier::from_sources(&[(BUILTIN_RULES, "b"), (bad_phase, "mine.toml")])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("mine.toml") && e.contains("rule 1") && e.contains("phase"),
        "{e}"
    );

    let bad_re = "[[rule]]\nname = \"y\"\npattern = '('\nfailure = true\n";
    let e = Classifier::from_sources(&[(BUILTIN_RULES, "b"), (bad_re, "mine.toml")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("mine.toml") && e.contains("(y)"), "{e}");

    let typo = "[[rule]]\nname = \"z\"\npatern = 'a'\n";
    let e = Classifier::from_sources(&[(BUILTIN_RULES, "b"), (typo, "mine.toml")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("mine.toml") && e.contains("patern"), "{e}");
}

/// Phases and failure flags of a stream read by the tracker.
fn track(lines: &[&str]) -> Vec<(Phase, bool)> {
    let mut t = Tracker::new(Classifier::builtin());
    lines
        .iter()
        .map(|l| {
            let c = t.classify(l, false);
            (c.phase, c.failure)
        })
        .collect()
}

#[test]
fn tracker_places_packets_by_the_message_they_carry() {
    let got = track(&[
        "Nov 29 10:00:00 11[ENC] generating ID_PROT request 0 [ SA V V V V V ]",
        "Nov 29 10:00:00 11[NET] sending packet: from 200.200.200.1[500] to 200.200.200.2[500] (180 bytes)",
        // Before the ISAKMP SA is up, what comes in is phase 1.
        "Nov 29 10:00:00 16[NET] received packet: from 200.200.200.2[500] to 200.200.200.1[500] (160 bytes)",
        "Nov 29 10:00:00 16[ENC] parsed ID_PROT response 0 [ SA V V V V ]",
        "Nov 29 10:00:00 16[CFG] selecting proposal:",
        "Nov 29 10:00:01 10[IKE] IKE_SA vpn[1] established between 200.200.200.1[200.200.200.1]...200.200.200.2[200.200.200.2]",
        "Nov 29 10:00:01 10[ENC] generating QUICK_MODE request 1920297860 [ HASH SA No ID ID ]",
        "Nov 29 10:00:01 10[NET] sending packet: from 200.200.200.1[4500] to 200.200.200.2[4500] (172 bytes)",
        // Once it is up and no IPsec SA is, what comes in is quick mode.
        "Nov 29 10:00:01 14[NET] received packet: from 200.200.200.2[4500] to 200.200.200.1[4500] (188 bytes)",
        "Nov 29 10:00:01 14[CFG] selecting proposal:",
        "Nov 29 10:00:01 14[CFG]  192.168.1.0/24",
        "Nov 29 10:00:01 14[IKE] CHILD_SA lan{1} established with SPIs 1f53e4ca_i 8711f780_o and TS 192.168.1.0/24 === 192.168.2.0/24",
        // Then it is informational (deletes, DPD).
        "Nov 29 10:00:02 09[NET] received packet: from 200.200.200.2[4500] to 200.200.200.1[4500] (76 bytes)",
    ]);
    let phases: Vec<Phase> = got.iter().map(|g| g.0).collect();
    use Phase::*;
    assert_eq!(
        phases,
        [One, One, One, One, One, One, Two, Two, Two, Two, Two, Two, Info]
    );
    assert!(got.iter().all(|g| !g.1), "{got:?}");
}

#[test]
fn tracker_gives_error_notifies_the_phase_that_failed() {
    for (lead, want) in [
        (
            "Nov 29 10:00:00 16[ENC] parsed ID_PROT response 0 [ SA V V V V ]",
            Phase::One,
        ),
        (
            "Nov 29 10:00:00 16[ENC] generating QUICK_MODE request 3746912596 [ HASH SA No ID ID ]",
            Phase::Two,
        ),
    ] {
        let got = track(&[
            lead,
            "Nov 29 10:00:00 12[ENC] parsed INFORMATIONAL_V1 request 141490388 [ HASH N(NO_PROP) ]",
            "Nov 29 10:00:00 12[IKE] received NO_PROPOSAL_CHOSEN error notify",
            "Nov 29 10:00:00 12[CFG]   no acceptable ENCRYPTION_ALGORITHM found",
            "Nov 29 10:00:00 12[ENC] invalid ID_V1 payload length, decryption failed?",
        ]);
        assert_eq!(&got[1..], &[(want, true); 4], "after {lead}");
    }
    // A delete is informational, not the negotiation's.
    let got = track(&[
        "Nov 29 10:00:00 16[ENC] generating QUICK_MODE request 3746912596 [ HASH ]",
        "Nov 29 10:00:01 08[ENC] generating INFORMATIONAL_V1 request 2073517557 [ HASH D ]",
    ]);
    assert_eq!(got[1], (Phase::Info, false));
}

#[test]
fn lines_about_no_negotiation_get_no_phase() {
    for line in [
        "Nov 29 21:18:01 00[DMN] Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.18.44, x86_64)",
        "Nov 29 21:18:01 00[LIB] loaded plugins: charon random nonce aes sha1 sha2 hmac x509 kernel-libipsec",
        "Nov 29 21:18:01 00[LIB] dropped capabilities, running as uid 0, gid 0",
        "Nov 29 21:18:01 09[CFG]   proposals = IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
        "Nov 29 21:18:01 09[CFG]    local_ts = 192.168.1.0/24",
        "Nov 29 21:18:01 09[CFG]  conn vpn:",
        "Nov 29 21:18:01 13[CFG] vici initiate CHILD_SA 'lan'",
    ] {
        assert_eq!(c(line), (Phase::None, false), "{line}");
        assert_eq!(track(&[line]), [(Phase::None, false)], "{line}");
    }
}

/// AlliedWare's vocabulary reads the same through the tracker as line by line.
#[test]
fn tracker_keeps_alliedware_vocabulary() {
    let lines = [
        "ISAKMP: Exchange 348: Phase 1 main mode initiated with 200.200.200.1, initiator cookie 1a2b3c4d5e6f7a8b",
        "ISAKMP: Exchange 348: sending SA payload (MM1) to 200.200.200.1, state SASENT",
        "ISAKMP: Exchange 348: no response from 200.200.200.1, retransmitting MM1 (attempt 1 of 8)",
        "ISAKMP: Exchange 348: phase 1 timed out, no response from 200.200.200.1 after 8 retransmissions; exchange deleted",
        "ISAKMP: Exchange 350: received notify AUTHENTICATION-FAILED (24) from 200.200.200.1; phase 1 failed",
        "ISAKMP: quick mode proposal from 200.200.200.1: no PFS offered, policy requires PFS group 2: NO-PROPOSAL-CHOSEN",
        "ISAKMP: sending INFO exchange, notify NO-PROPOSAL-CHOSEN (14) to 200.200.200.1",
        "ISAKMP: Exchange 351: quick mode complete, IPsec SA bundle created, ESP outbound SPI 1, inbound SPI 2",
        "ISAKMP: sending heartbeat (R-U-THERE) to 200.200.200.1",
        "Packet received with unknown SPI 12345",
    ];
    let alone: Vec<(Phase, bool)> = lines.iter().map(|l| c(l)).collect();
    assert_eq!(track(&lines), alone);
}

#[test]
fn tracker_follows_the_facts_findings_need() {
    let mut t = Tracker::new(Classifier::builtin());
    for l in [
        "Nov 29 10:00:00 11[ENC] generating AGGRESSIVE request 0 [ SA KE No ID V V V V V ]",
        "Nov 29 10:00:00 12[IKE] received AUTHENTICATION_FAILED error notify",
        "Nov 29 10:00:01 12[IKE] sending retransmit 1 of request message ID 0, seq 1",
        "Nov 29 10:00:01 14[NET] received packet: from 200.200.200.2[500] to 200.200.200.1[500] (76 bytes)",
        "Nov 29 10:00:02 16[IKE] giving up after 3 retransmits",
    ] {
        t.classify(l, false);
    }
    let ctx = t.context();
    assert_eq!(ctx.auth_failed_before_proof, 1);
    assert_eq!(ctx.auth_failed_after_proof, 0);
    assert_eq!(ctx.give_ups, 1);
    assert!(ctx.retransmits >= 1);
    assert_eq!(ctx.answers_after_retransmit, 1);
    // After the key's proof, an authentication failure is the key's.
    let mut t = Tracker::new(Classifier::builtin());
    for l in [
        "Nov 29 10:00:00 11[ENC] generating ID_PROT request 0 [ ID HASH N(INITIAL_CONTACT) ]",
        "Nov 29 10:00:00 12[IKE] received AUTHENTICATION_FAILED error notify",
    ] {
        t.classify(l, false);
    }
    assert_eq!(t.context().auth_failed_after_proof, 1);
    assert_eq!(t.context().auth_failed_before_proof, 0);
}

#[test]
fn user_rules_may_set_context_and_marks() {
    let user = r#"
[[rule]]
name = "vendor-packet"
pattern = 'FROB packet out'
context = "thread"
priority = 300

[[rule]]
name = "vendor-up"
pattern = 'FROB tunnel up'
marks = ["p1-up"]
"#;
    let cl = Classifier::from_sources(&[(BUILTIN_RULES, "built-in"), (user, "mine.toml")]).unwrap();
    let mut t = Tracker::new(&cl);
    assert_eq!(
        t.classify("05[IKE] quick mode started", false).phase,
        Phase::Two
    );
    assert_eq!(
        t.classify("05[NET] FROB packet out", false).phase,
        Phase::Two
    );
    // A rule that only marks does not make a line debug output.
    assert!(!cl.scan("FROB tunnel up").matched);
    let bad = "[[rule]]\nname = \"x\"\npattern = 'a'\ncontext = \"sideways\"\n";
    let e = Classifier::from_sources(&[(BUILTIN_RULES, "b"), (bad, "mine.toml")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("mine.toml") && e.contains("context"), "{e}");
    let bad = "[[rule]]\nname = \"y\"\npattern = 'a'\nmarks = [\"p3-up\"]\n";
    let e = Classifier::from_sources(&[(BUILTIN_RULES, "b"), (bad, "mine.toml")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("mine.toml") && e.contains("p3-up"), "{e}");
}

#[test]
fn tracker_places_retransmissions_by_their_message_id() {
    let got = track(&[
        "Nov 29 10:00:00 10[ENC] generating QUICK_MODE request 3844786365 [ HASH SA No ID ID ]",
        // Another negotiation starts in between (a second peer's phase 1).
        "Nov 29 10:00:00 11[ENC] generating ID_PROT request 0 [ SA V V V V V ]",
        // An ID no message named: the negotiation in progress.
        "Nov 29 10:00:01 13[IKE] sending retransmit 1 of request message ID 1234567, seq 1",
        "Nov 29 10:00:01 13[IKE] sending retransmit 1 of request message ID 3844786365, seq 3",
    ]);
    assert_eq!(got[2], (Phase::One, true));
    assert_eq!(got[3], (Phase::Two, true));
}

/// The demo's synthetic AlliedWare debug, every scenario and both routers, read by `analyze`
/// (the tracker): every line gets the phase and failure flag it gets alone, as before the
/// tracker existed.
#[test]
fn demo_debug_reads_as_line_by_line() {
    use crate::analyze::{analyze_bytes, Options};
    use crate::sim::{Console, ConsoleConfig, Network, Scenario, Start};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    let c = Classifier::builtin();
    let mut events = 0;
    for s in Scenario::ALL {
        for peer in 0..2 {
            let net = Arc::new(Mutex::new(Network::new(s)));
            let mut con = Console::new(net, peer, Start::SecOff, ConsoleConfig::default());
            let mut out = con.take_output(usize::MAX);
            con.input(b"enable isakmp debug=all\r", Duration::ZERO);
            for t in 1..=90 {
                con.tick(Duration::from_secs(t));
                out.extend(con.take_output(usize::MAX));
            }
            let opts = Options {
                keep_events: true,
                exchanges: false,
            };
            let a = analyze_bytes(&out, c, opts);
            for e in &a.state.debug.events {
                let alone = c.classify(&e.text, false);
                assert_eq!(
                    (e.phase, e.failure),
                    (alone.phase, alone.failure),
                    "{s:?} peer {peer}: {}",
                    e.text
                );
                events += 1;
            }
        }
    }
    assert!(events > 100, "the demo printed only {events} debug lines");
}
