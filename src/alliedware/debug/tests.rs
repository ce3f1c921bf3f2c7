//! Classifier tests: the built-in rules on AlliedWare-style vocabulary and user rule files.

use super::*;

fn c(line: &str) -> (Phase, bool) {
    let r = Classifier::builtin().classify(line, false);
    (r.phase, r.failure)
}

#[test]
fn builtin_rules_compile() {
    assert!(Classifier::builtin().rule_count() > 20);
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
