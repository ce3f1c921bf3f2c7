//! Router-wide settings that stop ISAKMP before any policy is looked at: a `set ip local`
//! address, and a firewall that does not let IKE (UDP 500, and 4500 for NAT-T) in.

use super::{advice, evidence, DoctorInput, Finding, Severity};
use crate::model::{Cmd, Config, Dialect, FirewallPolicy, Interface};

// Which rule lets IKE in is the tunnel room's judgement too: one copy, there.
use crate::tunnel::firewall::{admits, IKE_PORT, NATT_PORT};

pub(super) fn check(input: &DoctorInput, out: &mut Vec<Finding>) {
    let d = input.dialect;
    out.extend(local_address(
        d,
        &input.snapshot.interfaces,
        &input.snapshot.config,
    ));
    out.extend(firewall(d, &input.snapshot.config));
}

/// An address that is really set: not empty, not `Not set`, not the 0.0.0.0 of the reset.
fn is_set(addr: &str) -> bool {
    let a = addr.trim();
    !(a.is_empty() || a == "0.0.0.0" || a.eq_ignore_ascii_case("not set"))
}

fn local_address(d: &dyn Dialect, interfaces: &[Interface], config: &Config) -> Option<Finding> {
    let iface = interfaces.iter().find(|i| {
        i.name.trim().eq_ignore_ascii_case("local") && i.address.as_deref().is_some_and(is_set)
    });
    let configured = config.ip_local.as_deref().filter(|a| is_set(a));
    let shown = iface
        .and_then(|i| i.address.as_deref())
        .or(configured)?
        .trim();
    let mut ev = Vec::new();
    if let Some(i) = iface {
        ev.push(evidence::interface(d, i));
    }
    if let Some(a) = configured {
        ev.push(format!(
            "{}: {}",
            evidence::CONFIG,
            d.command(&Cmd::SetLocalAddress(a.trim()))
        ));
    }
    Some(Finding {
        code: "local-address-set",
        severity: Severity::Error,
        summary: format!(
            "The router's local IP address is set to {shown}; the LOCAL interface should say \"Not set\""
        ),
        advice: format!(
            "A local address changed from its default of \"Not set\" (with {}) can invalidate \
ISAKMP negotiation. Check the LOCAL interface with {} and put it back to the default with {}.",
            advice::cmd(d, &Cmd::SetLocalAddress(shown)),
            advice::cmd(d, &Cmd::ShowInterfaces),
            advice::cmd(d, &Cmd::ClearLocalAddress)
        ),
        evidence: ev,
    })
}

fn public_interfaces(policy: &FirewallPolicy) -> Vec<&str> {
    policy
        .interfaces
        .iter()
        .filter(|i| i.kind.trim().to_ascii_lowercase().starts_with("pu"))
        .map(|i| i.interface.trim())
        .collect()
}

/// `allow` or `nonat`, however far abbreviated.
fn firewall(d: &dyn Dialect, config: &Config) -> Option<Finding> {
    let has_public = config
        .firewall_policies
        .iter()
        .any(|p| !public_interfaces(p).is_empty());
    if config.is_empty() || !(config.firewall_enabled || has_public) {
        return None;
    }
    let natt = config.ike_policies.iter().any(|p| p.natt == Some(true));
    let ports: &[u16] = if natt {
        &[IKE_PORT, NATT_PORT]
    } else {
        &[IKE_PORT]
    };

    // (policy, interface, ports it does not let in)
    let mut gaps: Vec<(&FirewallPolicy, &str, Vec<u16>)> = Vec::new();
    for policy in &config.firewall_policies {
        for iface in public_interfaces(policy) {
            let missing: Vec<u16> = ports
                .iter()
                .copied()
                .filter(|port| !policy.rules.iter().any(|r| admits(r, iface, *port)))
                .collect();
            if !missing.is_empty() {
                gaps.push((policy, iface, missing));
            }
        }
    }

    let (summary, ev) = if has_public {
        if gaps.is_empty() {
            return None;
        }
        let parts: Vec<String> = gaps
            .iter()
            .map(|(p, iface, missing)| {
                format!("UDP {} on {iface} (policy {})", port_list(missing), p.name)
            })
            .collect();
        let mut ev = Vec::new();
        for (policy, iface, _) in &gaps {
            ev.extend(
                policy
                    .interfaces
                    .iter()
                    .filter(|i| i.interface.trim().eq_ignore_ascii_case(iface))
                    .map(|i| {
                        evidence::at(
                            evidence::CONFIG,
                            i.line,
                            &format!(
                                "firewall policy {} {} interface {}",
                                policy.name, i.kind, i.interface
                            ),
                        )
                    }),
            );
        }
        (
            format!("No firewall rule lets IKE in: {}", parts.join("; ")),
            ev,
        )
    } else {
        (
            format!(
                "The firewall is enabled but no interface is attached to it as public, and no rule \
lets UDP {} in",
                port_list(ports)
            ),
            vec![format!(
                "{}: {}",
                evidence::CONFIG,
                d.command(&Cmd::EnableFirewall)
            )],
        )
    };

    // The policy to look at: the one with the gap, or the only one there is.
    let named = match (gaps.first(), config.firewall_policies.as_slice()) {
        (Some((p, _, _)), _) => Some(p.name.as_str()),
        (None, [only]) => Some(only.name.as_str()),
        _ => None,
    };
    let show_policy = advice::cmd(d, &Cmd::ShowFirewallPolicy(named.unwrap_or(advice::POLICY)));
    let show_config = advice::cmd(d, &Cmd::ShowFirewallConfig);
    let natt_text = if natt {
        " NAT-T is on (natt=true), so UDP 4500 must be allowed as well."
    } else {
        " If NAT-T is used, UDP 4500 must be allowed as well."
    };
    Some(Finding {
        code: "firewall-ike-blocked",
        severity: Severity::Error,
        summary,
        advice: format!(
            "The firewall must let ISAKMP reach the router: a rule on each public interface with \
action=allow (or nonat) for UDP port 500.{natt_text} Check with {show_config} (or \
{show_policy}) that every interface is attached as private or public, that such a rule exists, \
and that no earlier rule matches first (the first matching rule wins). \
Site-to-site VPNs also need a rule pair that lets the tunnel's traffic through: \
encapsulation=ipsec on the public interface, ip=/remoteip= on the private one."
        ),
        evidence: ev,
    })
}

fn port_list(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" and ")
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{aw, codes, examine_file, healthy};
    use super::*;
    use crate::model::{FirewallRule, Snapshot};

    fn fires(snap: &Snapshot, code: &str) -> bool {
        codes(&examine_file(snap)).contains(&code)
    }

    #[test]
    fn local_address_on_the_interface() {
        let mut snap = healthy();
        snap.interfaces[0].address = Some("10.1.1.1".into());
        let found = examine_file(&snap);
        let f = found
            .iter()
            .find(|f| f.code == "local-address-set")
            .unwrap();
        assert_eq!(f.severity, Severity::Error);
        assert!(f.summary.contains("10.1.1.1"));
        assert!(f.advice.contains(&aw().command(&Cmd::ClearLocalAddress)));
        assert!(f
            .advice
            .contains(&aw().command(&Cmd::SetLocalAddress("10.1.1.1"))));
        assert_eq!(
            f.evidence,
            [format!(
                "{}, line 8: LOCAL, IP address 10.1.1.1, mask Not set",
                aw().command(&Cmd::ShowInterfaces)
            )]
        );
    }

    #[test]
    fn local_address_in_the_config() {
        let mut snap = healthy();
        snap.config.ip_local = Some("10.1.1.1".into());
        assert!(fires(&snap, "local-address-set"));
        let f = examine_file(&snap)
            .into_iter()
            .find(|f| f.code == "local-address-set")
            .unwrap();
        assert_eq!(
            f.evidence,
            [format!(
                "configuration: {}",
                aw().command(&Cmd::SetLocalAddress("10.1.1.1"))
            )]
        );
        for unset in ["0.0.0.0", "", " Not set "] {
            snap.config.ip_local = Some(unset.into());
            snap.interfaces[0].address = Some(unset.into());
            assert!(!fires(&snap, "local-address-set"), "{unset:?}");
        }
    }

    fn rule(port: Option<&str>) -> FirewallRule {
        FirewallRule {
            id: Some(9),
            interface: Some("eth0".into()),
            action: Some("allow".into()),
            protocol: Some("udp".into()),
            port: port.map(Into::into),
            line: 50,
            ..Default::default()
        }
    }

    fn with_rules(rules: Vec<FirewallRule>) -> Snapshot {
        let mut snap = healthy();
        snap.config.firewall_policies[0].rules = rules;
        snap
    }

    #[test]
    fn missing_ike_rules_fire_and_name_the_ports() {
        let snap = with_rules(vec![]);
        let found = examine_file(&snap);
        let f = found
            .iter()
            .find(|f| f.code == "firewall-ike-blocked")
            .unwrap();
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(
            f.summary,
            "No firewall rule lets IKE in: UDP 500 and 4500 on eth0 (policy fw)"
        );
        assert_eq!(
            f.evidence,
            ["configuration, line 40: firewall policy fw public interface eth0"]
        );
        // The policy with the gap is named, not a placeholder.
        assert!(f
            .advice
            .contains(&aw().command(&Cmd::ShowFirewallPolicy("fw"))));
        assert!(f.advice.contains(&aw().command(&Cmd::ShowFirewallConfig)));

        let only_500 = with_rules(vec![rule(Some("500"))]);
        let found = examine_file(&only_500);
        let f = found
            .iter()
            .find(|f| f.code == "firewall-ike-blocked")
            .unwrap();
        assert!(f.summary.contains("UDP 4500 on eth0"));
    }

    #[test]
    fn without_natt_only_500_is_needed() {
        let mut snap = with_rules(vec![rule(Some("isakmp"))]);
        snap.config.ike_policies[0].natt = None;
        assert!(!fires(&snap, "firewall-ike-blocked"));
    }

    #[test]
    fn rules_that_cover_the_ports() {
        let ok = |r: FirewallRule| !fires(&with_rules(vec![r]), "firewall-ike-blocked");
        assert!(ok(rule(Some("500-4500"))));
        assert!(ok(rule(Some("ALL"))));
        assert!(ok(rule(Some("500, 4500"))));
        let mut r = rule(None);
        r.gblport = Some("any".into());
        r.interface = None;
        r.protocol = None;
        r.action = Some("NONAT".into());
        assert!(ok(r));
    }

    #[test]
    fn rules_that_do_not() {
        let blocked = |r: FirewallRule| fires(&with_rules(vec![r]), "firewall-ike-blocked");
        assert!(blocked(rule(None)));
        assert!(blocked(rule(Some("501-4499"))));
        assert!(blocked(rule(Some("junk-"))));
        let mut deny = rule(Some("all"));
        deny.action = Some("deny".into());
        assert!(blocked(deny));
        let mut tcp = rule(Some("all"));
        tcp.protocol = Some("tcp".into());
        assert!(blocked(tcp));
        let mut private = rule(Some("all"));
        private.interface = Some("vlan1".into());
        assert!(blocked(private));
        let mut tunnel = rule(Some("all"));
        tunnel.encapsulation = Some("ipsec".into());
        assert!(blocked(tunnel));
    }

    #[test]
    fn no_firewall_no_finding() {
        let mut snap = healthy();
        snap.config.firewall_policies.clear();
        snap.config.firewall_enabled = false;
        assert!(!fires(&snap, "firewall-ike-blocked"));
        // Firewall enabled but nothing attached as public.
        snap.config.firewall_enabled = true;
        assert!(fires(&snap, "firewall-ike-blocked"));
        // Nothing read at all: no conclusion.
        let mut snap = with_rules(vec![]);
        snap.config.lines_read = 0;
        assert!(!fires(&snap, "firewall-ike-blocked"));
    }
}
