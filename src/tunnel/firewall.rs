//! The firewall's door for IKE at one end: whether a rule lets UDP 500 (and 4500 for NAT-T)
//! in on every public interface. The first rule that admits the port is cited.

use crate::model::{Config, FirewallPolicy, FirewallRule};

pub const IKE_PORT: u16 = 500;
pub const NATT_PORT: u16 = 4500;

fn public_interfaces(policy: &FirewallPolicy) -> impl Iterator<Item = &str> {
    policy
        .interfaces
        .iter()
        .filter(|i| i.kind.trim().to_ascii_lowercase().starts_with("pu"))
        .map(|i| i.interface.trim())
}

/// A port value (number, range, comma list, `any`, `isakmp`) covers `port`.
fn covers(value: Option<&str>, port: u16) -> bool {
    let Some(value) = value else { return false };
    value.split(',').any(|part| {
        let v = part.trim().to_ascii_lowercase();
        match v.as_str() {
            "any" | "all" => true,
            "isakmp" => port == IKE_PORT,
            _ => match v.split_once('-') {
                Some((x, y)) => match (x.trim().parse::<u16>(), y.trim().parse::<u16>()) {
                    (Ok(x), Ok(y)) => x <= port && port <= y,
                    _ => false,
                },
                None => v.parse::<u16>().is_ok_and(|n| n == port),
            },
        }
    })
}

/// A rule that lets UDP `port` in on `iface` (not one for decrypted tunnel traffic).
pub fn admits(rule: &FirewallRule, iface: &str, port: u16) -> bool {
    let trimmed = |v: &Option<String>| v.as_deref().map(|s| s.trim().to_ascii_lowercase());
    let plain = trimmed(&rule.encapsulation).is_none_or(|e| e.is_empty() || e == "none");
    let on_iface =
        trimmed(&rule.interface).is_none_or(|i| i.is_empty() || i.eq_ignore_ascii_case(iface));
    let lets_in = trimmed(&rule.action).is_some_and(|a| a.starts_with('a') || a.starts_with("no"));
    let udp = trimmed(&rule.protocol)
        .is_none_or(|p| matches!(p.as_str(), "" | "udp" | "17" | "any" | "all"));
    plain
        && on_iface
        && lets_in
        && udp
        && (covers(rule.port.as_deref(), port) || covers(rule.gblport.as_deref(), port))
}

/// Whether the firewall of `config` lets UDP `port` in, and how to say it.
pub fn door(config: &Config, port: u16) -> (bool, String, Option<String>) {
    let attached = config
        .firewall_policies
        .iter()
        .any(|p| public_interfaces(p).next().is_some());
    if !config.firewall_enabled && !attached {
        return (true, "no firewall".into(), None);
    }
    let mut allowed = Vec::new();
    for policy in &config.firewall_policies {
        for iface in public_interfaces(policy) {
            match policy.rules.iter().find(|r| admits(r, iface, port)) {
                Some(r) => allowed.push((
                    format!(
                        "allowed (rule {} on {iface})",
                        r.id.map(|i| i.to_string()).unwrap_or_else(|| "-".into())
                    ),
                    format!("firewall policy {} rule (line {})", policy.name, r.line),
                )),
                None => {
                    return (
                        false,
                        format!("no rule on {iface}"),
                        Some(format!(
                            "firewall policy {} (line {})",
                            policy.name, policy.line
                        )),
                    )
                }
            }
        }
    }
    match allowed.into_iter().next() {
        Some((text, source)) => (true, text, Some(source)),
        None => (false, "no public interface".into(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_covered() {
        for (v, port, want) in [
            (Some("500"), 500, true),
            (Some("500-4500"), 4500, true),
            (Some("500, 4500"), 4500, true),
            (Some("isakmp"), 500, true),
            (Some("any"), 4500, true),
            (Some("501"), 500, false),
            (None, 500, false),
            (Some("x-y"), 500, false),
        ] {
            assert_eq!(covers(v, port), want, "{v:?} {port}");
        }
    }

    #[test]
    fn firewall_door() {
        let mut cfg = Config {
            firewall_enabled: true,
            lines_read: 1,
            ..Default::default()
        };
        cfg.firewall_policies.push(FirewallPolicy {
            name: "main".into(),
            interfaces: vec![crate::model::FirewallInterface {
                interface: "eth0".into(),
                kind: "public".into(),
                line: 2,
            }],
            rules: vec![FirewallRule {
                id: Some(3),
                interface: Some("eth0".into()),
                action: Some("nonat".into()),
                protocol: Some("all".into()),
                encapsulation: Some("ipsec".into()),
                line: 4,
                ..Default::default()
            }],
            line: 1,
        });
        assert!(
            !door(&cfg, 500).0,
            "a rule for decrypted traffic does not open UDP 500"
        );
        cfg.firewall_policies[0].rules.push(FirewallRule {
            id: Some(1),
            interface: Some("eth0".into()),
            action: Some("allow".into()),
            protocol: Some("udp".into()),
            port: Some("500".into()),
            line: 3,
            ..Default::default()
        });
        assert_eq!(door(&cfg, 500).1, "allowed (rule 1 on eth0)");
        assert!(!door(&cfg, 4500).0);
        assert_eq!(door(&Config::default(), 500).1, "no firewall");
    }
}
