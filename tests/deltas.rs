//! The counter delta view: baselines, deltas, rates, sparkline history, resets, error counters,
//! and the verdict table, alone and against the simulated routers' real counter displays.

use proptest::prelude::*;
use std::time::Duration;
use tunnelscope::doctor::counters::{counter_verdict, Severity, Verdict};
use tunnelscope::model::{is_error_name, Counter, CounterView, PingTally, SourceLine};

/// The doctor's verdict on a view, spoken in AlliedWare, as the screen asks for it.
trait VerdictOf {
    fn verdict(&self, ping: Option<&PingTally>) -> Verdict;
}

impl VerdictOf for CounterView {
    fn verdict(&self, ping: Option<&PingTally>) -> Verdict {
        counter_verdict(self, ping, tunnelscope::alliedware::dialect::dialect())
    }
}

const OUT: &str = "Outbound Packet Processing Counters";
const IN: &str = "Inbound Packet Processing Counters";

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A policy display in the router's order, with the given values.
fn reading(out_done: u64, in_done: u64, errors: &[(&str, u64)]) -> Vec<Counter> {
    let mut all = vec![
        (OUT, "outProcessStarted", out_done),
        (OUT, "outProcessDone", out_done),
        (OUT, "outProcessFailed", 0),
        (OUT, "outDropNoSa", 0),
        (IN, "inProcessStarted", in_done),
        (IN, "inProcessDone", in_done),
        (IN, "inProcessFailed", 0),
        (IN, "inBadSpiResponse", 0),
        (IN, "inDropUnknownSpi", 0),
    ];
    for (name, v) in errors {
        if let Some(row) = all.iter_mut().find(|r| r.1 == *name) {
            row.2 = *v;
        }
    }
    all.into_iter()
        .enumerate()
        .map(|(i, (section, name, value))| Counter {
            command: "show ipsec policy=vpn counters".into(),
            section: section.into(),
            name: name.into(),
            value,
            line: i + 1,
        })
        .collect()
}

/// A view with a baseline at (out0, in0) and a later reading at (out1, in1).
fn view(before: (u64, u64), after: (u64, u64), errors: &[(&str, u64)]) -> CounterView {
    let mut v = CounterView::new();
    v.update(secs(0), &reading(before.0, before.1, &[]));
    v.update(secs(10), &reading(after.0, after.1, errors));
    v
}

fn texts(v: &Verdict) -> Vec<&str> {
    v.lines.iter().map(|l| l.text.as_str()).collect()
}

fn has(v: &Verdict, needle: &str) -> bool {
    v.lines.iter().any(|l| l.text.contains(needle))
}

fn ended(sent: u64, replied: u64, at: u64) -> PingTally {
    PingTally {
        sent,
        replied,
        running: false,
        started_at: Some(secs(0)),
        ended_at: Some(secs(at)),
        from_router: false,
    }
}

#[test]
fn first_reading_sets_the_baseline_and_traffic_counters_lead() {
    let mut v = CounterView::new();
    assert_eq!(v.update(secs(5), &reading(120, 118, &[])), None);
    assert_eq!(v.baseline_at(), Some(secs(5)));
    let names: Vec<&str> = v.rows().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "outProcessDone",
            "inProcessDone",
            "outProcessStarted",
            "outProcessFailed",
            "outDropNoSa",
            "inProcessStarted",
            "inProcessFailed",
            "inBadSpiResponse",
            "inDropUnknownSpi",
        ]
    );
    assert!(v.rows().iter().all(|r| r.delta() == 0 && r.rate.is_none()));
    assert_eq!(v.get("outProcessDone").map(|r| r.value), Some(120));
}

#[test]
fn deltas_rates_and_history() {
    let mut v = CounterView::new().with_history_len(3);
    v.update(secs(0), &reading(100, 50, &[]));
    v.update(secs(2), &reading(110, 54, &[]));
    let out = v.get("outProcessDone").expect("row");
    assert_eq!(
        (out.value, out.baseline, out.delta(), out.step),
        (110, 100, 10, 10)
    );
    assert_eq!(out.rate, Some(5.0));
    assert_eq!(v.get("inProcessDone").and_then(|r| r.rate), Some(2.0));
    for (t, o) in [(4, 111), (6, 111), (8, 121)] {
        v.update(secs(t), &reading(o, 54, &[]));
    }
    let out = v.get("outProcessDone").expect("row");
    assert_eq!(out.history.iter().copied().collect::<Vec<_>>(), [1, 0, 10]);
    assert_eq!(out.delta(), 21);
    assert_eq!(v.since_baseline(), Some(secs(8)));
}

#[test]
fn a_reading_at_the_same_instant_has_no_rate() {
    let mut v = CounterView::new();
    v.update(secs(3), &reading(1, 1, &[]));
    v.update(secs(3), &reading(2, 2, &[]));
    assert_eq!(v.get("outProcessDone").and_then(|r| r.rate), None);
}

#[test]
fn the_user_baseline_counts_from_now() {
    let mut v = view((0, 0), (10, 10), &[]);
    v.set_baseline(secs(11));
    assert!(v.rows().iter().all(|r| r.delta() == 0));
    v.update(secs(12), &reading(13, 12, &[]));
    assert_eq!(v.get("outProcessDone").map(|r| r.delta()), Some(3));
    assert_eq!(v.get("inProcessDone").map(|r| r.delta()), Some(2));
}

#[test]
fn a_counter_going_backwards_starts_a_new_baseline_and_says_so() {
    let mut v = view((100, 100), (120, 118), &[]);
    let reset = v.update(secs(20), &reading(3, 2, &[])).expect("a reset");
    assert_eq!(reset.name, "outProcessStarted");
    assert_eq!((reset.was, reset.now), (120, 3));
    assert_eq!(v.baseline_at(), Some(secs(20)));
    assert!(v.rows().iter().all(|r| r.delta() == 0 && r.step == 0));
    let verdict = v.verdict(None);
    assert!(has(&verdict, "went back from 120 to 3"), "{verdict:?}");
    assert!(has(&verdict, "restarted or its counters were reset"));
    v.update(secs(21), &reading(5, 4, &[]));
    assert_eq!(v.get("outProcessDone").map(|r| r.delta()), Some(2));
    // The user's baseline clears the note.
    v.set_baseline(secs(22));
    assert!(v.last_reset().is_none());
}

#[test]
fn an_empty_reading_is_not_a_reset_and_missing_counters_go_stale() {
    let mut v = view((0, 0), (5, 5), &[]);
    assert_eq!(v.update(secs(11), &[]), None);
    assert_eq!(v.last_at(), Some(secs(10)));
    let only_out: Vec<Counter> = reading(7, 5, &[])
        .into_iter()
        .filter(|c| c.name == "outProcessDone")
        .collect();
    v.update(secs(12), &only_out);
    let inb = v.get("inProcessDone").expect("kept");
    assert!(inb.stale);
    assert_eq!(inb.delta(), 5);
    assert_eq!(v.get("outProcessDone").map(|r| r.stale), Some(false));
}

#[test]
fn counters_are_keyed_by_section_and_name() {
    let mut v = CounterView::new();
    let mk = |section: &str, value| Counter {
        command: "c".into(),
        section: section.into(),
        name: "pkts".into(),
        value,
        line: 1,
    };
    v.update(secs(0), &[mk("A", 1), mk("B", 100)]);
    v.update(secs(1), &[mk("A", 2), mk("B", 150)]);
    assert_eq!(v.get_in("A", "pkts").map(|r| r.delta()), Some(1));
    assert_eq!(v.get_in("B", "pkts").map(|r| r.delta()), Some(50));
}

#[test]
fn error_counter_names() {
    for name in [
        "outProcessFailed",
        "outDropNoSa",
        "inBadSpiResponse",
        "inDropUnknownSpi",
        "badSpiRequests",
        "phase1Failed",
        "pktsInDropped",
        "inErrors",
        "ifInDiscards",
        "invalidSpi",
        "rx_err",
        "inerrors",
    ] {
        assert!(is_error_name(name), "{name} is an error counter");
    }
    for name in [
        "outProcessDone",
        "inProcessStarted",
        "pktsTransferred",
        "phase1Completed",
        "retryIkeAttemptsPh1",
        "pktsOutProcessed",
    ] {
        assert!(!is_error_name(name), "{name} is not an error counter");
    }
}

#[test]
fn moved_error_names_only_the_error_counters_that_moved() {
    let v = view((0, 0), (10, 0), &[("inDropUnknownSpi", 3)]);
    let moved: Vec<&str> = v.moved_error().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(moved, ["inDropUnknownSpi"]);
    assert!(v.get("outProcessDone").is_some_and(|r| !r.is_error));
}

// The verdict table.

#[test]
fn verdict_both_ways() {
    let v = view((0, 0), (10, 10), &[]).verdict(None);
    assert_eq!(v.severity, Severity::Ok);
    assert_eq!(
        v.headline(),
        "encrypting and decrypting: the tunnel carries traffic both ways"
    );
}

#[test]
fn verdict_encrypting_only() {
    let v = view((0, 0), (10, 0), &[]).verdict(None);
    assert_eq!(v.severity, Severity::Bad);
    assert_eq!(
        v.headline(),
        "encrypting, nothing decrypted: replies are not coming back through the tunnel; \
         check the peer"
    );
}

#[test]
fn verdict_decrypting_only() {
    let v = view((0, 0), (0, 10), &[]).verdict(None);
    assert_eq!(v.severity, Severity::Bad);
    assert!(v.headline().starts_with("decrypting but not encrypting"));
    assert!(v.headline().contains("policy order and addresses"));
}

#[test]
fn verdict_nothing_while_pinging() {
    let ping = PingTally {
        sent: 4,
        running: true,
        ..PingTally::default()
    };
    let v = view((5, 5), (5, 5), &[]).verdict(Some(&ping));
    assert_eq!(v.severity, Severity::Bad);
    assert_eq!(
        v.headline(),
        "nothing through the tunnel: the pings are not matching the IPsec policy, \
         or there is no IPsec SA"
    );
}

#[test]
fn verdict_idle_without_ping() {
    let v = view((5, 5), (5, 5), &[]).verdict(None);
    assert_eq!(v.severity, Severity::Idle);
    assert_eq!(
        v.headline(),
        "no traffic since the baseline; start a ping (p)"
    );
    assert_eq!(
        CounterView::new().verdict(None).headline(),
        "no counters read yet"
    );
}

#[test]
fn verdict_names_moving_error_counters_and_their_meaning() {
    let v = view(
        (0, 0),
        (0, 0),
        &[("inDropUnknownSpi", 4), ("inBadSpiResponse", 1)],
    )
    .verdict(None);
    assert_eq!(v.severity, Severity::Bad);
    let line = texts(&v)
        .into_iter()
        .find(|t| t.contains("inDropUnknownSpi +4"))
        .expect("a line for the SPI counters");
    assert!(
        line.starts_with("inBadSpiResponse +1, inDropUnknownSpi +4:"),
        "{line}"
    );
    assert!(line.contains("out of step") && line.contains("reset ISAKMP and IPsec"));
}

#[test]
fn verdict_no_sa_drops_are_normal_only_while_traffic_flows() {
    let flowing = view((0, 0), (9, 9), &[("outDropNoSa", 1)]).verdict(None);
    assert_eq!(flowing.severity, Severity::Warn);
    assert!(has(
        &flowing,
        "outDropNoSa +1: packets matched the policy before"
    ));
    let stuck = view((0, 0), (0, 0), &[("outDropNoSa", 5)]).verdict(None);
    assert_eq!(stuck.severity, Severity::Bad);
    assert!(has(&stuck, "no IPsec SA to encrypt them"));
}

#[test]
fn verdict_without_traffic_counters_asks_for_an_ipsec_policy() {
    let mut v = CounterView::new();
    let c = Counter {
        command: "show ipsec policy=deny counters".into(),
        section: String::new(),
        name: "pktsDenied".into(),
        value: 3,
        line: 1,
    };
    v.update(secs(0), &[c]);
    let verdict = v.verdict(None);
    assert_eq!(verdict.severity, Severity::Warn);
    assert!(verdict
        .headline()
        .contains("choose a policy with action=ipsec"));
}

// The verdict against a ping.

#[test]
fn ping_matching_the_counters() {
    let v = view((120, 118), (130, 128), &[]).verdict(Some(&ended(10, 10, 9)));
    assert_eq!(v.severity, Severity::Ok, "{v:?}");
    assert!(has(
        &v,
        "10 sent, outProcessDone +10, 10 replies, inProcessDone +10"
    ));
    assert!(has(&v, "the counters match the ping"));
}

#[test]
fn ping_replies_without_decryption_bypass_the_tunnel() {
    let v = view((0, 0), (10, 0), &[]).verdict(Some(&ended(10, 10, 9)));
    assert_eq!(v.severity, Severity::Bad);
    assert!(has(&v, "10 replies arrived but inProcessDone did not move"));
    assert!(has(&v, "bypass the tunnel"));
}

#[test]
fn ping_answered_with_no_counter_moving_goes_around_the_tunnel() {
    let v = view((0, 0), (0, 0), &[]).verdict(Some(&ended(5, 5, 9)));
    assert_eq!(v.severity, Severity::Bad);
    assert!(has(&v, "they go around the tunnel"));
}

#[test]
fn ping_with_other_traffic_too() {
    let v = view((0, 0), (25, 22), &[]).verdict(Some(&ended(10, 10, 9)));
    assert_eq!(v.severity, Severity::Ok);
    assert!(has(&v, "other traffic uses the tunnel too"));
    assert!(has(&v, "other traffic comes through the tunnel too"));
}

#[test]
fn ping_decrypted_but_not_answered() {
    let v = view((0, 0), (10, 10), &[]).verdict(Some(&ended(10, 0, 9)));
    assert_eq!(v.severity, Severity::Bad);
    assert!(has(&v, "do not reach the pinging machine"));
}

#[test]
fn ping_some_not_through_the_tunnel() {
    let v = view((0, 0), (8, 8), &[]).verdict(Some(&ended(10, 10, 9)));
    assert_eq!(v.severity, Severity::Warn);
    assert!(has(&v, "2 of the 10 pings did not go through the tunnel"));
    assert!(has(&v, "2 of the replies came back outside the tunnel"));
}

#[test]
fn ping_encrypted_but_partly_unanswered() {
    let v = view((0, 0), (10, 7), &[]).verdict(Some(&ended(10, 7, 9)));
    assert_eq!(v.severity, Severity::Warn);
    assert!(has(&v, "3 pings went into the tunnel and got no reply"));
}

#[test]
fn ping_running_is_not_judged_on_numbers() {
    let ping = PingTally {
        sent: 10,
        replied: 10,
        running: true,
        ..PingTally::default()
    };
    let v = view((0, 0), (7, 7), &[]).verdict(Some(&ping));
    assert_eq!(v.severity, Severity::Ok);
    assert!(has(&v, "ping running"));
    assert!(!has(&v, "did not go through"));
}

#[test]
fn ping_ended_after_the_last_reading_waits_for_one_more() {
    let v = view((0, 0), (7, 7), &[]).verdict(Some(&ended(10, 10, 11)));
    assert!(has(
        &v,
        "waiting for a counter reading after the ping ended"
    ));
    assert!(!has(&v, "did not go through"));
}

#[test]
fn ping_from_the_router_needs_a_lan_source() {
    let mut ping = ended(5, 0, 9);
    ping.from_router = true;
    let v = view((0, 0), (0, 0), &[]).verdict(Some(&ping));
    assert!(has(&v, "sipaddress="));
}

#[test]
fn ping_started_before_the_baseline_is_flagged() {
    let mut ping = ended(10, 10, 9);
    ping.started_at = Some(Duration::ZERO);
    let mut v = CounterView::new();
    v.update(secs(0), &reading(0, 0, &[]));
    v.set_baseline(secs(3));
    v.update(secs(10), &reading(7, 7, &[]));
    let verdict = v.verdict(Some(&ping));
    assert!(has(&verdict, "the baseline was set after the ping started"));
}

// Against the simulator: its counter display, parsed by the real parser.

mod sim {
    use super::*;
    use tunnelscope::alliedware::parse::counters;
    use tunnelscope::sim::network::Network;
    use tunnelscope::sim::render::policy_counters;
    use tunnelscope::sim::scenario::POLICY;
    use tunnelscope::sim::Scenario;

    fn read(n: &Network, peer: usize) -> Vec<Counter> {
        let lines: Vec<SourceLine> = policy_counters(&n.peers[peer], POLICY)
            .into_iter()
            .enumerate()
            .map(|(i, t)| SourceLine::new(i + 1, t))
            .collect();
        counters::parse("show ipsec policy counters", &lines).items
    }

    /// Ping ten times from the PC behind Peer1 and judge on both peers.
    fn ping_ten(scenario: Scenario) -> (Verdict, Verdict) {
        let mut n = Network::new(scenario);
        let (mut v1, mut v2) = (CounterView::new(), CounterView::new());
        v1.update(secs(0), &read(&n, 0));
        v2.update(secs(0), &read(&n, 1));
        let replied = (0..10).filter(|_| n.lan_ping(0, "192.168.2.100")).count() as u64;
        v1.update(secs(11), &read(&n, 0));
        v2.update(secs(11), &read(&n, 1));
        let ping = ended(10, replied, 10);
        (v1.verdict(Some(&ping)), v2.verdict(None))
    }

    #[test]
    fn healthy_tunnel() {
        let (peer1, peer2) = ping_ten(Scenario::Healthy);
        assert_eq!(peer1.severity, Severity::Ok, "{peer1:?}");
        assert!(has(
            &peer1,
            "10 sent, outProcessDone +10, 10 replies, inProcessDone +10"
        ));
        assert_eq!(peer2.severity, Severity::Ok, "{peer2:?}");
    }

    #[test]
    fn sa_out_of_step() {
        let (peer1, peer2) = ping_ten(Scenario::SaOutOfStep);
        assert_eq!(peer1.severity, Severity::Bad, "{peer1:?}");
        assert!(peer1
            .headline()
            .starts_with("encrypting, nothing decrypted"));
        assert_eq!(peer2.severity, Severity::Bad, "{peer2:?}");
        assert!(has(&peer2, "inDropUnknownSpi +10"), "{peer2:?}");
        assert!(has(&peer2, "out of step"));
    }

    #[test]
    fn no_ipsec_sa() {
        let (peer1, _) = ping_ten(Scenario::Phase2Mismatch);
        assert_eq!(peer1.severity, Severity::Bad, "{peer1:?}");
        assert!(peer1.headline().starts_with("nothing through the tunnel"));
        assert!(has(&peer1, "outDropNoSa +"), "{peer1:?}");
    }
}

proptest! {
    /// Counters that only grow never reset; each delta is the last value less the first.
    #[test]
    fn growing_counters_never_reset(steps in proptest::collection::vec((0u64..50, 0u64..50), 1..80)) {
        let mut v = CounterView::new().with_history_len(60);
        let (mut o, mut i) = (1000u64, 500u64);
        v.update(secs(0), &reading(o, i, &[]));
        for (t, (a, b)) in steps.iter().enumerate() {
            o += a;
            i += b;
            prop_assert!(v.update(secs(t as u64 + 1), &reading(o, i, &[])).is_none());
        }
        prop_assert_eq!(v.get("outProcessDone").map(|r| r.delta()), Some(o - 1000));
        prop_assert_eq!(v.get("inProcessDone").map(|r| r.delta()), Some(i - 500));
        prop_assert!(v.rows().iter().all(|r| r.history.len() <= 60));
    }

    /// A reading with any counter lower than before is a reset, and only then.
    #[test]
    fn lower_means_reset(a in 0u64..1000, b in 0u64..1000) {
        let mut v = CounterView::new();
        v.update(secs(0), &reading(a, 0, &[]));
        let reset = v.update(secs(1), &reading(b, 0, &[]));
        prop_assert_eq!(reset.is_some(), b < a);
    }
}
