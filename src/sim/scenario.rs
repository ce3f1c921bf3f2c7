//! The simulator's scenarios, each behaving as the How To Note describes a failure class, and
//! the facts each peer holds in it (addresses, `set ip local`, pre-shared keys); the
//! configuration lines are in `peer_config.rs`.

pub use super::peer_config::config;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// The How To Note's working tunnel.
    Healthy,
    /// The peer never answers: phase 1 sits in SASENT and retransmits.
    Phase1Stall,
    /// Pre-shared keys differ: phase 1 fails at authentication.
    PskMismatch,
    /// Phase 1 up, quick mode refused (NO-PROPOSAL-CHOSEN): no IPsec SA.
    Phase2Mismatch,
    /// Peer2 lost its SAs in a power cut; Peer1 still uses the old ones.
    SaOutOfStep,
    /// Aggressive mode and a heartbeat mismatch: Peer2's ISAKMP SAs pile up.
    SaAccumulation,
    /// Two `peer=any` policies on Peer2; main mode picks the wrong one.
    PolicySelection,
    /// The ISAKMP policies' encryption differs (Peer2 DES, Peer1 3DES): main mode is refused
    /// at message 2 with NO-PROPOSAL-CHOSEN.
    Phase1ProposalMismatch,
    /// Peer2's IPsec policy has lad/rad swapped: phase 1 up, quick mode fails on the IDs.
    AddressesSwapped,
    /// Aggressive mode; Peer1's remoteid is not Peer2's localid: phase 1 fails.
    IdMismatch,
    /// `set ip local` on Peer1 (not its WAN address): Peer2 sees IKE from the wrong address.
    LocalAddressSet,
    /// Peer1's `action=permit` policy comes before the `action=ipsec` one: pings leave
    /// unencrypted and the IPsec counters stay still.
    PermitFirst,
    /// Both LANs are 192.168.1.0/24: traffic never reaches the tunnel.
    SameSubnet,
}

impl Scenario {
    pub const ALL: [Scenario; 13] = [
        Scenario::Healthy,
        Scenario::Phase1Stall,
        Scenario::PskMismatch,
        Scenario::Phase2Mismatch,
        Scenario::SaOutOfStep,
        Scenario::SaAccumulation,
        Scenario::PolicySelection,
        Scenario::Phase1ProposalMismatch,
        Scenario::AddressesSwapped,
        Scenario::IdMismatch,
        Scenario::LocalAddressSet,
        Scenario::PermitFirst,
        Scenario::SameSubnet,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Healthy => "healthy",
            Scenario::Phase1Stall => "phase1-stall",
            Scenario::PskMismatch => "psk-mismatch",
            Scenario::Phase2Mismatch => "phase2-mismatch",
            Scenario::SaOutOfStep => "sa-out-of-step",
            Scenario::SaAccumulation => "sa-accumulation",
            Scenario::PolicySelection => "policy-selection",
            Scenario::Phase1ProposalMismatch => "phase1-proposal-mismatch",
            Scenario::AddressesSwapped => "addresses-swapped",
            Scenario::IdMismatch => "id-mismatch",
            Scenario::LocalAddressSet => "local-address-set",
            Scenario::PermitFirst => "permit-first",
            Scenario::SameSubnet => "same-subnet",
        }
    }

    /// One line for menus and `--help`.
    pub fn describe(self) -> &'static str {
        match self {
            Scenario::Healthy => "the How To Note's working tunnel",
            Scenario::Phase1Stall => "the peer never answers; phase 1 stalls in SASENT",
            Scenario::PskMismatch => "pre-shared keys differ; phase 1 fails at authentication",
            Scenario::Phase2Mismatch => "phase 1 up, quick mode refused; no IPsec SA",
            Scenario::SaOutOfStep => "Peer2 lost its SAs in a power cut; unknown SPIs arrive",
            Scenario::SaAccumulation => "aggressive mode, heartbeat mismatch; ISAKMP SAs pile up",
            Scenario::PolicySelection => "two peer=any policies; the wrong one is picked",
            Scenario::Phase1ProposalMismatch => "ISAKMP encalg differs; main mode refused at MM2",
            Scenario::AddressesSwapped => "Peer2's lad/rad swapped; quick mode fails on IDs",
            Scenario::IdMismatch => "aggressive mode, IDs do not cross; phase 1 fails",
            Scenario::LocalAddressSet => "set ip local on Peer1; IKE comes from a wrong address",
            Scenario::PermitFirst => "permit policy before ipsec; pings leave unencrypted",
            Scenario::SameSubnet => "both LANs are 192.168.1.0/24; nothing enters the tunnel",
        }
    }

    pub fn aggressive(self) -> bool {
        matches!(self, Scenario::SaAccumulation | Scenario::IdMismatch)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .iter()
            .copied()
            .find(|x| x.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "unknown scenario {s:?}; choose one of: {}",
                    names.join(", ")
                )
            })
    }
}

/// The fixed facts of the How To Note's network.
pub struct PeerFacts {
    pub name: &'static str,
    pub wan: &'static str,
    pub lan: &'static str,
    pub pc: &'static str,
}

pub const PEERS: [PeerFacts; 2] = [
    PeerFacts {
        name: "Peer1",
        wan: "200.200.200.2",
        lan: "192.168.1.0",
        pc: "192.168.1.100",
    },
    PeerFacts {
        name: "Peer2",
        wan: "200.200.200.1",
        lan: "192.168.2.0",
        pc: "192.168.2.100",
    },
];

pub const POLICY: &str = "wiz_Peer1 to Peer2";

/// A peer's facts in a scenario: the How To Note's, except in same-subnet, where Peer2's LAN
/// is Peer1's subnet too (its PC at 192.168.1.200).
pub fn facts(s: Scenario, peer: usize) -> PeerFacts {
    let p = &PEERS[peer.min(1)];
    if s == Scenario::SameSubnet && peer == 1 {
        return PeerFacts {
            name: p.name,
            wan: p.wan,
            lan: "192.168.1.0",
            pc: "192.168.1.200",
        };
    }
    PeerFacts {
        name: p.name,
        wan: p.wan,
        lan: p.lan,
        pc: p.pc,
    }
}

/// The router's own address on its LAN (`vlan1`).
pub fn lan_address(s: Scenario, peer: usize) -> String {
    let lan = facts(s, peer).lan;
    format!("{}.1", lan.trim_end_matches(".0"))
}

/// The address `set ip local` gave the peer, if any (local-address-set: Peer1's own LAN
/// address, as set so the router's own pings would go through the tunnel).
pub fn local_address(s: Scenario, peer: usize) -> Option<&'static str> {
    (s == Scenario::LocalAddressSet && peer == 0).then_some("192.168.1.1")
}

/// The address the peer's IKE messages leave from: its WAN address, or the `set ip local`
/// address when one is set.
pub fn ike_source(s: Scenario, peer: usize) -> &'static str {
    local_address(s, peer).unwrap_or(PEERS[peer.min(1)].wan)
}

/// The ENCO key ids a peer holds: those its ISAKMP policies name.
pub fn key_ids(s: Scenario, peer: usize) -> Vec<u32> {
    match (s, peer) {
        (Scenario::PskMismatch, 1) => vec![2],
        (Scenario::PolicySelection, 0) => vec![2],
        (Scenario::PolicySelection, 1) => vec![1, 2],
        _ => vec![1],
    }
}

/// SYNTHETIC pre-shared key values (`show enco key=N`), marked as such in the value itself.
/// Key 1 and key 2 differ; each id has the same value on both peers. So the keys the two
/// ends' policies name differ in psk-mismatch (Peer1 key 1, Peer2 key 2) and match elsewhere
/// (policy-selection's Peer1 key 2 matches Peer2's isakmp2, not the isakmp policy main mode
/// picks). Tests use these to prove the values never leave the comparison.
pub fn psk_value(s: Scenario, peer: usize, key: u32) -> Option<&'static str> {
    if !key_ids(s, peer).contains(&key) {
        return None;
    }
    match key {
        1 => Some("SYNTHETIC-sim-psk-k1-Wq7Rt2"),
        2 => Some("SYNTHETIC-sim-psk-k2-Zm4Lp9"),
        _ => None,
    }
}
