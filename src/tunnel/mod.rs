//! Both ends of one tunnel, compared: ISAKMP SAs paired by address and IPsec SAs by SPI, the
//! side-by-side configuration check, the packet path of a ping from both ends' counters, and
//! the facts the doctor turns into tunnel findings. Pure and vendor-neutral: plain `model`
//! data in, serialisable data out.

pub mod addr;
pub mod config_check;
pub mod facts;
pub mod firewall;
pub mod ladder;
pub mod pairs;
pub mod path;

#[cfg(test)]
mod tests;

pub use config_check::{Check, CheckRow};
pub use facts::{Evidence, FactKind, TunnelFact};
pub use pairs::{IpsecPair, IsakmpPair};
pub use path::{MovedError, PacketPath, PathOutcome, PathStep};

use crate::model::{CounterView, PingTally, Snapshot};
use serde::Serialize;

/// One end of the tunnel as the comparison needs it.
#[derive(Debug, Clone, Copy)]
pub struct End<'a> {
    /// The router's name ("Peer1"), used in every sentence.
    pub name: &'a str,
    /// Its tables, configuration, counters and interfaces.
    pub snapshot: &'a Snapshot,
    /// The encrypting policy's counters with deltas since the baseline, for the packet path.
    pub counters: Option<&'a CounterView>,
    /// The ping started from this end, if any.
    pub ping: Option<&'a PingTally>,
}

impl<'a> End<'a> {
    pub fn new(name: &'a str, snapshot: &'a Snapshot) -> Self {
        End {
            name,
            snapshot,
            counters: None,
            ping: None,
        }
    }

    pub fn with_counters(mut self, counters: &'a CounterView) -> Self {
        self.counters = Some(counters);
        self
    }

    pub fn with_ping(mut self, ping: &'a PingTally) -> Self {
        self.ping = Some(ping);
        self
    }
}

/// What the comparison gets besides the two ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// The outcome of comparing the pre-shared keys' fingerprints, when that was done: `true`
    /// same, `false` differ. The values themselves never reach this room.
    pub keys_same: Option<bool>,
}

/// The two ends compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tunnel {
    /// The routers' names, first end first.
    pub ends: [String; 2],
    pub isakmp_pairs: Vec<IsakmpPair>,
    pub ipsec_pairs: Vec<IpsecPair>,
    pub config_check: Vec<CheckRow>,
    /// Present when counters were read twice at one end at least.
    pub packet_path: Option<PacketPath>,
    /// Findings-ready facts, most important first.
    pub facts: Vec<TunnelFact>,
}

impl Tunnel {
    /// Every IPsec pair paired and the configuration without a fact against it.
    pub fn healthy(&self) -> bool {
        self.facts.is_empty() && self.ipsec_pairs.iter().all(|p| p.paired)
    }

    pub fn has(&self, kind: FactKind) -> bool {
        self.facts.iter().any(|f| f.kind == kind)
    }

    /// The one line that stays visible on a narrow screen: "Peer1 ⇄ Peer2: ISAKMP 1/1 paired,
    /// IPsec 1/1 paired, 0 mismatches, path both ways".
    pub fn summary(&self) -> String {
        let paired = |n: usize, of: usize| format!("{n}/{of} paired");
        let ike = paired(
            self.isakmp_pairs.iter().filter(|p| p.paired).count(),
            self.isakmp_pairs.len(),
        );
        let ipsec = paired(
            self.ipsec_pairs.iter().filter(|p| p.paired).count(),
            self.ipsec_pairs.len(),
        );
        let mismatches = self.config_check.iter().filter(|r| !r.matches).count();
        // The top fact first: a narrow screen cuts the end of the line, never the cause.
        let top = self
            .facts
            .first()
            .map(|f| format!("{} · ", f.kind.code()))
            .unwrap_or_default();
        let mut out = format!(
            "{} ⇄ {}: {top}ISAKMP {ike}, IPsec {ipsec}, {mismatches} mismatch{}",
            self.ends[0],
            self.ends[1],
            if mismatches == 1 { "" } else { "es" }
        );
        if let Some(p) = &self.packet_path {
            let word = match p.outcome {
                PathOutcome::BothWays => "path both ways".to_string(),
                PathOutcome::OneWay => "path one way".to_string(),
                PathOutcome::Stopped => format!("path stops before {}", p.to),
                PathOutcome::NoTraffic => "no traffic in the tunnel".to_string(),
                PathOutcome::Unknown => "path unknown".to_string(),
            };
            out.push_str(", ");
            out.push_str(&word);
        }
        out
    }
}

/// Compare two ends.
pub fn examine(a: &End, b: &End) -> Tunnel {
    examine_with(a, b, Options::default())
}

/// Compare two ends, with what was learnt besides them (the key comparison).
pub fn examine_with(a: &End, b: &End, opts: Options) -> Tunnel {
    let isakmp_pairs = pairs::isakmp_pairs(a, b);
    let ipsec_pairs = pairs::ipsec_pairs(a, b);
    let config_check = config_check::check(a, b, opts.keys_same);
    let packet_path = path::packet_path(a, b);
    let facts = facts::facts(&config_check, &ipsec_pairs, [a.name, b.name]);
    Tunnel {
        ends: [a.name.to_string(), b.name.to_string()],
        isakmp_pairs,
        ipsec_pairs,
        config_check,
        packet_path,
        facts,
    }
}
