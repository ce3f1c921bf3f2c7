//! The AlliedWare `Dialect`: every command text tunnelscope sends to an AlliedWare router or
//! quotes in advice, and how its replies say "no". Command words follow the How To Note and
//! ALLIEDWARE.md; the reset is in the Note's order.

use super::commands::{abbrev, recognise, split_words, LOGOFF};
use crate::model::{Cmd, Dialect};

/// The classic AlliedWare OS (AR400/AR700 routers, Rapier i, AT-8800).
#[derive(Debug, Clone, Copy, Default)]
pub struct AlliedWare;

/// The one instance every session shares.
pub static ALLIEDWARE: AlliedWare = AlliedWare;

/// The dialect of AlliedWare routers, as sessions take it.
pub fn dialect() -> &'static dyn Dialect {
    &ALLIEDWARE
}

/// A value as the CLI takes it: in double quotes when it holds a space (a policy named
/// `wiz_Peer1 to Peer2`), as it is otherwise.
pub fn quoted(v: &str) -> String {
    if v.chars().any(char::is_whitespace) {
        format!("\"{v}\"")
    } else {
        v.to_string()
    }
}

/// The commands the screen's command line completes.
const COMPLETIONS: &[&str] = &[
    "show isakmp sa",
    "show isakmp exchange",
    "show isakmp counters",
    "show isakmp policy",
    "show ipsec sa",
    "show ipsec policy",
    "show ipsec counters",
    "show ipsec sa counters",
    "show ip interface",
    "show config dynamic",
    "show config dynamic=isakmp",
    "show config dynamic=ipsec",
    "show config dynamic=firewall",
    "show log module=isakmp",
    "show log module=ipsec",
    "show debug ipsec",
    "show enco key",
    "show system",
];

/// What `show debug ipsec` runs (How To Note, for software older than 2.9.1), before and after
/// the per-SA and per-policy commands.
const DUMP_HEAD: &[&str] = &[
    "show system",
    "show file",
    "show install",
    "show feature",
    "show release",
    "show config dynamic",
    "show buffer scan",
    "show cpu",
    "show log",
    "show exception",
    "show ipsec policy sabundle",
];
const DUMP_TAIL: &[&str] = &[
    "show enco",
    "show enco channel",
    "show enco counters",
    "show isakmp sa",
    "show isakmp exchange",
    "show isakmp exchange detail",
    "show isakmp sa detail",
    "show isakmp counters",
    "show ffile check",
];

/// Verbs that change nothing.
const READ_ONLY_VERBS: &[(&str, usize)] = &[("show", 2), ("ping", 2), ("trace", 2)];

impl Dialect for AlliedWare {
    fn name(&self) -> &'static str {
        "AlliedWare"
    }

    fn command(&self, c: &Cmd) -> String {
        match c {
            Cmd::ShowIkeSas => "show isakmp sa".into(),
            Cmd::ShowExchanges => "show isakmp exchange".into(),
            Cmd::ShowIpsecSas => "show ipsec sa".into(),
            Cmd::ShowIkeSa(id) => format!("show isakmp sa={id}"),
            Cmd::ShowIpsecSa(id) => format!("show ipsec sa={id}"),
            Cmd::ShowConfig => "show config dynamic".into(),
            Cmd::ShowInterfaces => "show ip interface".into(),
            Cmd::PolicyCounters(p) => format!("show ipsec policy={} counters", quoted(p)),
            Cmd::ShowLog(m) => format!("show log module={m}"),
            Cmd::ShowKey(id) => format!("show enco key={id}"),
            Cmd::Debug(true) => "enable isakmp debug=all".into(),
            Cmd::Debug(false) => "disable isakmp debug=all".into(),
            Cmd::Ping(a) => format!("ping {a}"),
            Cmd::Trace(a) => format!("trace {a}"),
            Cmd::SetIkePolicy { policy, setting } => {
                format!("set isakmp policy={} {setting}", quoted(policy))
            }
            Cmd::SetIpsecPolicy { policy, setting } => {
                format!("set ipsec policy={} {setting}", quoted(policy))
            }
            Cmd::Logoff => LOGOFF.into(),
            Cmd::ShowKeys => "show enco key".into(),
            Cmd::ShowIkeConfig => "show config dynamic=isakmp".into(),
            Cmd::ShowIpsecConfig => "show config dynamic=ipsec".into(),
            Cmd::ShowFirewallConfig => "show config dynamic=firewall".into(),
            Cmd::ShowFirewallPolicy(p) => format!("show firewall policy={}", quoted(p)),
            Cmd::SetLocalAddress(a) => format!("set ip local ip={a}"),
            Cmd::ClearLocalAddress => "set ip local ip=0.0.0.0".into(),
            Cmd::EnableFirewall => "enable firewall".into(),
            Cmd::CreateIpsecPolicy { policy, settings } => {
                format!("create ipsec policy={} {settings}", quoted(policy))
            }
            Cmd::PingFrom { target, source } => format!("ping {target} sipaddress={source}"),
        }
    }

    // IPsec goes down before ISAKMP and comes up after it, so no IPsec SA outlives the ISAKMP
    // SA that negotiated it (How To Note).
    fn reset_down(&self) -> Vec<String> {
        vec!["disable ipsec".into(), "disable isakmp".into()]
    }

    fn reset_up(&self) -> Vec<String> {
        vec!["enable isakmp".into(), "enable ipsec".into()]
    }

    fn completions(&self) -> &'static [&'static str] {
        COMPLETIONS
    }

    fn support_dump(&self) -> Option<String> {
        Some("show debug ipsec".into())
    }

    fn support_dump_fallback(&self, ipsec_sa_ids: &[u32], policies: &[String]) -> Vec<String> {
        let mut v: Vec<String> = DUMP_HEAD.iter().map(|s| s.to_string()).collect();
        v.extend(
            ipsec_sa_ids
                .iter()
                .map(|id| self.command(&Cmd::ShowIpsecSa(*id))),
        );
        v.push("show ipsec sa counters".into());
        v.push("show ipsec counters".into());
        v.extend(
            policies
                .iter()
                .map(|p| self.command(&Cmd::PolicyCounters(p))),
        );
        v.extend(DUMP_TAIL.iter().map(|s| s.to_string()));
        v
    }

    fn is_error_reply(&self, first_lines: &[&str]) -> bool {
        first_lines.iter().take(6).any(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("unknown command") || l.contains("invalid") || l.starts_with("error")
        })
    }

    fn is_logoff(&self, typed: &str) -> bool {
        super::commands::is_logoff(typed)
    }

    fn canonical(&self, typed: &str) -> String {
        recognise(typed).canonical
    }

    fn key_fingerprint(&self, lines: &[&str]) -> Option<[u8; 32]> {
        super::keys::fingerprint(lines.iter().copied())
    }

    fn is_read_only(&self, typed: &str) -> bool {
        let words = split_words(typed);
        let first = words.first().map(|w| w.key.as_str()).unwrap_or("");
        READ_ONLY_VERBS.iter().any(|(v, m)| abbrev(first, v, *m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_spaces_are_quoted_so_advice_pastes() {
        let d = dialect();
        assert_eq!(
            d.command(&Cmd::SetIkePolicy {
                policy: "wiz_Peer1 to Peer2",
                setting: "senddeletes=true"
            }),
            "set isakmp policy=\"wiz_Peer1 to Peer2\" senddeletes=true"
        );
        assert_eq!(
            d.command(&Cmd::PolicyCounters("vpn")),
            "show ipsec policy=vpn counters"
        );
    }

    #[test]
    fn the_reset_takes_ipsec_down_first_and_up_last() {
        let r = dialect().reset_sequence();
        assert_eq!(r.first().map(String::as_str), Some("disable ipsec"));
        assert_eq!(r.last().map(String::as_str), Some("enable ipsec"));
    }

    #[test]
    fn only_show_ping_and_trace_are_read_only() {
        let d = dialect();
        assert!(d.is_read_only("sh isa sa"));
        assert!(d.is_read_only("ping 1.2.3.4"));
        assert!(!d.is_read_only("disable ipsec"));
        assert!(!d.is_read_only("set isakmp policy=x heart=both"));
    }

    #[test]
    fn the_fallback_expands_sas_and_policies_in_the_notes_order() {
        let v = dialect().support_dump_fallback(&[3], &["a b".to_string()]);
        let sa = v.iter().position(|c| c == "show ipsec sa=3");
        let pol = v
            .iter()
            .position(|c| c == "show ipsec policy=\"a b\" counters");
        assert!(sa.is_some() && pol.is_some() && sa < pol, "{v:?}");
        assert_eq!(v.first().map(String::as_str), Some("show system"));
        assert_eq!(v.last().map(String::as_str), Some("show ffile check"));
    }

    /// The doctor speaks through this dialect: no AlliedWare command text in its own code
    /// (its tests may spell out what the dialect produces). The words live here, with the
    /// dialect, so the check itself puts none in the doctor.
    #[test]
    fn no_command_text_in_the_doctor() {
        let files = [
            ("addr.rs", include_str!("../doctor/addr.rs")),
            ("advice.rs", include_str!("../doctor/advice.rs")),
            ("counters.rs", include_str!("../doctor/counters.rs")),
            ("debug_checks.rs", include_str!("../doctor/debug_checks.rs")),
            ("evidence.rs", include_str!("../doctor/evidence.rs")),
            ("finding.rs", include_str!("../doctor/finding.rs")),
            ("ike_policy.rs", include_str!("../doctor/ike_policy.rs")),
            ("ipsec_policy.rs", include_str!("../doctor/ipsec_policy.rs")),
            ("mod.rs", include_str!("../doctor/mod.rs")),
            ("network.rs", include_str!("../doctor/network.rs")),
            ("phase1.rs", include_str!("../doctor/phase1.rs")),
            ("phase2.rs", include_str!("../doctor/phase2.rs")),
        ];
        let words = [
            "show isakmp",
            "show ipsec",
            "show enco",
            "show config",
            "show ip ",
            "show firewall",
            "set isakmp",
            "set ipsec",
            "set ip local",
            "create ipsec",
            "enable isakmp",
            "disable isakmp",
            "enable ipsec",
            "disable ipsec",
            "enable firewall",
            "isakmp debug",
            "`ping ",
            "`trace ",
            "sipaddress",
        ];
        for (name, text) in files {
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
            for w in words {
                let hits: Vec<&str> = code
                    .lines()
                    .filter(|l| l.contains(w) && !l.trim_start().starts_with("//"))
                    .collect();
                assert!(hits.is_empty(), "{name}: `{w}` in {hits:?}");
            }
        }
    }
}
