//! IPsec policy configuration checks: the catch-all permit policy must come last on its
//! interface, and a tunnel cannot join two LANs whose addresses overlap.

use super::{addr, advice, evidence, DoctorInput, Finding, Severity};
use crate::model::{Cmd, Dialect, IpsecPolicy};

pub(super) fn check(input: &DoctorInput, out: &mut Vec<Finding>) {
    let (policies, d) = (&input.snapshot.config.ipsec_policies, input.dialect);
    permit_not_last(d, policies, out);
    out.extend(policies.iter().filter_map(|p| same_subnet(d, p)));
}

/// Policies by interface, each list in evaluation order; policies without one are left out,
/// as their place in any list is unknown.
fn by_interface(policies: &[IpsecPolicy]) -> Vec<(&str, Vec<&IpsecPolicy>)> {
    let mut groups: Vec<(&str, Vec<&IpsecPolicy>)> = Vec::new();
    for p in policies {
        let Some(iface) = p
            .interface
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
        else {
            continue;
        };
        match groups
            .iter_mut()
            .find(|(i, _)| i.eq_ignore_ascii_case(iface))
        {
            Some((_, list)) => list.push(p),
            None => groups.push((iface, vec![p])),
        }
    }
    groups
}

fn permit_not_last(d: &dyn Dialect, policies: &[IpsecPolicy], out: &mut Vec<Finding>) {
    for (iface, list) in by_interface(policies) {
        let last = list.len();
        for (i, p) in list.iter().enumerate() {
            if !p.is_permit() || i + 1 == last {
                continue;
            }
            let after: Vec<&IpsecPolicy> = list[i + 1..].to_vec();
            let names: Vec<String> = after.iter().map(|a| format!("\"{}\"", a.name)).collect();
            let position = format!("position={last}");
            let create = format!("interface={iface} action=permit");
            let mut ev = vec![evidence::ipsec_policy(p)];
            ev.extend(after.iter().map(|a| evidence::ipsec_policy(a)));
            out.push(Finding {
                code: "permit-policy-not-last",
                severity: Severity::Warning,
                summary: format!(
                    "IPsec permit policy \"{}\" on {iface} is followed by {}",
                    p.name,
                    names.join(", ")
                ),
                advice: format!(
                    "Policies on an interface are checked in order and the first match wins. \
The policy that lets LAN users reach the Internet outside the tunnel must allow all traffic and \
come last in the list of IPsec policies, or it takes traffic meant for the policies after it. \
Move it to the end with {}, or destroy it and create it again last (e.g. {}).",
                    advice::cmd(
                        d,
                        &Cmd::SetIpsecPolicy {
                            policy: &p.name,
                            setting: &position
                        }
                    ),
                    advice::cmd(
                        d,
                        &Cmd::CreateIpsecPolicy {
                            policy: &p.name,
                            settings: &create
                        }
                    ),
                ),
                evidence: ev,
            });
        }
    }
}

fn same_subnet(d: &dyn Dialect, p: &IpsecPolicy) -> Option<Finding> {
    let local = addr::selector(p.laddress.as_deref(), p.lmask.as_deref())?;
    let remote = addr::selector(p.raddress.as_deref(), p.rmask.as_deref())?;
    if !local.overlaps(&remote) {
        return None;
    }
    Some(Finding {
        code: "same-subnet",
        severity: Severity::Error,
        summary: format!(
            "IPsec policy \"{}\": local addresses {local} overlap remote addresses {remote}",
            p.name
        ),
        advice: format!(
            "A VPN can only join LANs with different subnet addresses: traffic for an address on \
both sides is never sent into the tunnel. Check the policy's laddress/lmask and raddress/rmask \
with {} (the local address here must be the remote one on the peer, not swapped). If a roaming \
client connects from a network that happens to use the same subnet as this LAN (common with \
192.168.1.0), renumber one side; an unusual addressing scheme for the local LAN makes this \
unlikely.",
            advice::cmd(d, &Cmd::ShowIpsecConfig)
        ),
        evidence: vec![evidence::ipsec_policy(p)],
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{aw, codes, examine_file, healthy};
    use super::*;

    fn policy(name: &str, iface: &str, action: &str) -> IpsecPolicy {
        IpsecPolicy {
            name: name.into(),
            interface: Some(iface.into()),
            action: Some(action.into()),
            line: 30,
            ..Default::default()
        }
    }

    #[test]
    fn permit_before_another_policy_fires() {
        let mut snap = healthy();
        let vpn2 = policy("vpn2", "eth0", "ipsec");
        snap.config.ipsec_policies.push(vpn2);
        let found = examine_file(&snap);
        let f = found
            .iter()
            .find(|f| f.code == "permit-policy-not-last")
            .unwrap();
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(
            f.summary,
            "IPsec permit policy \"internet\" on eth0 is followed by \"vpn2\""
        );
        let to_the_end = aw().command(&Cmd::SetIpsecPolicy {
            policy: "internet",
            setting: "position=3",
        });
        assert!(f.advice.contains(&to_the_end), "{}", f.advice);
        assert_eq!(f.evidence.len(), 2);
    }

    #[test]
    fn other_interfaces_do_not_count() {
        let mut snap = healthy();
        snap.config
            .ipsec_policies
            .push(policy("other", "ppp0", "ipsec"));
        snap.config
            .ipsec_policies
            .push(policy("nowhere", "", "ipsec"));
        assert!(!codes(&examine_file(&snap)).contains(&"permit-policy-not-last"));
        // Interface names compare without case.
        snap.config
            .ipsec_policies
            .push(policy("late", "ETH0", "ipsec"));
        assert!(codes(&examine_file(&snap)).contains(&"permit-policy-not-last"));
    }

    fn selectors(la: &str, lm: Option<&str>, ra: &str, rm: Option<&str>) -> bool {
        let mut snap = healthy();
        let p = &mut snap.config.ipsec_policies[0];
        p.laddress = Some(la.into());
        p.lmask = lm.map(Into::into);
        p.raddress = Some(ra.into());
        p.rmask = rm.map(Into::into);
        codes(&examine_file(&snap)).contains(&"same-subnet")
    }

    #[test]
    fn overlapping_lans_fire() {
        let m = Some("255.255.255.0");
        assert!(selectors("192.168.1.0", m, "192.168.1.0", m));
        assert!(selectors(
            "192.168.1.0",
            m,
            "192.168.1.20-192.168.1.30",
            None
        ));
        assert!(selectors("192.168.0.0/16", None, "192.168.2.0", m));
        let mut snap = healthy();
        snap.config.ipsec_policies[0].raddress = Some("192.168.1.0".into());
        let found = examine_file(&snap);
        let f = found.iter().find(|f| f.code == "same-subnet").unwrap();
        assert_eq!(f.severity, Severity::Error);
        assert!(f.summary.contains("wiz_Peer1 to Peer2"));
        assert!(f.summary.contains("192.168.1.0-192.168.1.255"));
    }

    #[test]
    fn distinct_any_or_junk_is_silent() {
        let m = Some("255.255.255.0");
        assert!(!selectors("192.168.1.0", m, "192.168.2.0", m));
        assert!(!selectors("192.168.1.0", m, "any", None));
        assert!(!selectors("ANY", None, "192.168.1.0", m));
        assert!(!selectors(
            "192.168.1.0",
            Some("255.0.255.0"),
            "192.168.1.0",
            m
        ));
        assert!(!selectors("", None, "", None));
        assert!(!selectors("192.168.1.0-", None, "192.168.1.0", None));
        let mut snap = healthy();
        snap.config.ipsec_policies[0].raddress = None;
        assert!(!codes(&examine_file(&snap)).contains(&"same-subnet"));
    }
}
