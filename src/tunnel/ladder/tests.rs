//! Ladders from the simulator's own debug (both simulated consoles run headless on one
//! network, read by `analyze` as a capture would be) and from the real strongSwan corpus.

use super::*;
use crate::alliedware::debug::Classifier;
use crate::alliedware::dialect::dialect;
use crate::analyze::{analyze_bytes, Options};
use crate::model::{Cmd, Exchange};
use crate::sim::{Console, ConsoleConfig, Network, Scenario, Start};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one simulated router printed: its debug events with the time each reached the
/// console, and its exchange table at the end.
struct Run {
    name: &'static str,
    events: Vec<(Option<Time>, DebugEvent)>,
    exchanges: Vec<Exchange>,
}

impl Run {
    fn end(&self) -> LadderEnd<'_> {
        LadderEnd {
            name: self.name,
            events: self.events.iter().map(|(t, e)| (*t, e)).collect(),
            exchanges: &self.exchanges,
        }
    }
}

fn clock(ms: u64) -> Time {
    // The run starts at 10:00:00.000.
    let ms = 36_000_000 + ms;
    let h = i8::try_from(ms / 3_600_000).expect("hour");
    let m = i8::try_from(ms / 60_000 % 60).expect("minute");
    let s = i8::try_from(ms / 1000 % 60).expect("second");
    let n = i32::try_from(ms % 1000 * 1_000_000).expect("nanos");
    Time::new(h, m, s, n).expect("a time of day")
}

/// Both consoles of one simulated network with debug on, run for `secs` in 50 ms ticks;
/// `at` is a command typed on a console at a time (ms).
fn run(s: Scenario, secs: u64, at: &[(u64, usize, String)]) -> [Run; 2] {
    let net = Arc::new(Mutex::new(Network::new(s)));
    let mut cons: Vec<Console> = (0..2)
        .map(|p| Console::new(net.clone(), p, Start::SecOff, ConsoleConfig::default()))
        .collect();
    let mut out: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    // Each printed line with the tick it arrived at.
    let mut arrivals: [Vec<(u64, String)>; 2] = [Vec::new(), Vec::new()];
    for (p, c) in cons.iter_mut().enumerate() {
        out[p].extend(c.take_output(usize::MAX));
        let on = crate::alliedware::dialect::dialect().command(&crate::model::Cmd::Debug(true));
        c.input(format!("{on}\r").as_bytes(), Duration::ZERO);
        out[p].extend(c.take_output(usize::MAX));
    }
    for ms in (50..=secs * 1000).step_by(50) {
        for (p, c) in cons.iter_mut().enumerate() {
            for (when, who, cmd) in at {
                if *when == ms && *who == p {
                    c.input(format!("{cmd}\r").as_bytes(), Duration::from_millis(ms));
                }
            }
            c.tick(Duration::from_millis(ms));
            let chunk = c.take_output(usize::MAX);
            for l in String::from_utf8_lossy(&chunk).lines() {
                arrivals[p].push((ms, l.trim().to_string()));
            }
            out[p].extend(chunk);
        }
    }
    let mut runs = Vec::new();
    for p in 0..2 {
        let show = dialect().command(&Cmd::ShowExchanges);
        cons[p].input(format!("{show}\r").as_bytes(), Duration::from_secs(secs));
        out[p].extend(cons[p].take_output(usize::MAX));
        let opts = Options {
            keep_events: true,
            exchanges: true,
        };
        let a = analyze_bytes(&out[p], Classifier::builtin(), opts);
        // The time each event's line reached the console, found in arrival order.
        let mut k = 0;
        let events = a
            .state
            .debug
            .events
            .iter()
            .map(|e| {
                let found = arrivals[p][k..]
                    .iter()
                    .position(|(_, l)| l.contains(e.text.trim()));
                let time = found.map(|i| {
                    k += i + 1;
                    clock(arrivals[p][k - 1].0)
                });
                (time, e.clone())
            })
            .collect();
        runs.push(Run {
            name: ["Peer1", "Peer2"][p],
            events,
            exchanges: a.state.snapshot.exchanges.clone(),
        });
    }
    let [a, b]: [Run; 2] = runs.try_into().unwrap_or_else(|_| panic!("two runs"));
    [a, b]
}

/// (message, from which end, retransmission) of each arrow.
fn arrows(l: &Ladder) -> Vec<(String, usize, u32)> {
    l.arrows
        .iter()
        .map(|a| (a.message.clone(), a.from, a.retransmission))
        .collect()
}

fn msgs(list: &[(&str, usize)]) -> Vec<(String, usize, u32)> {
    list.iter().map(|(m, f)| (m.to_string(), *f, 0)).collect()
}

fn reset() -> Vec<(u64, usize, String)> {
    // The How To Note's reset on Peer1 (ISAKMP down, then up): the tunnel negotiates afresh
    // from main mode.
    let d = dialect();
    let down = d.reset_down().pop().unwrap_or_default();
    let up = d.reset_up().into_iter().next().unwrap_or_default();
    vec![(1000, 0, down), (1500, 0, up)]
}

fn sim_ladder(s: Scenario, at: &[(u64, usize, String)], pick: Pick) -> Ladder {
    let [a, b] = run(s, 40, at);
    ladder(&a.end(), Some(&b.end()), pick).expect("a ladder")
}

/// Each scenario's ladder: the arrows (message, sender, retransmission) in order, and how it
/// ended.
#[test]
fn simulated_ladders_from_both_ends() {
    struct Case {
        scenario: Scenario,
        reset: bool,
        pick: Pick,
        kind: Kind,
        arrows: Vec<(String, usize, u32)>,
        outcome: Outcome,
        stop: Option<(&'static str, &'static str)>,
    }
    // In 40 s: MM1 at 0.5 s, retransmitted at 4.75, 12.75 and 28.75 s.
    let stall: Vec<(String, usize, u32)> = (0..4).map(|r| ("MM1".to_string(), 0, r)).collect();
    let cases = [
        Case {
            scenario: Scenario::Healthy,
            reset: true,
            pick: Pick::Exchange(348),
            kind: Kind::Main,
            arrows: msgs(&[
                ("MM1", 0),
                ("MM2", 1),
                ("MM3", 0),
                ("MM4", 1),
                ("MM5", 0),
                ("INFO", 0),
                ("MM6", 1),
            ]),
            outcome: Outcome::Completed,
            stop: None,
        },
        Case {
            scenario: Scenario::Healthy,
            reset: true,
            pick: Pick::LatestFailed,
            kind: Kind::Quick,
            arrows: msgs(&[("QM1", 0), ("QM2", 1), ("QM3", 0)]),
            outcome: Outcome::Completed,
            stop: None,
        },
        Case {
            scenario: Scenario::Phase2Mismatch,
            reset: false,
            pick: Pick::LatestFailed,
            kind: Kind::Quick,
            arrows: msgs(&[("QM1", 0), ("INFO", 1)]),
            outcome: Outcome::Stopped,
            stop: Some(("Peer2", "NO-PROPOSAL-CHOSEN")),
        },
        Case {
            scenario: Scenario::Phase1Stall,
            reset: false,
            pick: Pick::LatestFailed,
            kind: Kind::Main,
            arrows: stall,
            outcome: Outcome::Waiting,
            stop: Some(("Peer1", "no response to MM1")),
        },
        Case {
            scenario: Scenario::PskMismatch,
            reset: false,
            pick: Pick::LatestFailed,
            kind: Kind::Main,
            arrows: msgs(&[
                ("MM1", 0),
                ("MM2", 1),
                ("MM3", 0),
                ("MM4", 1),
                ("MM5", 0),
                ("INFO", 1),
            ]),
            outcome: Outcome::Stopped,
            stop: Some(("Peer2", "AUTHENTICATION-FAILED")),
        },
    ];
    for c in cases {
        let at = if c.reset { reset() } else { Vec::new() };
        let l = sim_ladder(c.scenario, &at, c.pick);
        let what = format!("{:?} {:?}:\n{}", c.scenario, c.pick, l.text());
        assert_eq!(l.kind, c.kind, "{what}");
        assert_eq!(arrows(&l), c.arrows, "{what}");
        assert_eq!(l.outcome, c.outcome, "{what}");
        assert_eq!(
            l.stop.as_ref().map(|s| (s.end.as_str(), s.reason.as_str())),
            c.stop,
            "{what}"
        );
        assert_eq!(l.ends[0].name, "Peer1");
        assert_eq!(l.ends[1].name, "Peer2");
        // Each end's address is the one the other end's debug names.
        assert_eq!(
            l.ends[1].address.as_deref(),
            Some("200.200.200.1"),
            "{what}"
        );
    }
}

/// The same message sent by one end and received by the other is one arrow with both times;
/// the far end of a stall sees nothing; the text marks the stop with the explaining line.
#[test]
fn arrows_carry_both_ends_times_and_the_stop_its_line() {
    let l = sim_ladder(Scenario::Phase2Mismatch, &[], Pick::LatestFailed);
    let qm1 = &l.arrows[0];
    let sent = qm1.seen[0]
        .as_ref()
        .and_then(|s| s.time)
        .expect("Peer1's time");
    let got = qm1.seen[1]
        .as_ref()
        .and_then(|s| s.time)
        .expect("Peer2's time");
    assert!(sent <= got, "QM1 sent {sent} after it arrived {got}");
    let info = &l.arrows[1];
    assert_eq!(info.payloads, ["N(NO-PROPOSAL-CHOSEN)"]);
    assert!(!info.implied && info.seen.iter().all(|s| s.is_some()));
    let stop = l.stop.as_ref().expect("a stop");
    assert!(stop.line.contains("no PFS offered"), "{}", stop.line);
    assert_eq!(stop.after.as_deref(), Some("QM1"));
    let text = l.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("Peer1 (200.200.200.2)")
            && lines[0].ends_with("Peer2 (200.200.200.1)"),
        "{text}"
    );
    let qm = lines
        .iter()
        .position(|x| x.contains("---- QM1"))
        .expect("QM1 arrow");
    let n = lines
        .iter()
        .position(|x| x.contains("<--- INFO  N(NO-PROPOSAL-CHOSEN)"))
        .expect("notify arrow");
    let st = lines
        .iter()
        .position(|x| x.contains("stopped: Peer2: NO-PROPOSAL-CHOSEN (quick mode, phase 2"))
        .expect("stop line");
    assert!(qm < n && n < st, "{text}");
    assert!(
        lines[qm].trim_end().ends_with(&format!("{got:.3}")),
        "{text}"
    );

    let stall = sim_ladder(Scenario::Phase1Stall, &[], Pick::LatestFailed);
    assert!(stall
        .arrows
        .iter()
        .all(|a| a.from == 0 && a.seen[1].is_none()));
    let times: Vec<Time> = stall
        .arrows
        .iter()
        .filter_map(|a| a.seen[0].as_ref().and_then(|s| s.time))
        .collect();
    assert_eq!(times.len(), stall.arrows.len());
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    assert!(
        stall.text().contains("MM1  SA  (retransmission 3)"),
        "{}",
        stall.text()
    );

    // Healthy main mode: MM6 is named by neither end (both only say phase 1 completed).
    let h = sim_ladder(Scenario::Healthy, &reset(), Pick::Exchange(348));
    let mm6 = h.arrows.last().expect("MM6");
    assert!(mm6.implied && mm6.message == "MM6");
    assert!(h.arrows[..5].iter().all(|a| !a.implied));
    assert_eq!(h.arrows[2].payloads, ["KE", "NONCE"]);
    assert_eq!(h.ends[0].exchange_id, Some(348));
    assert_eq!(h.ends[1].exchange_id, Some(349));
    // Picked by the other end's number, the same ladder.
    let by_peer2 = sim_ladder(Scenario::Healthy, &reset(), Pick::Exchange(349));
    assert_eq!(arrows(&by_peer2), arrows(&h));
}

/// With one end only: the half that end sees, sent and received from its point of view.
#[test]
fn one_end_shows_its_half() {
    let [a, _] = run(Scenario::Phase2Mismatch, 40, &[]);
    let l = ladder(&a.end(), None, Pick::LatestFailed).expect("a ladder");
    assert!(l.one_end && !l.ends[1].debug);
    assert_eq!(arrows(&l), msgs(&[("QM1", 0), ("INFO", 1)]));
    assert!(l.arrows.iter().all(|a| a.seen[1].is_none()));
    let stop = l.stop.as_ref().expect("a stop");
    assert_eq!(
        (stop.end.as_str(), stop.reason.as_str()),
        ("Peer1", "NO-PROPOSAL-CHOSEN")
    );

    // The responder's half: QM1 came in from the peer, the refusal went out.
    let [_, b] = run(Scenario::Phase2Mismatch, 40, &[]);
    let l = ladder(&b.end(), None, Pick::LatestFailed).expect("a ladder");
    let text = l.text();
    assert_eq!(l.ends[1].name, "200.200.200.2", "{text}");
    assert_eq!(arrows(&l), msgs(&[("QM1", 1), ("INFO", 0)]), "{text}");
    let stop = l.stop.as_ref().expect("a stop");
    assert_eq!(
        (stop.end.as_str(), stop.reason.as_str()),
        ("Peer2", "NO-PROPOSAL-CHOSEN")
    );
    assert!(stop.line.contains("no PFS offered"), "{text}");
    assert!(
        text.contains("<--- QM1") && text.contains("---- INFO  N(NO-PROPOSAL-CHOSEN)"),
        "{text}"
    );
}

/// The real strongSwan corpus, one end: p2-proposal-mismatch seen from the initiator.
#[test]
fn real_strongswan_initiator_half() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/real-ike/corpus/p2-proposal-mismatch.a.log"
    );
    let bytes = std::fs::read(path).expect("the corpus log");
    let opts = Options {
        keep_events: true,
        exchanges: true,
    };
    let an = analyze_bytes(&bytes, Classifier::builtin(), opts);
    let end = LadderEnd {
        name: "a",
        events: an.state.debug.events.iter().map(|e| (None, e)).collect(),
        exchanges: &[],
    };
    let l = ladder(&end, None, Pick::LatestFailed).expect("a ladder");
    let what = l.text();
    assert_eq!(l.kind, Kind::Quick, "{what}");
    assert_eq!(arrows(&l), msgs(&[("QM1", 0), ("INFO", 1)]), "{what}");
    assert_eq!(
        l.arrows[0].payloads,
        ["HASH", "SA", "No", "ID", "ID"],
        "{what}"
    );
    assert_eq!(l.arrows[1].payloads, ["HASH", "N(NO_PROP)"], "{what}");
    // The times come from the log's own stamps.
    assert_eq!(
        l.arrows[0].seen[0].as_ref().and_then(|s| s.time),
        Some(Time::new(21, 18, 11, 0).expect("time"))
    );
    assert_eq!(l.outcome, Outcome::Stopped);
    let stop = l.stop.as_ref().expect("a stop");
    assert_eq!(stop.reason, "NO_PROPOSAL_CHOSEN", "{what}");
    assert!(
        stop.line
            .contains("received NO_PROPOSAL_CHOSEN error notify"),
        "{what}"
    );
    assert_eq!(l.ends[1].name, "200.200.200.2", "{what}");

    // Its main mode, by charon's IKE_SA number: six messages, alternating.
    let mm = &ladder(&end, None, Pick::Exchange(1)).expect("main mode");
    let want: Vec<(String, usize, u32)> = (1..=6)
        .map(|n| (format!("MM{n}"), usize::from(n % 2 == 0), 0))
        .collect();
    assert_eq!(arrows(mm), want, "{}", mm.text());
    assert_eq!(mm.outcome, Outcome::Completed, "{}", mm.text());
}

fn corpus(scenario: &str, end: &str) -> Vec<DebugEvent> {
    let path = format!(
        "{}/tests/real-ike/corpus/{scenario}.{end}.log",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(path).expect("the corpus log");
    let opts = Options {
        keep_events: true,
        exchanges: true,
    };
    analyze_bytes(&bytes, Classifier::builtin(), opts)
        .state
        .debug
        .events
}

/// The real corpus with both ends: psk-mismatch. b cannot decrypt main mode message 5 and
/// answers each copy with N(PLD_MAL), which a cannot decrypt either: the packets each end
/// could not read join the arrows the other end sent.
#[test]
fn real_strongswan_both_ends_psk_mismatch() {
    let (ea, eb) = (corpus("psk-mismatch", "a"), corpus("psk-mismatch", "b"));
    fn end<'a>(name: &'a str, ev: &'a [DebugEvent]) -> LadderEnd<'a> {
        LadderEnd {
            name,
            events: ev.iter().map(|e| (None, e)).collect(),
            exchanges: &[],
        }
    }
    let (a, b) = (end("a", &ea), end("b", &eb));
    let l = ladder(&a, Some(&b), Pick::LatestFailed).expect("a ladder");
    let what = l.text();
    let mut want = msgs(&[("MM1", 0), ("MM2", 1), ("MM3", 0), ("MM4", 1)]);
    for r in 0..4 {
        want.push(("MM5".into(), 0, r));
        want.push(("INFO".into(), 1, r));
    }
    assert_eq!(arrows(&l), want, "{what}");
    assert!(
        l.arrows.iter().all(|x| x.seen.iter().all(|s| s.is_some())),
        "every message seen at both ends:\n{what}"
    );
    let stop = l.stop.as_ref().expect("a stop");
    assert_eq!(stop.end, "b", "{what}");
    assert!(stop.line.contains("decryption failed?"), "{what}");
    assert_eq!(stop.after.as_deref(), Some("MM5"));
    assert!(what.contains("INFO  HASH N(PLD_MAL)  (again 3)"), "{what}");
}

/// Lines read as messages: direction, number and payloads as the line names them.
#[test]
fn lines_read_as_messages() {
    use read::{read, Clause, Fact};
    let msg = |f: &Fact| match f {
        Fact::Message(Clause {
            dir,
            number,
            payloads,
            ..
        }) => Some((*dir, *number, payloads.join(" "))),
        _ => None,
    };
    type Want = Vec<(Dir, Option<u8>, &'static str)>;
    let cases: [(&str, Want); 7] = [
        (
            "ISAKMP: Exchange 348: sending SA payload (MM1) to 200.200.200.1, state SASENT",
            vec![(Dir::Sent, Some(1), "SA")],
        ),
        (
            "ISAKMP: Exchange 349: received KE and nonce (MM3) from 200.200.200.2, sending MM4",
            vec![(Dir::Received, Some(3), "KE NONCE"), (Dir::Sent, Some(4), "")],
        ),
        (
            "ISAKMP: Exchange 7: sending SA, KE, nonce and ID payloads to 200.200.200.1, state SAKESENT",
            vec![(Dir::Sent, None, "SA KE NONCE ID")],
        ),
        (
            "ISAKMP: sending INFO exchange, notify NO-PROPOSAL-CHOSEN (14) to 200.200.200.2",
            vec![(Dir::Sent, None, "N(NO-PROPOSAL-CHOSEN)")],
        ),
        (
            "ISAKMP: Exchange 349: HASH_I from 200.200.200.2 does not match: AUTHENTICATION-FAILED",
            vec![(Dir::Received, None, "HASH_I")],
        ),
        (
            "Nov 29 21:18:11 16[ENC] generating QUICK_MODE request 1124183840 [ HASH SA No ID ID ]",
            vec![(Dir::Sent, None, "HASH SA No ID ID")],
        ),
        (
            "ISAKMP: no heartbeat received from 200.200.200.1 for 40 seconds: peer considered dead, deleting ISAKMP and IPsec SAs (no delete sent: senddeletes=false)",
            vec![],
        ),
    ];
    for (line, want) in cases {
        let got: Vec<(Dir, Option<u8>, String)> = read(line).iter().filter_map(msg).collect();
        let want: Vec<(Dir, Option<u8>, String)> = want
            .into_iter()
            .map(|(d, n, p)| (d, n, p.to_string()))
            .collect();
        assert_eq!(got, want, "{line}");
    }
}

/// The JSON of a ladder: arrows with both ends' times as `HH:MM:SS.mmm`, the stop.
#[test]
fn ladder_serialises() {
    let l = sim_ladder(Scenario::Phase2Mismatch, &[], Pick::LatestFailed);
    let v = serde_json::to_value(&l).expect("json");
    assert_eq!(v["kind"], "quick");
    assert_eq!(v["outcome"], "stopped");
    assert_eq!(v["arrows"][0]["message"], "QM1");
    assert_eq!(v["arrows"][1]["from"], 1);
    assert!(v["arrows"][1]["seen"][0]["time"]
        .as_str()
        .is_some_and(|t| t.len() == 12 && t.starts_with("10:00:")));
    assert_eq!(v["stop"]["reason"], "NO-PROPOSAL-CHOSEN");
    let h = sim_ladder(Scenario::Healthy, &reset(), Pick::Exchange(348));
    let v = serde_json::to_value(&h).expect("json");
    assert_eq!(v["outcome"], "completed");
    assert_eq!(v["completed"]["end"], "Peer1");
    assert!(v["stop"].is_null());
    assert_eq!(v["arrows"][6]["message"], "MM6");
    assert_eq!(v["arrows"][6]["implied"], true);
}
