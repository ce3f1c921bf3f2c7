//! Console tests on a controlled clock: login, pager, re-authentication, debug interleaving,
//! and every scenario read back through the real pipeline to the doctor's findings.

use super::*;
use crate::alliedware::debug::Classifier;
use crate::analyze::{analyze_bytes, Options};
use crate::sim::Scenario;
use std::time::Duration;

fn console(s: Scenario, peer: usize, start: Start, cfg: ConsoleConfig) -> Console {
    Console::new(Arc::new(Mutex::new(Network::new(s))), peer, start, cfg)
}

fn drain(c: &mut Console) -> String {
    String::from_utf8_lossy(&c.take_output(usize::MAX)).into_owned()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn login_manager_and_wrong_password() {
    let mut c = console(Scenario::Healthy, 0, Start::Login, ConsoleConfig::default());
    assert!(drain(&mut c).ends_with("Peer1 login: "));
    c.input(b"manager\r", secs(1));
    assert!(drain(&mut c).ends_with("Password: "));
    c.input(b"wrong\r", secs(1));
    let out = drain(&mut c);
    assert!(
        out.contains("Login incorrect") && out.ends_with("Peer1 login: "),
        "{out}"
    );
    assert!(!out.contains("wrong"), "passwords are not echoed");
    c.input(b"manager\rfriend\r", secs(2));
    assert!(drain(&mut c).ends_with("Manager Peer1> "));
}

#[test]
fn echo_and_backspace() {
    let mut c = console(
        Scenario::Healthy,
        0,
        Start::SecOff,
        ConsoleConfig::default(),
    );
    drain(&mut c);
    c.input(b"shoe\x7fw ip\x08\x08ipsec sa\r", secs(1));
    let out = drain(&mut c);
    assert!(
        out.starts_with("shoe\x08 \x08w ip\x08 \x08\x08 \x08ipsec sa\r\n"),
        "{out:?}"
    );
    assert!(out.contains("wiz_Peer1 to Peer2"));
}

#[test]
fn pager_keys() {
    let cfg = ConsoleConfig {
        page_lines: 5,
        ..Default::default()
    };
    let mut c = console(Scenario::Healthy, 0, Start::SecOff, cfg);
    drain(&mut c);
    c.input(b"show config dynamic\r", secs(1));
    let out = drain(&mut c);
    assert!(out.ends_with(PAGER), "{out}");
    c.input(b"\r", secs(1));
    let one = drain(&mut c);
    assert_eq!(one.matches("\r\n").count(), 1, "{one:?}");
    c.input(b" ", secs(1));
    let page = drain(&mut c);
    assert_eq!(page.matches("\r\n").count(), 5, "{page:?}");
    c.input(b"q", secs(1));
    assert!(drain(&mut c).ends_with("SecOff Peer1> "));
    c.input(b"show config dynamic\r", secs(1));
    drain(&mut c);
    c.input(b"c", secs(1));
    let rest = drain(&mut c);
    assert!(rest.contains("enable firewall") && rest.ends_with("SecOff Peer1> "));
}

#[test]
fn secoff_reauthentication_after_securedelay() {
    let mut c = console(
        Scenario::Healthy,
        0,
        Start::SecOff,
        ConsoleConfig::default(),
    );
    drain(&mut c);
    c.input(b"show ipsec sa\r", secs(10));
    assert!(drain(&mut c).contains("Valid"));
    c.input(b"show ipsec sa\r", secs(100));
    assert!(drain(&mut c).ends_with("Password: "));
    c.input(b"secoff\r", secs(101));
    let out = drain(&mut c);
    assert!(out.contains("Valid") && !out.contains("secoff"), "{out}");
    // Commands that are not security commands need no password.
    c.input(b"show system\r", secs(300));
    assert!(drain(&mut c).contains("System Name"));
}

#[test]
fn debug_lines_arrive_between_output_lines() {
    let cfg = ConsoleConfig {
        page_lines: 1000,
        ..Default::default()
    };
    let mut c = console(Scenario::Phase1Stall, 0, Start::SecOff, cfg);
    drain(&mut c);
    c.input(b"enable isakmp debug=all\r", secs(0));
    drain(&mut c);
    c.input(b"show config dynamic\r", secs(0));
    // Part of the output goes out, then time passes and debug arrives.
    let first = c.take_output(40);
    assert_eq!(first.len(), 40);
    c.tick(secs(1));
    let rest = drain(&mut c);
    let all = format!("{}{}", String::from_utf8_lossy(&first), rest);
    assert!(all.contains("Phase 1 main mode initiated"), "{all}");
    // The debug line stands on a line of its own.
    assert!(all
        .lines()
        .any(|l| l.trim_start_matches('\r').starts_with("ISAKMP: Exchange")));
}

/// Drive a console like an engineer: debug on, wait, the How To Note's commands, a ping.
fn session(s: Scenario, peer: usize, wait: u64) -> Vec<u8> {
    let net = Arc::new(Mutex::new(Network::new(s)));
    let mut c = Console::new(net.clone(), peer, Start::SecOff, ConsoleConfig::default());
    if s == Scenario::SaOutOfStep {
        // The PC behind Peer1 pings across: Peer1 still encrypts with the old SA.
        let mut n = net.lock().unwrap();
        for _ in 0..3 {
            n.lan_ping(0, "192.168.2.100");
        }
    }
    let mut out = c.take_output(usize::MAX);
    c.input(b"enable isakmp debug=all\r", secs(0));
    for t in 1..=wait {
        c.tick(secs(t));
        out.extend(c.take_output(usize::MAX));
    }
    let ping = format!("ping {}", crate::sim::scenario::PEERS[1 - peer].pc);
    for cmd in [
        ping.as_str(),
        "show isakmp sa",
        "show isakmp exchange",
        "show ipsec sa",
        "show ipsec policy=\"wiz_Peer1 to Peer2\" counters",
        "show isakmp counters",
        "show config dynamic",
        "show ip interface",
    ] {
        c.input(format!("{cmd}\r").as_bytes(), secs(wait));
        out.extend(c.take_output(usize::MAX));
        // answer the pager as the session driver does
        while String::from_utf8_lossy(&out).ends_with(PAGER) {
            c.input(b"c", secs(wait));
            out.extend(c.take_output(usize::MAX));
        }
    }
    out
}

fn codes(s: Scenario, peer: usize, wait: u64) -> Vec<&'static str> {
    let bytes = session(s, peer, wait);
    let a = analyze_bytes(&bytes, Classifier::builtin(), Options::default());
    let mut c: Vec<&'static str> = a
        .findings
        .iter()
        .filter(|f| f.severity != crate::doctor::Severity::Info)
        .map(|f| f.code)
        .collect();
    c.sort();
    c.dedup();
    c
}

#[test]
fn scenarios_show_their_findings() {
    assert_eq!(codes(Scenario::Healthy, 0, 30), Vec::<&str>::new());
    assert_eq!(codes(Scenario::Healthy, 1, 30), Vec::<&str>::new());
    let stall = codes(Scenario::Phase1Stall, 0, 20);
    assert!(
        stall.contains(&"phase1-stalled") && stall.contains(&"retransmissions"),
        "{stall:?}"
    );
    let psk = codes(Scenario::PskMismatch, 0, 5);
    assert!(psk.contains(&"auth-failed"), "{psk:?}");
    let p2 = codes(Scenario::Phase2Mismatch, 0, 5);
    assert!(
        p2.contains(&"phase2-missing") && p2.contains(&"proposal-rejected"),
        "{p2:?}"
    );
    let oos = codes(Scenario::SaOutOfStep, 1, 2);
    assert!(oos.contains(&"bad-spi"), "{oos:?}");
    let acc = codes(Scenario::SaAccumulation, 1, 200);
    assert!(
        acc.contains(&"isakmp-sa-accumulation") && acc.contains(&"aggressive-without-deletes"),
        "{acc:?}"
    );
    let pol = codes(Scenario::PolicySelection, 1, 5);
    assert!(
        pol.contains(&"policy-selection-ambiguous") && pol.contains(&"auth-failed"),
        "{pol:?}"
    );
}

#[test]
fn reset_fixes_sa_out_of_step() {
    let net = Arc::new(Mutex::new(Network::new(Scenario::SaOutOfStep)));
    let mut c = Console::new(net.clone(), 0, Start::SecOff, ConsoleConfig::default());
    assert!(!net.lock().unwrap().lan_ping(0, "192.168.2.100"));
    for cmd in [
        "disable ipsec",
        "disable isakmp",
        "enable isakmp",
        "enable ipsec",
    ] {
        c.input(format!("{cmd}\r").as_bytes(), secs(1));
    }
    c.tick(secs(10));
    let mut n = net.lock().unwrap();
    assert!(n.lan_ping(0, "192.168.2.100"));
    let (a, b) = (&n.peers[0].ipsec_sas[0], &n.peers[1].ipsec_sas[0]);
    assert_eq!((a.out_spi, a.in_spi), (b.in_spi, b.out_spi));
}

#[test]
fn unknown_command_and_manager_limits() {
    let mut c = console(Scenario::Healthy, 0, Start::Login, ConsoleConfig::default());
    c.input(
        b"manager\rfriend\rfrobnicate now\rdisable ipsec\rsh isa sa\r",
        secs(1),
    );
    let out = drain(&mut c);
    assert!(out.contains("Unknown command \"frobnicate\""), "{out}");
    assert!(out.contains("requires security officer"), "{out}");
    assert!(out.contains("3DES"), "managers may look: {out}");
}

#[test]
fn reauthentication_again_after_each_quiet_spell() {
    let cfg = ConsoleConfig {
        securedelay: Duration::from_millis(800),
        ..Default::default()
    };
    let mut c = console(Scenario::Healthy, 0, Start::SecOff, cfg);
    drain(&mut c);
    let ms = Duration::from_millis;
    let mut asked = 0;
    for round in 0..3u64 {
        let t = ms(2000 * (round + 1));
        c.input(b"show ipsec sa\r", t);
        if drain(&mut c).ends_with("Password: ") {
            asked += 1;
            c.input(b"secoff\r", t);
            assert!(drain(&mut c).contains("Valid"));
        }
        c.input(b"show isakmp sa\r", t + ms(100));
        assert!(
            !drain(&mut c).ends_with("Password: "),
            "no password within securedelay"
        );
    }
    assert_eq!(asked, 3);
}

#[test]
fn logoff_and_logout_return_to_the_login_prompt() {
    for word in ["logoff", "LOGOUT", "logo"] {
        let mut c = console(Scenario::Healthy, 0, Start::Login, ConsoleConfig::default());
        drain(&mut c);
        c.input(b"secoff\rsecoff\r", secs(1));
        assert!(drain(&mut c).ends_with("SecOff Peer1> "));
        assert!(c.logged_in());
        c.input(b"enable isakmp debug=all\r", secs(2));
        drain(&mut c);
        assert!(c.debug_on());
        c.input(format!("{word}\r").as_bytes(), secs(3));
        let out = drain(&mut c);
        assert!(out.ends_with("Peer1 login: "), "{word}: {out:?}");
        assert!(!c.logged_in(), "{word}");
        assert!(!c.debug_on(), "{word}: debug ends with the session");
        // The next one must log in again: a wrong password is refused.
        c.input(b"secoff\rwrong\r", secs(4));
        let out = drain(&mut c);
        assert!(out.contains("Login incorrect"), "{word}: {out:?}");
        assert!(!c.logged_in());
    }
    // Not a logoff: an argument after it, or too short.
    let mut c = console(
        Scenario::Healthy,
        0,
        Start::SecOff,
        ConsoleConfig::default(),
    );
    drain(&mut c);
    c.input(b"log\r", secs(1));
    assert!(c.logged_in());
}

/// The new scenarios (issue 10, item 7) read by one end alone: the doctor names the cause at
/// the end whose configuration or debug shows it.
#[test]
fn new_scenarios_show_their_cause_at_the_end_that_has_it() {
    let p1 = codes(Scenario::Phase1ProposalMismatch, 1, 5);
    assert!(p1.contains(&"proposal-rejected"), "{p1:?}");
    let swapped = codes(Scenario::AddressesSwapped, 1, 5);
    assert!(swapped.contains(&"phase2-missing"), "{swapped:?}");
    let ids = codes(Scenario::IdMismatch, 0, 5);
    assert!(ids.contains(&"id-mismatch"), "{ids:?}");
    let local = codes(Scenario::LocalAddressSet, 0, 20);
    assert!(
        local.contains(&"local-address-set") && local.contains(&"phase1-stalled"),
        "{local:?}"
    );
    let permit = codes(Scenario::PermitFirst, 0, 5);
    assert!(permit.contains(&"permit-policy-not-last"), "{permit:?}");
    assert!(!codes(Scenario::PermitFirst, 1, 5).contains(&"permit-policy-not-last"));
    let same = codes(Scenario::SameSubnet, 0, 5);
    assert!(same.contains(&"same-subnet"), "{same:?}");
    let stall = codes(Scenario::Phase1Stall, 1, 5);
    assert!(stall.contains(&"firewall-ike-blocked"), "{stall:?}");
    assert!(!codes(Scenario::Phase1Stall, 0, 5).contains(&"firewall-ike-blocked"));
}
