//! Tunnel findings: the facts of comparing both ends (`crate::tunnel`), as findings with their
//! severity, the end where each lies, and advice whose commands come from the dialect.

use super::{Finding, Severity};
use crate::model::{Cmd, Dialect};
use crate::tunnel::{FactKind, Tunnel, TunnelFact};
use serde::Serialize;

/// A finding about the tunnel, naming the end where it lies (a router's name) or `tunnel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndFinding {
    pub end: String,
    #[serde(flatten)]
    pub finding: Finding,
}

fn advice(f: &TunnelFact, t: &Tunnel, d: &dyn Dialect) -> String {
    let other = |end: &Option<String>| -> String {
        match end {
            Some(e) if *e == t.ends[0] => t.ends[1].clone(),
            Some(_) => t.ends[0].clone(),
            None => "the other end".into(),
        }
    };
    let at = f.end.clone().unwrap_or_else(|| "either end".into());
    match f.kind {
        FactKind::IkeBlockedAtPeer => format!(
            "Let IKE in at {at}: its firewall needs a rule allowing UDP 500 (and 4500 with \
             NAT-T) from {} (check `{}` there)",
            other(&f.end),
            d.command(&Cmd::ShowFirewallConfig)
        ),
        FactKind::AddressesNotMirrored => format!(
            "The two ends must mirror each other: each end's peer address is the other's WAN \
             address, and one end's local range (lad/lma) is the other's remote range \
             (rad/rma). Compare `{}` on both ends",
            d.command(&Cmd::ShowIpsecConfig)
        ),
        FactKind::ModeMismatch | FactKind::ProposalMismatch | FactKind::PfsMismatch => {
            let show = if f.phase == Some(1) {
                d.command(&Cmd::ShowIkeConfig)
            } else {
                d.command(&Cmd::ShowIpsecConfig)
            };
            format!(
                "Make {} the same at both ends (phase {}): compare `{show}` on both",
                f.field,
                f.phase.map_or("1 or 2".into(), |p| p.to_string())
            )
        }
        FactKind::HeartbeatMismatch => format!(
            "Give both ends the same heartbeat setting (`heart=both` on both when both support \
             heartbeats): compare `{}` on both",
            d.command(&Cmd::ShowIkeConfig)
        ),
        FactKind::IdMismatch => format!(
            "Each end's localid must be the other end's remoteid: compare `{}` on both",
            d.command(&Cmd::ShowIkeConfig)
        ),
        FactKind::PskMismatch => format!(
            "The pre-shared keys differ: enter the same key at both ends (the key each ISAKMP \
             policy names; `{}` shows it)",
            d.command(&Cmd::ShowKeys)
        ),
        FactKind::SpiUnpaired => format!(
            "The ends are out of step: one sends with an SPI the other does not know. Reset \
             ISAKMP and IPsec on both ends together ({})",
            d.reset_sequence().join(", ")
        ),
    }
}

/// The tunnel's facts as findings, most important first (as the facts come).
pub fn findings(t: &Tunnel, d: &dyn Dialect) -> Vec<EndFinding> {
    t.facts
        .iter()
        .map(|f| EndFinding {
            end: f.end.clone().unwrap_or_else(|| "tunnel".into()),
            finding: Finding {
                code: f.kind.code(),
                severity: Severity::Error,
                summary: f.summary.clone(),
                advice: advice(f, t, d),
                evidence: f
                    .evidence
                    .iter()
                    .map(|e| format!("{}: {}", e.end, e.text))
                    .collect(),
            },
        })
        .collect()
}
