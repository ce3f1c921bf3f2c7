//! Findings-ready facts about a tunnel, drawn from the pairs and the configuration check, each
//! with the evidence of both ends. The doctor turns them into findings (severity, advice).

use super::config_check::{Check, CheckRow};
use super::pairs::IpsecPair;
use serde::Serialize;

/// The kinds of tunnel fact, one per finding code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactKind {
    /// The other end's firewall does not let IKE (UDP 500) in.
    IkeBlockedAtPeer,
    /// Peer addresses or local/remote ranges do not mirror each other.
    AddressesNotMirrored,
    /// Main mode at one end, aggressive at the other.
    ModeMismatch,
    /// A phase 1 or phase 2 proposal field differs.
    ProposalMismatch,
    /// The pre-shared keys differ (only after a key comparison).
    PskMismatch,
    /// localid/remoteid do not cross.
    IdMismatch,
    /// PFS (or its group) at one end only.
    PfsMismatch,
    /// Heartbeats expected by one end and not sent by the other.
    HeartbeatMismatch,
    /// An IPsec SA whose SPI the other end does not have.
    SpiUnpaired,
}

impl FactKind {
    /// The finding code.
    pub fn code(self) -> &'static str {
        match self {
            FactKind::IkeBlockedAtPeer => "ike-blocked-at-peer",
            FactKind::AddressesNotMirrored => "addresses-not-mirrored",
            FactKind::ModeMismatch => "mode-mismatch",
            FactKind::ProposalMismatch => "proposal-mismatch",
            FactKind::PskMismatch => "psk-mismatch",
            FactKind::IdMismatch => "id-mismatch",
            FactKind::PfsMismatch => "pfs-mismatch",
            FactKind::HeartbeatMismatch => "heartbeat-mismatch",
            FactKind::SpiUnpaired => "spi-unpaired",
        }
    }

    /// The fact a mismatching row of the check gives, if any (a different expiry, NAT-T or
    /// senddeletes setting is shown but is no fault of the tunnel by itself).
    pub fn of_check(check: Check) -> Option<FactKind> {
        Some(match check {
            Check::IkePeer | Check::IpsecPeer | Check::Selectors => FactKind::AddressesNotMirrored,
            Check::Mode => FactKind::ModeMismatch,
            Check::Encalg
            | Check::Hashalg
            | Check::DhGroup
            | Check::Protocol
            | Check::IpsecEncalg
            | Check::IpsecHashalg => FactKind::ProposalMismatch,
            Check::Pfs => FactKind::PfsMismatch,
            Check::Heartbeat => FactKind::HeartbeatMismatch,
            Check::Ids => FactKind::IdMismatch,
            Check::PresharedKey => FactKind::PskMismatch,
            Check::FirewallIke => FactKind::IkeBlockedAtPeer,
            _ => return None,
        })
    }
}

/// A line of evidence from one end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub end: String,
    pub text: String,
}

/// One fact about the tunnel, with both ends' evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TunnelFact {
    pub kind: FactKind,
    /// 1 or 2 for proposal, PFS, ID and address facts; none for the firewall and SPIs.
    pub phase: Option<u8>,
    /// The fields of the check that differ (`encalg`, `pfs`, `heart` ...), comma-joined.
    pub field: String,
    /// The end where it lies (a router name), or `None` for the tunnel as a whole.
    pub end: Option<String>,
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

/// Evidence lines kept per fact: enough to cite both ends, not a page of SPIs.
const EVIDENCE_MAX: usize = 8;

fn value(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("not set")
}

/// The setting each column shows: `localid (Peer1) / remoteid (Peer2)` gives `localid` and
/// `remoteid`; a plain field names both.
fn labels(field: &str) -> (&str, &str) {
    let bare = |s: &'_ str| -> usize { s.find(" (").unwrap_or(s.len()) };
    match field.split_once(" / ") {
        Some((l, r)) => (&l[..bare(l)], &r[..bare(r)]),
        None => (field, field),
    }
}

fn row_fact(kind: FactKind, row: &CheckRow, names: [&str; 2]) -> TunnelFact {
    let mut evidence = Vec::new();
    let (la, lb) = labels(&row.field);
    for (name, label, v, src) in [
        (names[0], la, &row.a, &row.a_source),
        (names[1], lb, &row.b, &row.b_source),
    ] {
        let text = match src {
            Some(s) => format!("{s}: {label} {}", value(v)),
            None => format!("{label} {}", value(v)),
        };
        evidence.push(Evidence {
            end: name.to_string(),
            text,
        });
    }
    // The firewall fact belongs to the end whose firewall is shut.
    let end = (kind == FactKind::IkeBlockedAtPeer)
        .then(|| {
            let shut = |v: &Option<String>| {
                !v.as_deref()
                    .is_some_and(|t| t.starts_with("allowed") || t == "no firewall")
            };
            let ends: Vec<&str> = [(names[0], &row.a), (names[1], &row.b)]
                .iter()
                .filter(|(_, v)| shut(v))
                .map(|(n, _)| *n)
                .collect();
            (ends.len() == 1).then(|| ends[0].to_string())
        })
        .flatten();
    let summary = match (kind, &end) {
        (FactKind::IkeBlockedAtPeer, Some(e)) => {
            let other = if e == names[0] { names[1] } else { names[0] };
            format!("{e}'s firewall does not let UDP 500 in: {other}'s ISAKMP cannot reach it")
        }
        (FactKind::ProposalMismatch, _) => format!(
            "phase {} {}: {} {} / {} {}{}",
            row.phase
                .map(|p| p.to_string())
                .unwrap_or_else(|| "?".into()),
            row.field,
            names[0],
            value(&row.a),
            names[1],
            value(&row.b),
            if row.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", row.note)
            }
        ),
        _ if !row.note.is_empty() => format!("{}: {}", row.field, row.note),
        _ => format!(
            "{}: {} {} / {} {}",
            row.field,
            names[0],
            value(&row.a),
            names[1],
            value(&row.b)
        ),
    };
    TunnelFact {
        kind,
        phase: row.phase,
        field: row.field.clone(),
        end,
        summary,
        evidence,
    }
}

fn spi_fact(p: &IpsecPair, names: [&str; 2]) -> Option<TunnelFact> {
    let lacking = p.lacking.clone()?;
    let sa = |id: Option<u32>, policy: &Option<String>, out: Option<u32>, inn: Option<u32>| match id
    {
        Some(id) => format!(
            "IPsec SA {id} ({}) {} OutSPI {} InSPI {}",
            policy.as_deref().unwrap_or("-"),
            p.protocol,
            out.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
            inn.map(|s| s.to_string()).unwrap_or_else(|| "-".into())
        ),
        None => "no IPsec SA for this tunnel's SPIs".into(),
    };
    Some(TunnelFact {
        kind: FactKind::SpiUnpaired,
        phase: None,
        field: "spi".into(),
        end: Some(lacking),
        summary: p.note.clone().unwrap_or_default(),
        evidence: vec![
            Evidence {
                end: names[0].into(),
                text: sa(p.a_sa, &p.a_policy, p.a_out_spi, p.a_in_spi),
            },
            Evidence {
                end: names[1].into(),
                text: sa(p.b_sa, &p.b_policy, p.b_out_spi, p.b_in_spi),
            },
        ],
    })
}

/// Facts of the whole tunnel, most important first; facts of one kind (and phase, and end)
/// merged into one, naming every field.
pub fn facts(rows: &[CheckRow], ipsec: &[IpsecPair], names: [&str; 2]) -> Vec<TunnelFact> {
    let mut all: Vec<TunnelFact> = rows
        .iter()
        .filter(|r| !r.matches)
        .filter_map(|r| {
            let kind = FactKind::of_check(r.check)?;
            // A value one end leaves to its default (or a bundle not read) is shown on the
            // check, but a default this room does not know is no proof of a mismatch.
            if kind == FactKind::ProposalMismatch && (r.a.is_none() || r.b.is_none()) {
                return None;
            }
            Some(row_fact(kind, r, names))
        })
        .collect();
    all.extend(ipsec.iter().filter_map(|p| spi_fact(p, names)));
    let mut merged: Vec<(TunnelFact, usize)> = Vec::new();
    for f in all {
        match merged
            .iter_mut()
            .find(|(m, _)| m.kind == f.kind && m.phase == f.phase && m.end == f.end)
        {
            Some((m, more)) => {
                if !m.field.split(", ").any(|x| x == f.field) {
                    m.field = format!("{}, {}", m.field, f.field);
                }
                if f.kind == FactKind::SpiUnpaired {
                    *more += 1;
                } else {
                    m.summary = format!("{}; {}", m.summary, f.summary);
                }
                for e in f.evidence {
                    if m.evidence.len() < EVIDENCE_MAX && !m.evidence.contains(&e) {
                        m.evidence.push(e);
                    }
                }
            }
            None => merged.push((f, 0)),
        }
    }
    let mut out: Vec<TunnelFact> = merged
        .into_iter()
        .map(|(mut f, more)| {
            if more > 0 {
                f.summary = format!("{} (and {more} more SAs like it)", f.summary);
            }
            f
        })
        .collect();
    out.sort_by_key(|f| (f.kind, f.phase));
    out
}
