//! The simulator's scenarios, each behaving as the How To Note describes a failure class, and
//! the configuration each peer holds in it.

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
}

impl Scenario {
    pub const ALL: [Scenario; 7] = [
        Scenario::Healthy,
        Scenario::Phase1Stall,
        Scenario::PskMismatch,
        Scenario::Phase2Mismatch,
        Scenario::SaOutOfStep,
        Scenario::SaAccumulation,
        Scenario::PolicySelection,
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
        }
    }

    pub fn aggressive(self) -> bool {
        self == Scenario::SaAccumulation
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

/// `show config dynamic` lines of one peer in a scenario, by section.
pub fn config(s: Scenario, peer: usize) -> Vec<(&'static str, Vec<String>)> {
    let me = &PEERS[peer];
    let other = &PEERS[1 - peer];
    let lan = me.lan;
    let rlan = other.lan;
    let mode = if s.aggressive() { "aggressive" } else { "main" };
    let key = match (s, peer) {
        (Scenario::PskMismatch, 1) => 2,
        (Scenario::PolicySelection, 0) => 2,
        _ => 1,
    };
    let heart = match (s, peer) {
        (Scenario::SaAccumulation, 1) => "none",
        (Scenario::SaOutOfStep, _) => "none",
        _ => "both",
    };
    let sendd = if s == Scenario::SaAccumulation {
        "false"
    } else {
        "true"
    };
    let mut isakmp = Vec::new();
    if s == Scenario::PolicySelection && peer == 1 {
        // The How To Note's example: two policies with peer=any that main mode cannot tell apart.
        isakmp.push("create isakmp pol=isakmp peer=any key=1 mode=main natt=true".to_string());
        isakmp.push("  encalg=3desouter".to_string());
        isakmp.push("set isakmp pol=isakmp localid=example1 remoteid=ARRouter".to_string());
        isakmp.push("set isakmp pol=isakmp sendn=true sendd=true".to_string());
        isakmp.push("set isakmp pol=isakmp heart=both".to_string());
        isakmp.push("create isakmp pol=isakmp2 peer=any key=2 mode=main natt=true".to_string());
        isakmp.push("  encalg=3desouter".to_string());
        isakmp.push("set isakmp pol=isakmp2 localid=example2 remoteid=WindowsVPN".to_string());
        isakmp.push("set isakmp pol=isakmp2 sendn=true sendd=true".to_string());
        isakmp.push("set isakmp pol=isakmp2 heart=none".to_string());
    } else {
        let peer_addr = if s == Scenario::SaAccumulation && peer == 1 {
            "any"
        } else {
            other.wan
        };
        isakmp.push(format!(
            "create isakmp policy=\"{POLICY}\" peer={peer_addr} key={key} mode={mode} natt=true"
        ));
        isakmp.push("  encalg=3desouter hashalg=sha".to_string());
        isakmp.push(format!(
            "set isakmp policy=\"{POLICY}\" localid={} remoteid={}",
            me.name, other.name
        ));
        isakmp.push(format!(
            "set isakmp policy=\"{POLICY}\" sendnotify=true senddeletes={sendd}"
        ));
        isakmp.push(format!("set isakmp policy=\"{POLICY}\" heart={heart}"));
    }
    isakmp.push("enable isakmp".to_string());

    let pfs = if s == Scenario::Phase2Mismatch && peer == 1 {
        " usepfskey=true group=2"
    } else {
        ""
    };
    let isa = if s == Scenario::PolicySelection && peer == 1 {
        "isakmp2"
    } else {
        POLICY
    };
    let ipsec = vec![
        "create ipsec sas=1 key=isakmp protocol=esp encalg=3desouter hashalg=sha".to_string(),
        "create ipsec bundle=1 key=isakmp string=\"1\"".to_string(),
        format!(
            "create ipsec policy=\"{POLICY}\" interface=eth0 action=ipsec key=isakmp bundle=1 peeraddress={} isakmppolicy=\"{isa}\"{pfs}",
            other.wan
        ),
        format!(
            "set ipsec policy=\"{POLICY}\" lad={lan} lma=255.255.255.0 rad={rlan} rma=255.255.255.0 respondbadspi=false"
        ),
        "create ipsec policy=internet interface=eth0 action=permit".to_string(),
        "enable ipsec".to_string(),
    ];
    let fw = vec![
        "enable firewall".to_string(),
        "create firewall policy=main".to_string(),
        "add firewall policy=main interface=vlan1 type=private".to_string(),
        "add firewall policy=main interface=eth0 type=public".to_string(),
        format!(
            "add firewall policy=main rule=1 action=allow interface=eth0 protocol=udp port=500 ip={} gblport=500",
            me.wan
        ),
        format!(
            "add firewall policy=main rule=2 action=allow interface=eth0 protocol=udp port=4500 ip={} gblport=4500",
            me.wan
        ),
        "add firewall policy=main rule=3 action=nonat interface=eth0 protocol=all encapsulation=ipsec"
            .to_string(),
        format!(
            "add firewall policy=main rule=4 action=nonat interface=vlan1 protocol=all ip={}-{} remoteip={}-{}",
            lan.replace(".0", ".1"),
            lan.replace(".0", ".254"),
            rlan.replace(".0", ".1"),
            rlan.replace(".0", ".254")
        ),
    ];
    vec![("ipsec", ipsec), ("isakmp", isakmp), ("firewall", fw)]
}
