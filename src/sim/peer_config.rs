//! What `show config dynamic` prints on each simulated peer in each scenario, by section: the
//! How To Note's configuration, with the one change that causes the scenario's failure on the
//! end that has it (so the configuration shows the cause).

use super::scenario::{facts, local_address, Scenario, POLICY};

/// Peer1's remoteid in id-mismatch: not Peer2's localid (`Peer2`), as after a typing slip.
pub const ID_MISMATCH_REMOTEID: &str = "Peer-2";

/// `show config dynamic` lines of one peer in a scenario, by section.
pub fn config(s: Scenario, peer: usize) -> Vec<(&'static str, Vec<String>)> {
    let me = facts(s, peer);
    let other = facts(s, 1 - peer.min(1));
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
        // phase1-proposal-mismatch: Peer2 was set to DES, Peer1 still proposes 3DES.
        let encalg = if s == Scenario::Phase1ProposalMismatch && peer == 1 {
            "des"
        } else {
            "3desouter"
        };
        let remoteid = if s == Scenario::IdMismatch && peer == 0 {
            ID_MISMATCH_REMOTEID
        } else {
            other.name
        };
        isakmp.push(format!(
            "create isakmp policy=\"{POLICY}\" peer={peer_addr} key={key} mode={mode} natt=true"
        ));
        isakmp.push(format!("  encalg={encalg} hashalg=sha"));
        isakmp.push(format!(
            "set isakmp policy=\"{POLICY}\" localid={} remoteid={remoteid}",
            me.name
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
    // addresses-swapped: Peer2's local and remote ranges are the wrong way round.
    let (lad, rad) = if s == Scenario::AddressesSwapped && peer == 1 {
        (rlan, lan)
    } else {
        (lan, rlan)
    };
    let permit = "create ipsec policy=internet interface=eth0 action=permit".to_string();
    // permit-first: Peer1's catch-all permit policy was created before the tunnel's, so it
    // is first in eth0's list and every packet matches it.
    let permit_first = s == Scenario::PermitFirst && peer == 0;
    let mut ipsec = vec![
        "create ipsec sas=1 key=isakmp protocol=esp encalg=3desouter hashalg=sha".to_string(),
        "create ipsec bundle=1 key=isakmp string=\"1\"".to_string(),
    ];
    if permit_first {
        ipsec.push(permit.clone());
    }
    ipsec.push(format!(
        "create ipsec policy=\"{POLICY}\" interface=eth0 action=ipsec key=isakmp bundle=1 peeraddress={} isakmppolicy=\"{isa}\"{pfs}",
        other.wan
    ));
    ipsec.push(format!(
        "set ipsec policy=\"{POLICY}\" lad={lad} lma=255.255.255.0 rad={rad} rma=255.255.255.0 respondbadspi=false"
    ));
    if !permit_first {
        ipsec.push(permit);
    }
    ipsec.push("enable ipsec".to_string());

    let range = |net: &str| {
        let base = net.trim_end_matches(".0");
        format!("{base}.1-{base}.254")
    };
    let mut fw = vec![
        "enable firewall".to_string(),
        "create firewall policy=main".to_string(),
        "add firewall policy=main interface=vlan1 type=private".to_string(),
        "add firewall policy=main interface=eth0 type=public".to_string(),
    ];
    // phase1-stall: Peer2's firewall has no rule letting IKE (UDP 500) in, so Peer1's main
    // mode messages are dropped before ISAKMP sees them.
    if !(s == Scenario::Phase1Stall && peer == 1) {
        fw.push(format!(
            "add firewall policy=main rule=1 action=allow interface=eth0 protocol=udp port=500 ip={} gblport=500",
            me.wan
        ));
    }
    fw.push(format!(
        "add firewall policy=main rule=2 action=allow interface=eth0 protocol=udp port=4500 ip={} gblport=4500",
        me.wan
    ));
    fw.push(
        "add firewall policy=main rule=3 action=nonat interface=eth0 protocol=all encapsulation=ipsec"
            .to_string(),
    );
    fw.push(format!(
        "add firewall policy=main rule=4 action=nonat interface=vlan1 protocol=all ip={} remoteip={}",
        range(lan),
        range(rlan)
    ));
    let mut out = vec![("ipsec", ipsec), ("isakmp", isakmp), ("firewall", fw)];
    if let Some(addr) = local_address(s, peer) {
        out.push(("ip", vec![format!("set ip local ip={addr}")]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The existing scenarios' configuration is what it was before the new scenarios came
    /// (the screen snapshots read it): the How To Note's, one cause changed.
    #[test]
    fn healthy_configuration_is_the_how_to_notes() {
        let c = config(Scenario::Healthy, 0);
        assert_eq!(c.len(), 3);
        let ipsec = &c[0].1;
        assert_eq!(
            ipsec[3],
            "set ipsec policy=\"wiz_Peer1 to Peer2\" lad=192.168.1.0 lma=255.255.255.0 rad=192.168.2.0 rma=255.255.255.0 respondbadspi=false"
        );
        assert_eq!(
            ipsec[4],
            "create ipsec policy=internet interface=eth0 action=permit"
        );
        let fw = &c[2].1;
        assert_eq!(
            fw[7],
            "add firewall policy=main rule=4 action=nonat interface=vlan1 protocol=all ip=192.168.1.1-192.168.1.254 remoteip=192.168.2.1-192.168.2.254"
        );
        assert_eq!(fw.len(), 8);
    }

    #[test]
    fn phase1_stall_peer2_has_no_udp_500_rule() {
        let fw = |p| config(Scenario::Phase1Stall, p)[2].1.join("\n");
        assert!(fw(0).contains("port=500 "));
        assert!(!fw(1).contains("port=500 "), "{}", fw(1));
        assert!(fw(1).contains("port=4500"));
    }
}
