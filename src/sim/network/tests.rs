//! Network tests: the two peers agree, and pings move the counters as packets would.

use super::*;

#[test]
fn healthy_peers_agree_and_pings_count() {
    let mut n = Network::new(Scenario::Healthy);
    let (a, b) = (
        n.peers[0].ipsec_sas[0].clone(),
        n.peers[1].ipsec_sas[0].clone(),
    );
    assert_eq!(a.out_spi, b.in_spi);
    assert_eq!(a.in_spi, b.out_spi);
    assert_eq!((a.id, b.id), (0, 3));
    let before = (
        n.peers[0].counters["outProcessDone"],
        n.peers[1].counters["inProcessDone"],
    );
    assert!(n.lan_ping(0, "192.168.2.100"));
    assert_eq!(n.peers[0].counters["outProcessDone"], before.0 + 1);
    assert_eq!(n.peers[1].counters["inProcessDone"], before.1 + 1);
    assert!(!n.lan_ping(0, "10.9.9.9"), "not across the tunnel");
}

#[test]
fn phase1_stall_retransmits_then_gives_up() {
    let mut n = Network::new(Scenario::Phase1Stall);
    n.peers[0].debug_listeners = 1;
    n.advance(Duration::from_secs(1));
    assert_eq!(n.peers[0].exchanges[0].state, "SASENT");
    assert!(!n.peers[0].ike_sas[0].established);
    n.advance(Duration::from_secs(60));
    assert!(n.peers[0].isakmp_counters["retryIkeAttemptsPh1"] >= 3);
    n.advance(Duration::from_secs(400));
    let text: Vec<&str> = n.peers[0]
        .debug
        .iter()
        .map(|(_, _, t)| t.as_str())
        .collect();
    assert!(text.iter().any(|t| t.contains("timed out")), "{text:?}");
    assert!(n.peers[1].ike_sas.is_empty());
}

#[test]
fn accumulation_piles_up_on_the_responder() {
    let mut n = Network::new(Scenario::SaAccumulation);
    n.advance(Duration::from_secs(300));
    assert!(
        n.peers[1].ike_sas.len() >= 3,
        "{}",
        n.peers[1].ike_sas.len()
    );
    assert!(n.peers[0].ike_sas.len() <= 1);
}

#[test]
fn debug_is_kept_only_while_listened_to_and_bounded() {
    let mut n = Network::new(Scenario::Phase1Stall);
    n.advance(Duration::from_secs(100));
    assert!(n.peers[0].debug.is_empty());
    n.peers[0].debug_listeners = 1;
    n.advance(Duration::from_secs(100_000));
    assert!(n.peers[0].debug.len() <= DEBUG_KEEP);
    assert!(n.peers[0].log.len() <= 500);
}
