//! Phase 2 check: an ISAKMP SA is up but no IPsec SA serves its peer. IPsec SAs name only
//! their policy, so the configuration maps policies to peers when it is known.

use super::{advice, evidence, DoctorInput, Finding, Severity};
use crate::model::{Cmd, Config, Dialect, IkeSa, IpsecPolicy, IpsecSa, Snapshot};

/// Policies that list more than this are summarised by count.
const MAX_NAMES: usize = 3;

pub(super) fn check(input: &DoctorInput, out: &mut Vec<Finding>) {
    let snap = input.snapshot;
    // Without `show ipsec sa` there is nothing to conclude from.
    if !snap.seen.ipsec_sas {
        return;
    }
    let mut done: Vec<&str> = Vec::new();
    for sa in snap.ike_sas.iter().filter(|sa| sa.established) {
        let peer = sa.peer.trim();
        if done.iter().any(|p| p.eq_ignore_ascii_case(peer)) {
            continue;
        }
        done.push(peer);
        if let Some(f) = missing_for(input.dialect, peer, snap) {
            out.push(f);
        }
    }
}

fn is_wildcard(peer: &str) -> bool {
    let p = peer.trim().to_ascii_lowercase();
    p.starts_with("an") || p.starts_with("dy")
}

/// Whether a policy's peer (its own `peer=`, else its ISAKMP policy's) can be `peer`.
fn serves(policy: &IpsecPolicy, peer: &str, config: &Config) -> bool {
    let declared = policy.peer.as_deref().or_else(|| {
        policy
            .isakmp_policy
            .as_deref()
            .and_then(|name| config.ike_policy(name))
            .and_then(|ike| ike.peer.as_deref())
    });
    declared.is_some_and(|p| is_wildcard(p) || p.trim().eq_ignore_ascii_case(peer))
}

/// Shortest table cell taken for a policy name cut to its column's width.
const MIN_CUT_NAME: usize = 8;

/// A policy's name and the name an SA row shows for it: the same, or the row's cell is the
/// start of the name (a display may cut a long name to its column's width).
fn same_policy(configured: &str, shown: &str) -> bool {
    let (c, s) = (configured.trim(), shown.trim());
    c.eq_ignore_ascii_case(s)
        || (s.len() >= MIN_CUT_NAME
            && c.len() > s.len()
            && c.is_char_boundary(s.len())
            && c[..s.len()].eq_ignore_ascii_case(s))
}

/// Permit and deny policies never negotiate SAs.
fn negotiates(policy: &IpsecPolicy) -> bool {
    policy.is_ipsec() || policy.action.is_none()
}

fn missing_for(d: &dyn Dialect, peer: &str, snap: &Snapshot) -> Option<Finding> {
    let config = &snap.config;
    let mapped: Vec<&IpsecPolicy> = config
        .ipsec_policies
        .iter()
        .filter(|p| negotiates(p) && serves(p, peer, config))
        .collect();
    let belongs = |sa: &&IpsecSa| {
        mapped.is_empty() || mapped.iter().any(|p| same_policy(&p.name, &sa.policy))
    };
    if snap.ipsec_sas.iter().filter(belongs).any(IpsecSa::is_valid) {
        return None;
    }

    let summary = if mapped.is_empty() {
        format!("ISAKMP SA to {peer} is up but there is no valid IPsec SA")
    } else {
        let names: Vec<String> = mapped.iter().map(|p| format!("\"{}\"", p.name)).collect();
        let shown = if names.len() > MAX_NAMES {
            format!("{} IPsec policies", names.len())
        } else {
            format!("IPsec policy {}", names.join(", "))
        };
        format!("ISAKMP SA to {peer} is up but {shown} has no valid IPsec SA")
    };

    let mut ev: Vec<String> = snap
        .ike_sas
        .iter()
        .filter(|sa| sa.established && sa.peer.trim().eq_ignore_ascii_case(peer))
        .map(|sa| evidence::ike_sa(d, sa))
        .collect();
    ev.extend(mapped.iter().map(|p| evidence::ipsec_policy(p)));
    let related: Vec<&IpsecSa> = snap.ipsec_sas.iter().filter(belongs).collect();
    if related.is_empty() {
        ev.push(evidence::none_in(
            d,
            &Cmd::ShowIpsecSas,
            "no IPsec SA for this peer",
        ));
    } else {
        ev.extend(related.iter().map(|sa| evidence::ipsec_sa(d, sa)));
    }

    Some(Finding {
        code: "phase2-missing",
        severity: Severity::Error,
        summary,
        advice: advice_for(d, peer, first_established(snap, peer)),
        evidence: ev,
    })
}

fn first_established<'a>(snap: &'a Snapshot, peer: &str) -> Option<&'a IkeSa> {
    snap.ike_sas
        .iter()
        .find(|sa| sa.established && sa.peer.trim().eq_ignore_ascii_case(peer))
}

fn advice_for(d: &dyn Dialect, peer: &str, sa: Option<&IkeSa>) -> String {
    let detail = sa
        .map(|sa| {
            format!(
                " ({} shows the phase 1 details)",
                advice::cmd(d, &Cmd::ShowIkeSa(sa.sa_id))
            )
        })
        .unwrap_or_default();
    format!(
        "Phase 1 with {peer} succeeded{detail}, so either phase 2 failed or its SA was removed \
soon after it was made. If phase 2 failed, check with {} that the IPsec policy settings mirror \
the peer's: the local address and mask here must be the remote ones there (not swapped), the \
remote ones must be its local ones, and the proposals (bundle specification, encryption, hash, \
PFS) must match; {} shows where quick mode stops. If the SA appears and then disappears, the \
heartbeat or dead-peer-detection settings differ between the peers: use the same `heart=` \
setting on both ISAKMP policies.",
        advice::cmd(d, &Cmd::ShowIpsecConfig),
        advice::cmd(d, &Cmd::Debug(true)),
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{aw, codes, examine_file, healthy};
    use super::*;

    fn found(snap: &Snapshot) -> Option<Finding> {
        examine_file(snap)
            .into_iter()
            .find(|f| f.code == "phase2-missing")
    }

    #[test]
    fn healthy_tunnel_has_phase2() {
        assert!(found(&healthy()).is_none());
    }

    #[test]
    fn no_ipsec_sa_at_all() {
        let mut snap = healthy();
        snap.ipsec_sas.clear();
        let f = found(&snap).unwrap();
        assert_eq!(f.severity, Severity::Error);
        assert!(f.summary.contains("200.200.200.1"));
        assert!(f.summary.contains("\"wiz_Peer1 to Peer2\""));
        assert!(f
            .evidence
            .iter()
            .any(|e| e.starts_with(&format!("{}, line 3", aw().command(&Cmd::ShowIkeSas)))));
        assert!(f.evidence.iter().any(|e| *e
            == format!(
                "{}: no IPsec SA for this peer",
                aw().command(&Cmd::ShowIpsecSas)
            )));
        assert!(f.advice.contains(&aw().command(&Cmd::ShowIkeSa(1))));
    }

    #[test]
    fn unseen_display_concludes_nothing() {
        let mut snap = healthy();
        snap.ipsec_sas.clear();
        snap.seen.ipsec_sas = false;
        assert!(found(&snap).is_none());
    }

    #[test]
    fn sa_not_valid_counts_as_missing() {
        let mut snap = healthy();
        snap.ipsec_sas[0].state = "CREATING".into();
        let f = found(&snap).unwrap();
        assert!(f.evidence.iter().any(|e| e.contains("CREATING")));
        snap.ipsec_sas[0].state = "VALID".into();
        assert!(found(&snap).is_none());
    }

    #[test]
    fn valid_sa_of_another_peer_does_not_hide_it() {
        let mut snap = healthy();
        let mut other = snap.config.ipsec_policies[0].clone();
        other.name = "to_branch".into();
        other.peer = Some("10.9.9.9".into());
        snap.config.ipsec_policies.insert(1, other);
        snap.ipsec_sas[0].policy = "to_branch".into();
        assert!(found(&snap).is_some());
    }

    #[test]
    fn peer_through_isakmp_policy_and_wildcards() {
        let mut snap = healthy();
        snap.config.ipsec_policies[0].peer = None;
        assert!(found(&snap).is_none());
        snap.ipsec_sas[0].state = "REMOVING".into();
        assert!(found(&snap).is_some());

        // A wildcard policy counts for any peer.
        let mut snap = healthy();
        snap.config.ipsec_policies[0].peer = Some("dynamic".into());
        snap.ike_sas[0].peer = "1.2.3.4".into();
        assert!(found(&snap).is_none());
    }

    #[test]
    fn a_name_cut_to_its_column_still_matches() {
        let mut snap = healthy();
        snap.ipsec_sas[0].policy = "wiz_Peer1 to".into();
        assert!(found(&snap).is_none());
        // Too short to tell policies apart: not taken for the policy.
        snap.ipsec_sas[0].policy = "wiz".into();
        assert!(found(&snap).is_some());
    }

    #[test]
    fn without_config_any_valid_sa_will_do() {
        let mut snap = healthy();
        snap.config = Default::default();
        assert!(found(&snap).is_none());
        snap.ipsec_sas[0].policy = "something else".into();
        assert!(found(&snap).is_none());
        snap.ipsec_sas[0].state = "UNDEF".into();
        let f = found(&snap).unwrap();
        assert!(f.summary.ends_with("there is no valid IPsec SA"));
    }

    #[test]
    fn unestablished_sa_is_left_to_phase1() {
        let mut snap = healthy();
        snap.ipsec_sas.clear();
        snap.ike_sas[0].established = false;
        assert!(!codes(&examine_file(&snap)).contains(&"phase2-missing"));
    }

    #[test]
    fn one_finding_per_peer() {
        let mut snap = healthy();
        snap.ipsec_sas.clear();
        let mut second = snap.ike_sas[0].clone();
        second.sa_id = 2;
        snap.ike_sas.push(second);
        let n = codes(&examine_file(&snap))
            .iter()
            .filter(|c| **c == "phase2-missing")
            .count();
        assert_eq!(n, 1);
    }
}
