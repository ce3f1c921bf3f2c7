//! The negotiation failures of the scenarios added for the tunnel checks: what each end does,
//! logs and prints as debug when the configuration on one end is wrong.
//!
//! SYNTHETIC: as in `network.rs`, the debug wording is invented in the IKEv1 vocabulary of
//! ALLIEDWARE.md section 3 (notify names and numbers of RFC 2408); it is not the router's.

use super::{Neg, Network};
use crate::sim::peer_config::ID_MISMATCH_REMOTEID;
use crate::sim::scenario::{facts, ike_source, Scenario, PEERS, POLICY};

impl Network {
    /// local-address-set: an IKE message from Peer1 arrives at Peer2 from Peer1's `set ip
    /// local` address, which no ISAKMP policy on Peer2 names: Peer2 ignores it (and any answer
    /// to that address would not come back).
    pub(super) fn ike_from_wrong_address(&mut self, retransmission: bool) {
        let from = ike_source(self.scenario, 0);
        let what = if retransmission {
            "retransmitted main mode message (MM1)"
        } else {
            "main mode message (MM1)"
        };
        self.dbg(
            1,
            format!("ISAKMP: {what} from {from} ignored: no ISAKMP policy for peer {from} (policies name peer {})", PEERS[0].wan),
        );
        self.peers[1].bump_isakmp("noPolicyForPeer");
        if !retransmission {
            self.log(
                1,
                "ISAK",
                "PH1",
                format!("Phase 1 proposal from {from} ignored: no policy for peer"),
            );
        }
    }

    /// phase1-proposal-mismatch: Peer2 refuses Peer1's main mode SA proposal (3DES) because
    /// its policy says DES; it answers MM1 with NO-PROPOSAL-CHOSEN instead of MM2.
    pub(super) fn refuse_phase1_proposal(&mut self, n: &Neg) {
        let (peer1, peer2) = (PEERS[0].wan, PEERS[1].wan);
        let ex1 = n.ex[0];
        self.dbg(1, format!("ISAKMP: main mode SA proposal (MM1) from {peer1}: 3DES, SHA, group 2 not acceptable, ISAKMP policy \"{POLICY}\" requires encryption DES: NO-PROPOSAL-CHOSEN"));
        self.dbg(
            1,
            format!("ISAKMP: sending INFO exchange, notify NO-PROPOSAL-CHOSEN (14) to {peer1}"),
        );
        self.dbg(0, format!("ISAKMP: Exchange {ex1}: received notify NO-PROPOSAL-CHOSEN (14) from {peer2} in reply to MM1; phase 1 failed"));
        self.log(
            0,
            "ISAK",
            "PH1",
            format!("Phase 1 exchange {ex1} with {peer2} failed: no proposal chosen"),
        );
        self.log(
            1,
            "ISAK",
            "PH1",
            format!("Phase 1 proposal from {peer1} refused: no proposal chosen"),
        );
        self.peers[1].bump_isakmp("phase1Failed");
        self.fail_phase1(n, 15);
    }

    /// id-mismatch: in aggressive mode Peer1 checks the ID Peer2 sent (its localid) against
    /// its own remoteid; they differ, so Peer1 ends phase 1 with INVALID-ID-INFORMATION.
    pub(super) fn reject_peer_id(&mut self, n: &Neg) {
        let (peer1, peer2) = (PEERS[0].wan, PEERS[1].wan);
        let (ex1, r) = (n.ex[0], n.ex[1]);
        let sent = PEERS[1].name;
        self.dbg(0, format!("ISAKMP: Exchange {ex1}: ID payload from {peer2} is KEY_ID {sent}, ISAKMP policy \"{POLICY}\" expects remoteid {ID_MISMATCH_REMOTEID}: INVALID-ID-INFORMATION"));
        self.dbg(0, format!("ISAKMP: Exchange {ex1}: sending INFO exchange, notify INVALID-ID-INFORMATION (18) to {peer2}; phase 1 failed"));
        self.dbg(1, format!("ISAKMP: Exchange {r}: received notify INVALID-ID-INFORMATION (18) from {peer1}; phase 1 failed"));
        self.log(
            0,
            "ISAK",
            "PH1",
            format!("Phase 1 exchange {ex1} with {peer2} failed: invalid ID information"),
        );
        self.log(
            1,
            "ISAK",
            "PH1",
            format!("Phase 1 exchange {r} with {peer1} failed: invalid ID information"),
        );
        self.peers[1].bump_isakmp("phase1Failed");
        self.fail_phase1(n, 15);
    }

    /// addresses-swapped: Peer2 finds no IPsec policy for the proxy IDs Peer1 proposes (its
    /// lad/rad are the wrong way round) and refuses quick mode; the ISAKMP SA stays up and
    /// quick mode is retried.
    pub(super) fn refuse_quick_ids(&mut self, ex1: u32) {
        let (peer1, peer2) = (PEERS[0].wan, PEERS[1].wan);
        let s = self.scenario;
        let (l1, l2) = (facts(s, 0).lan, facts(s, 1).lan);
        self.dbg(1, format!("ISAKMP: quick mode proxy IDs from {peer1}: initiator {l1}/24, responder {l2}/24; no IPsec policy has laddress {l2}/24 and raddress {l1}/24 (policy \"{POLICY}\" has laddress {l1}/24, raddress {l2}/24): INVALID-ID-INFORMATION"));
        self.dbg(
            1,
            format!("ISAKMP: sending INFO exchange, notify INVALID-ID-INFORMATION (18) to {peer1}"),
        );
        self.dbg(0, format!("ISAKMP: Exchange {ex1}: received notify INVALID-ID-INFORMATION (18) from {peer2}; quick mode failed"));
        self.log(
            0,
            "ISAK",
            "PH2",
            format!("Phase 2 exchange {ex1} with {peer2} failed: invalid ID information"),
        );
        self.log(
            1,
            "ISAK",
            "PH2",
            format!("Phase 2 with {peer1} failed: no policy matches the proposed IDs"),
        );
        self.peers[0].bump_isakmp("phase2Failed");
        self.peers[0].bump_isakmp("retryIkeAttemptsPh2");
        self.peers[1].bump_isakmp("phase2Failed");
        self.end_exchange(0, ex1);
        self.neg = None;
        self.schedule_quick(20);
    }

    /// Whether a packet from peer `a`'s LAN to the other LAN leaves `a` unencrypted (its
    /// permit policy comes first): permit-first on Peer1.
    pub(super) fn leaves_in_clear(&self, a: usize) -> bool {
        self.scenario == Scenario::PermitFirst && a == 0
    }

    /// A packet that matched a permit policy goes out in clear: the IPsec policy's counters
    /// do not move (the permit policy's do), and with private addresses it is lost.
    pub(super) fn send_clear(&mut self, a: usize) {
        *self.peers[a]
            .permit_counters
            .entry("outPermitted")
            .or_insert(0) += 1;
    }
}
