//! Phase 1 state checks from `show isakmp sa` and `show isakmp exchange`: an SA stuck in
//! preparation, an exchange waiting for a peer that never answers, and SAs piling up on a peer.

use super::{advice, evidence, DoctorInput, Finding, Severity};
use crate::model::{Cmd, Config, Dialect, Exchange, IkePolicy, IkeSa};

/// ISAKMP's first retransmission intervals are 4 then 8 seconds (then 16 ... up to 56, 8 times),
/// so an exchange still waiting after 8 seconds has already been resent without an answer.
pub const STALL_AFTER_SECS: u64 = 8;

/// Main and aggressive mode states in which this side sent a message and waits for the peer.
const PHASE1_SENT_STATES: [&str; 5] = ["SASENT", "KESENT", "AUTHSENT", "SAKESENT", "SAKEAUTHSENT"];

pub(super) fn check(input: &DoctorInput, out: &mut Vec<Finding>) {
    let (snap, d) = (input.snapshot, input.dialect);
    out.extend(
        snap.ike_sas
            .iter()
            .filter(|sa| in_preparation(sa))
            .map(|sa| not_established(d, sa)),
    );
    out.extend(
        snap.exchanges
            .iter()
            .filter(|x| is_stalled(x, input.live))
            .map(|x| stalled(d, x)),
    );
    for (peer, sas) in by_peer(&snap.ike_sas) {
        if sas.len() > 1 {
            out.push(accumulation(d, peer, &sas, &snap.config));
        }
    }
}

/// The Note's "only in the preparation stage": no algorithms and every limit printed as 0.
/// A display that prints an unset byte limit as `-/-/-` beside `0/0/0` seconds shows the same
/// stage: no limit has a value other than 0, and some are 0.
fn in_preparation(sa: &IkeSa) -> bool {
    let all = [&sa.bytes, &sa.seconds].map(|l| [l.hard, l.soft, l.used]);
    let all = all.as_flattened();
    sa.encryption.is_none()
        && sa.hash.is_none()
        && all.iter().all(|v| v.is_none_or(|n| n == 0))
        && all.contains(&Some(0))
}

fn not_established(d: &dyn Dialect, sa: &IkeSa) -> Finding {
    Finding {
        code: "phase1-not-established",
        severity: Severity::Error,
        summary: format!(
            "ISAKMP SA {} to {} is not established (no encryption or hash algorithm, limits 0/0/0)",
            sa.sa_id, sa.peer
        ),
        advice: format!(
            "Phase 1 has started but not finished: the SA is only in preparation. Run {} to \
see the stage where negotiation stops, and {} to see which peer fails to answer and why. Check \
that this router's ISAKMP policy settings (mode, encalg, hashalg, group, key, natt) match those \
on {}. {}.",
            advice::cmd(d, &Cmd::ShowExchanges),
            advice::cmd(d, &Cmd::Debug(true)),
            sa.peer,
            advice::wan_check(d, &sa.peer)
        ),
        evidence: vec![evidence::ike_sa(d, sa)],
    }
}

fn is_stalled(x: &Exchange, live: bool) -> bool {
    let state = x.state.trim();
    let sent = PHASE1_SENT_STATES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(state));
    if x.phase.trim() != "1" || !sent {
        return false;
    }
    // A file is a moment already past: the capture shows where it stopped. Live, every
    // exchange passes through these states, so wait out the first retransmissions.
    !live || x.in_state_secs.is_some_and(|s| s > STALL_AFTER_SECS)
}

fn stalled(d: &dyn Dialect, x: &Exchange) -> Finding {
    let waited = x
        .in_state_secs
        .map(|s| format!(" for {s} s"))
        .unwrap_or_default();
    Finding {
        code: "phase1-stalled",
        severity: Severity::Error,
        summary: format!(
            "Phase 1 exchange {} with {} stalled in {} ({}){waited}: the peer does not answer",
            x.id,
            x.peer,
            x.state.trim(),
            x.kind.trim()
        ),
        advice: format!(
            "This router sent its message and {} has not answered (ISAKMP retransmits after 4, 8, \
16 ... up to 56 seconds, 8 times, then gives up). {}. Make sure the firewall on both ends lets \
UDP port 500 in on the public interface (and UDP 4500 when NAT-T is used), that the peer \
address in the ISAKMP policy is the peer's real public address, and that the ISAKMP policy \
settings (mode, encalg, hashalg, group, natt) match the peer's.",
            x.peer,
            advice::wan_check(d, &x.peer)
        ),
        evidence: vec![evidence::exchange(d, x)],
    }
}

fn same_peer(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// SAs grouped by peer, in order of each peer's first SA.
fn by_peer(sas: &[IkeSa]) -> Vec<(&str, Vec<&IkeSa>)> {
    let mut groups: Vec<(&str, Vec<&IkeSa>)> = Vec::new();
    for sa in sas {
        match groups.iter_mut().find(|(p, _)| same_peer(p, &sa.peer)) {
            Some((_, list)) => list.push(sa),
            None => groups.push((sa.peer.trim(), vec![sa])),
        }
    }
    groups
}

/// Past its soft limit, so the router is already negotiating its successor. A 0 soft limit
/// is the mark of an SA in preparation, not of one about to expire.
fn past_soft_limit(sa: &IkeSa) -> bool {
    matches!((sa.seconds.soft, sa.seconds.used), (Some(soft), Some(used)) if soft > 0 && used >= soft)
}

fn accumulation(d: &dyn Dialect, peer: &str, sas: &[&IkeSa], config: &Config) -> Finding {
    let n = sas.len();
    let rekey = n == 2 && sas.iter().any(|sa| past_soft_limit(sa));
    let severity = match (rekey, n) {
        (true, _) => Severity::Info,
        (false, 2) => Severity::Warning,
        _ => Severity::Error,
    };
    let ids: Vec<String> = sas.iter().map(|sa| sa.sa_id.to_string()).collect();
    let summary = if rekey {
        format!(
            "2 ISAKMP SAs to {peer} (SAs {}): one is past its soft limit, likely a rekey overlap",
            ids.join(", ")
        )
    } else {
        format!("{n} ISAKMP SAs to {peer} (SAs {})", ids.join(", "))
    };
    let mut advice = if rekey {
        "An SA past its soft expiry limit is replaced by a new one and the old one stays until \
its hard limit, so two SAs for a while are normal. If the count keeps growing, follow the How To \
Note's advice for multiple ISAKMP SAs: "
            .to_string()
    } else {
        "SAs pile up on a peer when old ones are never cleared: a power cut or restart stops the \
router sending Delete messages, aggressive mode sends no Initial Contact, or the two peers' \
heartbeat settings differ so one deletes SAs the other keeps. "
            .to_string()
    };
    let serving = advice::ike_policies_for(&config.ike_policies, &[peer]);
    let policy = advice::policy_name(&serving).unwrap_or(advice::POLICY);
    advice.push_str(&advice::prevent_multiple_sas(d, policy));
    advice.push('.');
    let hints = policy_hints(peer, config);
    if !hints.is_empty() {
        advice.push_str(" Here: ");
        advice.push_str(&hints.join("; "));
        advice.push('.');
    }
    Finding {
        code: "isakmp-sa-accumulation",
        severity,
        summary,
        advice,
        evidence: sas.iter().map(|sa| evidence::ike_sa(d, sa)).collect(),
    }
}

/// What in the ISAKMP policies that may serve this peer explains SAs piling up.
fn policy_hints(peer: &str, config: &Config) -> Vec<String> {
    let serves = |p: &&IkePolicy| {
        p.peer_is_wildcard() || p.peer.as_deref().is_some_and(|a| same_peer(a, peer))
    };
    let mut hints = Vec::new();
    for p in config.ike_policies.iter().filter(serves) {
        let mut why = Vec::new();
        if p.is_aggressive() {
            why.push("aggressive mode (no Initial Contact)");
        } else if p.sendnotify != Some(true) {
            why.push("sendnotify is not true (no Initial Contact)");
        }
        if p.senddeletes != Some(true) {
            why.push("senddeletes is not true");
        }
        if !p
            .heart
            .as_deref()
            .is_some_and(|h| h.trim().eq_ignore_ascii_case("both"))
        {
            why.push("heart is not both (check it matches the peer's)");
        }
        if !why.is_empty() {
            hints.push(format!("policy {}: {}", p.name, why.join(", ")));
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{aw, codes, examine_file, examine_live, healthy, zero};
    use super::*;
    use crate::model::Limits;

    fn preparing(id: u32, peer: &str) -> IkeSa {
        IkeSa {
            sa_id: id,
            peer: peer.into(),
            encryption: None,
            hash: None,
            bytes: zero(),
            seconds: zero(),
            established: false,
            line: 4,
        }
    }

    fn exchange(state: &str, phase: &str, secs: Option<u64>) -> Exchange {
        Exchange {
            id: 348,
            phase: phase.into(),
            state: state.into(),
            peer: "200.200.200.1".into(),
            kind: "MAIN".into(),
            in_state_secs: secs,
            line: 5,
        }
    }

    #[test]
    fn preparation_sa_is_an_error() {
        let mut snap = healthy();
        snap.ike_sas = vec![preparing(1, "200.200.200.1")];
        let found = examine_file(&snap);
        let f = found
            .iter()
            .find(|f| f.code == "phase1-not-established")
            .unwrap();
        assert_eq!(f.severity, Severity::Error);
        assert!(f.summary.contains("200.200.200.1"));
        assert_eq!(
            f.evidence,
            [format!(
                "{}, line 4: SA 1 to 200.200.200.1, EncA. -, HashA. -, limits 0/0/0",
                aw().command(&Cmd::ShowIkeSas)
            )]
        );
        assert!(f.advice.contains(&aw().command(&Cmd::Debug(true))));
    }

    #[test]
    fn unset_bytes_beside_zero_seconds_is_preparation() {
        let mut snap = healthy();
        let mut sa = preparing(1, "200.200.200.1");
        sa.bytes = Limits::default();
        snap.ike_sas = vec![sa.clone()];
        assert!(codes(&examine_file(&snap)).contains(&"phase1-not-established"));
        // Nothing printed at all is not the Note's mark.
        sa.seconds = Limits::default();
        snap.ike_sas = vec![sa];
        assert!(!codes(&examine_file(&snap)).contains(&"phase1-not-established"));
    }

    #[test]
    fn established_sa_is_not_in_preparation() {
        assert!(!codes(&examine_file(&healthy())).contains(&"phase1-not-established"));
        // Algorithms missing but limits set: not the Note's preparation stage.
        let mut snap = healthy();
        snap.ike_sas[0].encryption = None;
        snap.ike_sas[0].hash = None;
        assert!(!codes(&examine_file(&snap)).contains(&"phase1-not-established"));
    }

    #[test]
    fn stalled_exchange_fires_at_once_from_a_file() {
        let mut snap = healthy();
        snap.exchanges = vec![exchange("SASENT", "1", None)];
        let found = examine_file(&snap);
        let f = found.iter().find(|f| f.code == "phase1-stalled").unwrap();
        assert_eq!(f.severity, Severity::Error);
        assert!(f.summary.contains("348") && f.summary.contains("SASENT"));
        assert!(f
            .advice
            .contains(&aw().command(&Cmd::Ping("200.200.200.1"))));
        assert!(f
            .advice
            .contains(&aw().command(&Cmd::Trace("200.200.200.1"))));
        assert!(f.advice.contains("500"));
        assert_eq!(
            f.evidence,
            [format!(
                "{}, line 5: exchange 348, phase 1, SASENT, 200.200.200.1, MAIN",
                aw().command(&Cmd::ShowExchanges)
            )]
        );
    }

    #[test]
    fn stalled_exchange_waits_live() {
        for (secs, fires) in [
            (None, false),
            (Some(3), false),
            (Some(8), false),
            (Some(9), true),
        ] {
            let mut snap = healthy();
            snap.exchanges = vec![exchange("sakeauthsent", "1", secs)];
            let fired = codes(&examine_live(&snap)).contains(&"phase1-stalled");
            assert_eq!(fired, fires, "{secs:?}");
        }
    }

    #[test]
    fn other_states_and_phases_do_not_stall() {
        for (state, phase) in [
            ("UP", "1"),
            ("SARECV", "1"),
            ("SASENT", "2"),
            ("", ""),
            ("SASENT", "1.5"),
        ] {
            let mut snap = healthy();
            snap.exchanges = vec![exchange(state, phase, Some(60))];
            assert!(
                !codes(&examine_file(&snap)).contains(&"phase1-stalled"),
                "{state} {phase}"
            );
        }
    }

    fn established(id: u32, used: u64) -> IkeSa {
        IkeSa {
            sa_id: id,
            peer: "200.200.200.1".into(),
            encryption: Some("3DES".into()),
            hash: Some("SHA".into()),
            bytes: Limits::default(),
            seconds: Limits {
                hard: Some(86400),
                soft: Some(82080),
                used: Some(used),
            },
            established: true,
            line: id as usize + 2,
        }
    }

    fn accumulation_of(sas: Vec<IkeSa>) -> Option<Finding> {
        let mut snap = healthy();
        snap.ike_sas = sas;
        examine_file(&snap)
            .into_iter()
            .find(|f| f.code == "isakmp-sa-accumulation")
    }

    #[test]
    fn accumulation_severities() {
        assert!(accumulation_of(vec![established(1, 970)]).is_none());
        let two = accumulation_of(vec![established(1, 970), established(2, 10)]).unwrap();
        assert_eq!(two.severity, Severity::Warning);
        assert_eq!(two.evidence.len(), 2);
        let rekey = accumulation_of(vec![established(1, 82100), established(2, 10)]).unwrap();
        assert_eq!(rekey.severity, Severity::Info);
        let three = accumulation_of(vec![
            established(1, 82100),
            established(2, 10),
            established(3, 5),
        ])
        .unwrap();
        assert_eq!(three.severity, Severity::Error);
        assert!(three.summary.starts_with("3 ISAKMP SAs to 200.200.200.1"));
        assert!(three.advice.contains("senddeletes=true"));
    }

    #[test]
    fn accumulation_counts_per_peer_and_names_policy_causes() {
        let mut other = established(2, 10);
        other.peer = "10.0.0.1".into();
        assert!(accumulation_of(vec![established(1, 970), other]).is_none());

        let mut snap = healthy();
        snap.ike_sas = vec![established(1, 970), established(2, 10)];
        snap.config.ike_policies[0].mode = Some("aggressive".into());
        snap.config.ike_policies[0].senddeletes = Some(false);
        let found = examine_file(&snap);
        let f = found
            .iter()
            .find(|f| f.code == "isakmp-sa-accumulation")
            .unwrap();
        assert!(f.advice.contains("policy isakmp: aggressive mode"));
    }

    #[test]
    fn a_preparation_sa_beside_an_established_one_is_no_rekey() {
        let f = accumulation_of(vec![established(1, 970), preparing(2, "200.200.200.1")]).unwrap();
        assert_eq!(f.severity, Severity::Warning);
    }

    #[test]
    fn accumulation_advice_names_the_policy_that_serves_the_peer() {
        let mut snap = healthy();
        snap.ike_sas = vec![established(1, 970), established(2, 10)];
        snap.config.ike_policies[0].name = "wiz_Peer1 to Peer2".into();
        let f = examine_file(&snap)
            .into_iter()
            .find(|f| f.code == "isakmp-sa-accumulation")
            .unwrap();
        let senddeletes = aw().command(&Cmd::SetIkePolicy {
            policy: "wiz_Peer1 to Peer2",
            setting: "senddeletes=true",
        });
        assert_eq!(
            senddeletes,
            "set isakmp policy=\"wiz_Peer1 to Peer2\" senddeletes=true"
        );
        assert!(f.advice.contains(&senddeletes), "{}", f.advice);
        assert!(!f.advice.contains("policy=NAME"), "{}", f.advice);

        // No policy known for the peer: a placeholder the reader fills in.
        snap.config.ike_policies.clear();
        let f = examine_file(&snap)
            .into_iter()
            .find(|f| f.code == "isakmp-sa-accumulation")
            .unwrap();
        assert!(f.advice.contains(&aw().command(&Cmd::SetIkePolicy {
            policy: "NAME",
            setting: "senddeletes=true",
        })));
    }
}
