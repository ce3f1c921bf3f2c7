//! The doctor: findings drawn from what was read. Pure functions of the model, no I/O.
//! Each submodule owns one group of the How To Note's checks; this file runs them all and
//! orders the result.

mod addr;
mod advice;
pub mod counters;
mod debug_checks;
mod evidence;
mod finding;
mod ike_policy;
mod ipsec_policy;
mod network;
mod phase1;
mod phase2;
pub mod tunnel;

#[cfg(test)]
mod fixtures;

pub use counters::{counter_verdict, Verdict, VerdictLine};
pub use finding::*;
pub use phase1::STALL_AFTER_SECS;

use crate::model::{DebugSummary, Dialect, Snapshot};

/// What the doctor looks at.
pub struct DoctorInput<'a> {
    pub snapshot: &'a Snapshot,
    pub debug: &'a DebugSummary,
    /// A live session: time-based checks wait for their time instead of firing at once.
    pub live: bool,
    /// How the router's CLI spells the commands the advice and evidence quote.
    pub dialect: &'a dyn Dialect,
}

/// Every finding for this input, most severe first. Within a severity the order is fixed:
/// SA state, then configuration, then the debug stream, each in the order of its rows.
pub fn examine(input: &DoctorInput) -> Vec<Finding> {
    let mut out = Vec::new();
    phase1::check(input, &mut out);
    phase2::check(input, &mut out);
    network::check(input, &mut out);
    ike_policy::check(input, &mut out);
    ipsec_policy::check(input, &mut out);
    debug_checks::check(input, &mut out);
    // Stable, so equal severities keep the order above.
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

#[cfg(test)]
mod tests {
    use super::fixtures::{codes, examine_file, examine_live, healthy, zero};
    use super::*;
    use crate::model::{Config, DebugEvent, Exchange, IkeSa, Phase};

    #[test]
    fn the_notes_working_peer_is_healthy() {
        let found = examine_file(&healthy());
        assert!(found.is_empty(), "{found:#?}");
        assert!(examine_live(&healthy()).is_empty());
    }

    #[test]
    fn nothing_read_nothing_found() {
        let snapshot = Snapshot::default();
        let debug = DebugSummary::default();
        let input = DoctorInput {
            snapshot: &snapshot,
            debug: &debug,
            live: true,
            dialect: crate::alliedware::dialect::dialect(),
        };
        assert!(examine(&input).is_empty());
    }

    #[test]
    fn most_severe_first_and_stable() {
        let mut snap = healthy();
        // warning (config), error (phase 1), info (rekey overlap) in source order.
        snap.config.ike_policies[0].sendnotify = None;
        snap.ike_sas[0].seconds.used = Some(83000);
        let mut second = snap.ike_sas[0].clone();
        second.sa_id = 2;
        second.seconds.used = Some(5);
        snap.ike_sas.push(second);
        snap.exchanges.push(Exchange {
            id: 9,
            phase: "1".into(),
            state: "KESENT".into(),
            peer: "10.0.0.9".into(),
            kind: "MAIN".into(),
            in_state_secs: None,
            line: 1,
        });
        snap.ike_sas.push(IkeSa {
            sa_id: 3,
            peer: "10.0.0.9".into(),
            encryption: None,
            hash: None,
            bytes: zero(),
            seconds: zero(),
            established: false,
            line: 5,
        });
        let found = examine_file(&snap);
        assert_eq!(
            codes(&found),
            [
                "phase1-not-established",
                "phase1-stalled",
                "main-mode-without-notify",
                "isakmp-sa-accumulation",
            ]
        );
        assert!(found.windows(2).all(|w| w[0].severity >= w[1].severity));
        assert_eq!(found, examine_file(&snap));
    }

    #[test]
    fn junk_never_panics() {
        let mut snap = healthy();
        snap.ike_sas[0].peer = String::new();
        snap.ike_sas.push(snap.ike_sas[0].clone());
        snap.exchanges.push(Exchange {
            id: 0,
            phase: String::new(),
            state: String::new(),
            peer: String::new(),
            kind: String::new(),
            in_state_secs: Some(u64::MAX),
            line: 0,
        });
        let junk = || Some("\u{0}é-/-..-".to_string());
        let mut config = Config {
            lines_read: 1,
            firewall_enabled: true,
            ip_local: junk(),
            ..Default::default()
        };
        config.ike_policies.push(Default::default());
        config.ike_policies.push(crate::model::IkePolicy {
            peer: junk(),
            mode: junk(),
            encalg: junk(),
            ..Default::default()
        });
        config.ipsec_policies.push(crate::model::IpsecPolicy {
            interface: Some(String::new()),
            action: Some("p".into()),
            laddress: junk(),
            lmask: junk(),
            raddress: Some("1.1.1.1-".into()),
            rmask: Some("/".into()),
            ..Default::default()
        });
        config.firewall_policies.push(crate::model::FirewallPolicy {
            interfaces: vec![Default::default()],
            rules: vec![crate::model::FirewallRule {
                port: Some("-".into()),
                gblport: Some("99999-1".into()),
                action: Some(String::new()),
                ..Default::default()
            }],
            ..Default::default()
        });
        snap.config = config;
        let mut debug = DebugSummary::default();
        for text in ["", "-", "\u{0}", "ǅ_ß-ﬃ", "retransmi"] {
            debug.record(
                DebugEvent {
                    file: None,
                    time: None,
                    line: 0,
                    phase: Phase::None,
                    failure: true,
                    text: text.into(),
                    exchange: Default::default(),
                },
                true,
            );
        }
        for live in [false, true] {
            let input = DoctorInput {
                snapshot: &snap,
                debug: &debug,
                live,
                dialect: crate::alliedware::dialect::dialect(),
            };
            let _ = examine(&input);
        }
    }
}
