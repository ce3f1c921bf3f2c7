//! ISAKMP policy configuration checks: policies the router cannot tell apart when several
//! accept any peer, and the Delete / Initial Contact settings that keep stale SAs from piling up.

use super::advice::set_ike;
use super::{evidence, DoctorInput, Finding, Severity};
use crate::model::{Dialect, IkePolicy};

/// Values the router uses when a policy does not set them. `sha` is confirmed by the How To
/// Note (its policies set no hashalg and it says they use sha); `des` and group 1 are likely
/// (the reference's usual defaults, not confirmed). A wrong guess matters only when one policy
/// sets the value and another leaves it to the default.
const DEFAULT_ENCALG: &str = "des";
const DEFAULT_HASHALG: &str = "sha";
const DEFAULT_GROUP: &str = "1";

pub(super) fn check(input: &DoctorInput, out: &mut Vec<Finding>) {
    let (policies, d) = (&input.snapshot.config.ike_policies, input.dialect);
    ambiguous(d, policies, out);
    for p in policies {
        if p.is_aggressive() && p.senddeletes != Some(true) {
            out.push(aggressive_without_deletes(d, p));
        }
        if p.is_main() && p.sendnotify != Some(true) {
            out.push(main_without_notify(d, p));
        }
    }
}

fn value(v: Option<&str>, default: &str) -> String {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(default)
        .to_ascii_lowercase()
}

/// What an incoming phase 1 proposal lets the router select on, after the peer address:
/// the mode, the remote ID (aggressive mode only), and the proposal values.
fn selection_key(p: &IkePolicy) -> (bool, String, String, String, Option<String>) {
    (
        p.is_aggressive(),
        value(p.encalg.as_deref(), DEFAULT_ENCALG),
        value(p.hashalg.as_deref(), DEFAULT_HASHALG),
        value(p.group.as_deref(), DEFAULT_GROUP),
        p.is_aggressive().then(|| value(p.remoteid.as_deref(), "")),
    )
}

fn ambiguous(d: &dyn Dialect, policies: &[IkePolicy], out: &mut Vec<Finding>) {
    let mut groups: Vec<(_, Vec<&IkePolicy>)> = Vec::new();
    for p in policies.iter().filter(|p| p.peer_is_wildcard()) {
        let key = selection_key(p);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(p),
            None => groups.push((key, vec![p])),
        }
    }
    for (_, mut list) in groups.into_iter().filter(|(_, l)| l.len() > 1) {
        // The router takes the first matching policy by name order.
        list.sort_by_key(|p| (p.name.to_ascii_lowercase(), p.name.clone()));
        out.push(ambiguous_finding(d, &list));
    }
}

fn ambiguous_finding(d: &dyn Dialect, list: &[&IkePolicy]) -> Finding {
    let names: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
    let (winner, other) = (names[0], names.get(1).copied().unwrap_or(names[0]));
    let aggressive = list[0].is_aggressive();
    let mode = if aggressive { "aggressive" } else { "main" };
    let same = if aggressive {
        "same remote ID and proposal (encalg, hashalg, group)"
    } else {
        "same proposal (encalg, hashalg, group)"
    };
    // The Note's two fixes; by mode means one aggressive policy (selected on its remote ID)
    // beside a main mode one, so the commands depend on which mode the group is in now.
    let by_mode = if aggressive {
        format!(
            "give each policy a unique `remoteid=` (aggressive mode can select on it), or make \
one main mode: {}",
            set_ike(d, other, "mode=main")
        )
    } else {
        format!(
            "{} with a unique remoteid, keeping {}",
            set_ike(d, winner, "mode=aggressive"),
            set_ike(d, other, "mode=main")
        )
    };
    let advice = format!(
        "When a phase 1 proposal comes in, the router picks a policy by peer address, then (in \
aggressive mode only) by remote ID, then by the proposal values. These policies accept any peer \
and have the {same}, so nothing in the proposal tells them apart; the key, heartbeat and (in main \
mode) the IDs are not sent in phase 1 and cannot be used. The router selects the first matching \
policy by policy name order, so {winner} always wins and peers meant for the others get its key \
and heartbeat settings. Give the policies a point of difference: a unique encryption algorithm, \
e.g. {} and {} (3des2key is one Windows clients never propose; change the peers to match), or \
differentiate by mode: {by_mode}.",
        set_ike(d, winner, "encalg=3des2key"),
        set_ike(d, other, "encalg=3desouter"),
    );
    Finding {
        code: "policy-selection-ambiguous",
        severity: Severity::Warning,
        summary: format!(
            "ISAKMP policies {} accept any peer in {mode} mode with the {same}: {winner} always wins",
            names.join(", ")
        ),
        advice,
        evidence: list.iter().map(|p| evidence::ike_policy(p)).collect(),
    }
}

fn aggressive_without_deletes(d: &dyn Dialect, p: &IkePolicy) -> Finding {
    Finding {
        code: "aggressive-without-deletes",
        severity: Severity::Warning,
        summary: format!(
            "ISAKMP policy {} uses aggressive mode without senddeletes=true",
            p.name
        ),
        advice: format!(
            "Aggressive mode sends no Initial Contact message, so after SAs are dropped here the \
peer keeps its old ISAKMP SAs unless it gets a Delete message, and they pile up until they \
expire (24 hours by default). Set {}, or use main mode with `sendnotify=true` if the peer \
allows it. With frequent power cycles (no Delete can be sent), also shorten the SA lifetime: {}.",
            set_ike(d, &p.name, "senddeletes=true"),
            set_ike(d, &p.name, "expiryseconds=SECONDS"),
        ),
        evidence: vec![evidence::ike_policy(p)],
    }
}

fn main_without_notify(d: &dyn Dialect, p: &IkePolicy) -> Finding {
    let implicit = if p.mode.is_none() {
        " (main mode by default)"
    } else {
        ""
    };
    Finding {
        code: "main-mode-without-notify",
        severity: Severity::Warning,
        summary: format!(
            "ISAKMP policy {}{implicit} does not set sendnotify=true: no Initial Contact is sent",
            p.name
        ),
        advice: format!(
            "Main mode clears the peer's old SAs with an Initial Contact message, but only when \
sendnotify is enabled; without it, SAs left over after a restart stay on the peer and can pile up \
or fall out of step. Set {} (and `senddeletes=true` so Delete messages are sent as well); \
sendnotify is also needed for `respondbadspi=true` to recover SAs that are out of step.",
            set_ike(d, &p.name, "sendnotify=true"),
        ),
        evidence: vec![evidence::ike_policy(p)],
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{aw, codes, examine_file, healthy};
    use super::*;
    use crate::model::Snapshot;

    fn policy(name: &str, mode: Option<&str>, encalg: Option<&str>) -> IkePolicy {
        IkePolicy {
            name: name.into(),
            peer: Some("any".into()),
            mode: mode.map(Into::into),
            encalg: encalg.map(Into::into),
            sendnotify: Some(true),
            senddeletes: Some(true),
            line: 20,
            ..Default::default()
        }
    }

    fn with(policies: Vec<IkePolicy>) -> Snapshot {
        let mut snap = healthy();
        snap.config.ike_policies = policies;
        snap
    }

    fn ambiguous_of(snap: &Snapshot) -> Vec<Finding> {
        examine_file(snap)
            .into_iter()
            .filter(|f| f.code == "policy-selection-ambiguous")
            .collect()
    }

    #[test]
    fn the_notes_example_is_ambiguous_and_names_the_winner() {
        // Created in the "wrong" order on purpose: name order decides, not creation order.
        let mut b = policy("isakmp2", Some("main"), Some("3desouter"));
        b.hashalg = Some("SHA".into());
        b.remoteid = Some("WindowsVPN".into());
        let mut a = policy("isakmp", Some("main"), Some("3DESOUTER"));
        a.remoteid = Some("ARRouter".into());
        let found = ambiguous_of(&with(vec![b, a]));
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.summary.contains("isakmp, isakmp2"), "{}", f.summary);
        assert!(f.summary.ends_with("isakmp always wins"));
        assert!(f
            .advice
            .contains(&set_ike(aw(), "isakmp", "encalg=3des2key")));
        assert!(f.advice.contains("mode=aggressive"));
        assert_eq!(f.evidence.len(), 2);
    }

    #[test]
    fn defaults_count_as_their_values() {
        let a = policy("a", None, None);
        let mut b = policy("b", Some("main"), Some("des"));
        b.group = Some("1".into());
        assert_eq!(ambiguous_of(&with(vec![a, b])).len(), 1);
    }

    #[test]
    fn a_point_of_difference_resolves_it() {
        let unique_enc = vec![
            policy("a", None, Some("3des2key")),
            policy("b", None, Some("3desouter")),
        ];
        assert!(ambiguous_of(&with(unique_enc)).is_empty());
        let by_mode = vec![
            policy("a", Some("aggressive"), Some("3desouter")),
            policy("b", Some("main"), Some("3desouter")),
        ];
        assert!(ambiguous_of(&with(by_mode)).is_empty());
        let mut fixed = policy("b", None, None);
        fixed.peer = Some("200.200.200.1".into());
        assert!(ambiguous_of(&with(vec![policy("a", None, None), fixed])).is_empty());
    }

    #[test]
    fn aggressive_mode_selects_on_remote_id() {
        let mut a = policy("a", Some("aggr"), None);
        let mut b = policy("b", Some("aggressive"), None);
        a.remoteid = Some("ARRouter1".into());
        b.remoteid = Some("ARRouter2".into());
        assert!(ambiguous_of(&with(vec![a.clone(), b.clone()])).is_empty());
        b.remoteid = Some("arrouter1".into());
        assert_eq!(ambiguous_of(&with(vec![a, b])).len(), 1);
        // Main mode cannot: remote IDs alone do not separate them.
        let mut c = policy("c", None, None);
        let mut d = policy("d", None, None);
        c.remoteid = Some("x".into());
        d.remoteid = Some("y".into());
        assert_eq!(ambiguous_of(&with(vec![c, d])).len(), 1);
    }

    #[test]
    fn aggressive_without_deletes_fires() {
        let mut p = policy("roam", Some("aggressive"), None);
        p.senddeletes = None;
        let found = examine_file(&with(vec![p]));
        let f = found
            .iter()
            .find(|f| f.code == "aggressive-without-deletes")
            .unwrap();
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.summary.contains("roam"));
        assert!(f
            .advice
            .contains(&set_ike(aw(), "roam", "senddeletes=true")));
        assert_eq!(f.evidence, ["configuration, line 20: isakmp policy roam"]);
        // Main mode is not asked for senddeletes by this check.
        let mut m = policy("m", None, None);
        m.senddeletes = Some(false);
        assert!(!codes(&examine_file(&with(vec![m]))).contains(&"aggressive-without-deletes"));
    }

    #[test]
    fn main_mode_without_notify_fires_for_default_mode() {
        let mut p = policy("site", None, None);
        p.sendnotify = Some(false);
        let found = examine_file(&with(vec![p]));
        let f = found
            .iter()
            .find(|f| f.code == "main-mode-without-notify")
            .unwrap();
        assert!(f.summary.contains("site (main mode by default)"));
        assert!(f.advice.contains(&set_ike(aw(), "site", "sendnotify=true")));
        let mut a = policy("agg", Some("aggressive"), None);
        a.sendnotify = None;
        assert!(!codes(&examine_file(&with(vec![a]))).contains(&"main-mode-without-notify"));
    }

    /// Issue 11: `set isakmp policy=wiz_Peer1 to Peer2 senddeletes=true` cannot be pasted; the
    /// name with spaces must come out quoted, in the finding's own advice.
    #[test]
    fn a_policy_name_with_spaces_is_quoted_in_the_advice() {
        let mut p = policy("wiz_Peer1 to Peer2", Some("aggressive"), None);
        p.senddeletes = None;
        let found = examine_file(&with(vec![p]));
        let f = found
            .iter()
            .find(|f| f.code == "aggressive-without-deletes")
            .unwrap();
        assert!(
            f.advice
                .contains("`set isakmp policy=\"wiz_Peer1 to Peer2\" senddeletes=true`"),
            "{}",
            f.advice
        );
        assert!(f.advice.contains(&set_ike(
            aw(),
            "wiz_Peer1 to Peer2",
            "expiryseconds=SECONDS"
        )));
        assert!(!f.advice.contains("policy=wiz_Peer1 to"), "{}", f.advice);

        let mut m = policy("site a", None, None);
        m.sendnotify = None;
        let found = examine_file(&with(vec![m]));
        let f = found
            .iter()
            .find(|f| f.code == "main-mode-without-notify")
            .unwrap();
        assert!(f
            .advice
            .contains("`set isakmp policy=\"site a\" sendnotify=true`"));
    }
}
