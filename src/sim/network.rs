//! The simulated WAN between Peer1 and Peer2: their SAs, exchanges, counters and logs, and the
//! negotiation between them, advanced by a clock the caller controls (so tests are exact).
//!
//! SYNTHETIC: no sample of AlliedWare debug text is published. Every debug line made here is
//! invented in the IKEv1 vocabulary of ALLIEDWARE.md section 3, so the classifier and the
//! screen have something realistic to work on; it is not a copy of the router's wording.

use super::scenario::{facts, local_address, Scenario, PEERS, POLICY};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// How many debug lines a peer keeps for consoles that read them.
const DEBUG_KEEP: usize = 10_000;
/// ISAKMP SAs kept on the responder that collects them (sa-accumulation), at most.
const MAX_PILED_SAS: usize = 50;
/// Steps of a negotiation, one message each way.
const STEP: Duration = Duration::from_millis(250);
/// Retransmission intervals of an unanswered phase 1 message (AlliedWare 2.8 defaults).
/// The first entry is the wait after the original message; eight retransmissions follow.
const RETRANSMIT: [u64; 9] = [4, 8, 16, 32, 56, 56, 56, 56, 56];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimIkeSa {
    pub id: u32,
    pub peer: String,
    pub established: bool,
    pub created: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimExchange {
    pub id: u32,
    pub phase: &'static str,
    pub state: &'static str,
    pub peer: String,
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimIpsecSa {
    pub id: u32,
    pub bundle: u32,
    pub out_spi: u32,
    pub in_spi: u32,
    pub role: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimLog {
    pub at: Duration,
    pub module: &'static str,
    pub kind: &'static str,
    pub message: String,
}

/// One router's state.
#[derive(Debug, Clone)]
pub struct Peer {
    pub isakmp_enabled: bool,
    pub ipsec_enabled: bool,
    pub ike_sas: Vec<SimIkeSa>,
    pub exchanges: Vec<SimExchange>,
    pub ipsec_sas: Vec<SimIpsecSa>,
    /// Policy counters by name (`outProcessDone` ...).
    pub counters: BTreeMap<&'static str, u64>,
    /// ISAKMP general counters.
    pub isakmp_counters: BTreeMap<&'static str, u64>,
    /// Counters of the `action=permit` policy (`internet`): packets it let out in clear.
    pub permit_counters: BTreeMap<&'static str, u64>,
    pub log: VecDeque<SimLog>,
    /// Debug lines: sequence number, simulated time made, text.
    pub debug: VecDeque<(u64, Duration, String)>,
    pub debug_seq: u64,
    /// Consoles with debug on (counted, so debug lines are only made when someone reads).
    pub debug_listeners: usize,
    next_ike_id: u32,
    next_ipsec_id: u32,
}

impl Peer {
    fn new(first_ipsec_id: u32) -> Self {
        let counters = [
            "outProcessStarted",
            "outProcessDone",
            "outProcessFailed",
            "outDropNoSa",
            "inProcessStarted",
            "inProcessDone",
            "inProcessFailed",
            "inBadSpiResponse",
            "inDropUnknownSpi",
        ]
        .into_iter()
        .map(|n| (n, 0))
        .collect();
        let isakmp_counters = [
            "badSpiRequests",
            "badSpiFromKnownPeer",
            "badSpiInAggrMode",
            "badSpiSendNotifyUnset",
            "retryIkeAttemptsPh1",
            "retryIkeAttemptsPh2",
            "phase1Completed",
            "phase1Failed",
            "phase2Completed",
            "phase2Failed",
        ]
        .into_iter()
        .map(|n| (n, 0))
        .collect();
        Peer {
            isakmp_enabled: true,
            ipsec_enabled: true,
            ike_sas: Vec::new(),
            exchanges: Vec::new(),
            ipsec_sas: Vec::new(),
            counters,
            isakmp_counters,
            permit_counters: [("outPermitted", 0), ("inPermitted", 0)]
                .into_iter()
                .collect(),
            log: VecDeque::new(),
            debug: VecDeque::new(),
            debug_seq: 0,
            debug_listeners: 0,
            next_ike_id: 1,
            next_ipsec_id: first_ipsec_id,
        }
    }

    fn bump(&mut self, name: &'static str) {
        *self.counters.entry(name).or_insert(0) += 1;
    }

    fn bump_isakmp(&mut self, name: &'static str) {
        *self.isakmp_counters.entry(name).or_insert(0) += 1;
    }

    fn valid_sa(&self) -> Option<&SimIpsecSa> {
        self.ipsec_sas.first()
    }
}

/// What a negotiation in progress is doing.
#[derive(Debug, Clone)]
struct Neg {
    phase: u8,
    step: u8,
    at: Duration,
    ex: [u32; 2],
    retransmits: usize,
}

/// The two peers and the network between them.
pub struct Network {
    pub scenario: Scenario,
    pub peers: [Peer; 2],
    pub now: Duration,
    neg: Option<Neg>,
    next_attempt: Duration,
    next_heartbeat: Duration,
    /// When Peer1 (heart=both) last heard a heartbeat (sa-accumulation).
    last_heard: Duration,
    next_exchange: u32,
    spi_seed: u32,
    cookie_seed: u64,
}

fn cookie(seed: &mut u64) -> String {
    // A fixed-sequence generator: the same scenario always shows the same cookies.
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    format!("{:016x}", *seed)
}

impl Network {
    pub fn new(scenario: Scenario) -> Self {
        let mut n = Network {
            scenario,
            peers: [Peer::new(0), Peer::new(3)],
            now: Duration::ZERO,
            neg: None,
            next_attempt: Duration::from_millis(500),
            next_heartbeat: Duration::from_secs(20),
            last_heard: Duration::ZERO,
            next_exchange: 348,
            spi_seed: 0x9e37_79b9,
            cookie_seed: 0x1a2b_3c4d,
        };
        match scenario {
            // permit-first: the tunnel had been up before the permit policy went first (its
            // SAs stay until they expire); nothing new reaches it now.
            Scenario::Healthy | Scenario::PermitFirst => {
                // As in the How To Note: the tunnel has been up for 970 seconds.
                n.establish_ike(Duration::ZERO);
                n.establish_ipsec(1_612_248_718, 992_095_719);
                n.peers[0].counters.insert("outProcessDone", 120);
                n.peers[0].counters.insert("outProcessStarted", 120);
                n.peers[0].counters.insert("inProcessDone", 118);
                n.peers[0].counters.insert("inProcessStarted", 118);
                n.peers[1].counters.insert("outProcessDone", 118);
                n.peers[1].counters.insert("outProcessStarted", 118);
                n.peers[1].counters.insert("inProcessDone", 120);
                n.peers[1].counters.insert("inProcessStarted", 120);
                n.next_attempt = Duration::MAX;
            }
            Scenario::SaOutOfStep => {
                // The tunnel was up; then Peer2 lost power and came back with nothing.
                n.establish_ike(Duration::ZERO);
                n.establish_ipsec(1_612_248_718, 992_095_719);
                n.peers[1].ike_sas.clear();
                n.peers[1].ipsec_sas.clear();
                n.log(
                    1,
                    "ISAK",
                    "SYS",
                    "Router restarted (power cycle): all SAs lost".into(),
                );
                n.next_attempt = Duration::MAX;
            }
            _ => {}
        }
        n
    }

    fn wan(p: usize) -> &'static str {
        PEERS[p].wan
    }

    fn log(&mut self, p: usize, module: &'static str, kind: &'static str, message: String) {
        let at = self.now;
        let log = &mut self.peers[p].log;
        log.push_back(SimLog {
            at,
            module,
            kind,
            message,
        });
        while log.len() > 500 {
            log.pop_front();
        }
    }

    /// A debug line on peer `p` (only kept while a console listens).
    fn dbg(&mut self, p: usize, text: impl Into<String>) {
        let now = self.now;
        let peer = &mut self.peers[p];
        if peer.debug_listeners == 0 {
            return;
        }
        peer.debug_seq += 1;
        peer.debug.push_back((peer.debug_seq, now, text.into()));
        while peer.debug.len() > DEBUG_KEEP {
            peer.debug.pop_front();
        }
    }

    fn new_spi(&mut self) -> u32 {
        self.spi_seed = self
            .spi_seed
            .wrapping_mul(1_103_515_245)
            .wrapping_add(12_345);
        self.spi_seed | 0x1000_0000
    }

    fn establish_ike(&mut self, created: Duration) {
        for p in 0..2 {
            let id = self.peers[p].next_ike_id;
            self.peers[p].next_ike_id += 1;
            let peer = Self::wan(1 - p).to_string();
            self.peers[p].ike_sas.push(SimIkeSa {
                id,
                peer,
                established: true,
                created,
            });
        }
    }

    fn establish_ipsec(&mut self, out1: u32, in1: u32) {
        for p in 0..2 {
            let id = self.peers[p].next_ipsec_id;
            self.peers[p].next_ipsec_id += 1;
            let (out_spi, in_spi) = if p == 0 { (out1, in1) } else { (in1, out1) };
            self.peers[p].ipsec_sas.push(SimIpsecSa {
                id,
                bundle: 0,
                out_spi,
                in_spi,
                role: if p == 0 { "INITIATOR" } else { "RESPONDER" },
            });
        }
    }

    /// Advance simulated time to `now`, running every event due by then.
    pub fn advance(&mut self, now: Duration) {
        // Bounded: a long jump in time runs at most this many steps.
        for _ in 0..10_000 {
            let due = self.next_due();
            if due > now {
                break;
            }
            self.now = due.max(self.now);
            self.step();
        }
        self.now = now.max(self.now);
    }

    fn next_due(&self) -> Duration {
        let mut due = self.next_attempt.min(self.next_heartbeat);
        if let Some(n) = &self.neg {
            due = due.min(n.at);
        }
        due
    }

    fn step(&mut self) {
        let now = self.now;
        if let Some(n) = self.neg.clone() {
            if n.at <= now {
                self.negotiate(n);
                return;
            }
        }
        if self.next_heartbeat <= now {
            self.heartbeat();
            return;
        }
        if self.next_attempt <= now {
            self.next_attempt = Duration::MAX;
            self.start_phase1();
        }
    }

    fn can_negotiate(&self) -> bool {
        let a = &self.peers[0];
        a.isakmp_enabled && a.ipsec_enabled && self.neg.is_none()
    }

    fn start_phase1(&mut self) {
        if !self.can_negotiate() {
            return;
        }
        let id = self.next_exchange;
        self.next_exchange += 1;
        let kind = if self.scenario.aggressive() {
            "AGGRESSIVE"
        } else {
            "MAIN"
        };
        let state = if self.scenario.aggressive() {
            "SAKESENT"
        } else {
            "SASENT"
        };
        let peer = Self::wan(1).to_string();
        let sa_id = self.peers[0].next_ike_id;
        self.peers[0].next_ike_id += 1;
        self.peers[0].ike_sas.push(SimIkeSa {
            id: sa_id,
            peer: peer.clone(),
            established: false,
            created: self.now,
        });
        self.peers[0].exchanges.push(SimExchange {
            id,
            phase: "1",
            state,
            peer: peer.clone(),
            kind,
        });
        let c = cookie(&mut self.cookie_seed);
        let mode = if self.scenario.aggressive() {
            "aggressive"
        } else {
            "main"
        };
        self.dbg(
            0,
            format!("ISAKMP: Exchange {id}: Phase 1 {mode} mode initiated with {peer}, initiator cookie {c}"),
        );
        if self.scenario.aggressive() {
            self.dbg(0, format!("ISAKMP: Exchange {id}: sending SA, KE, nonce and ID payloads to {peer}, state SAKESENT"));
        } else {
            self.dbg(
                0,
                format!("ISAKMP: Exchange {id}: sending SA payload (MM1) to {peer}, state SASENT"),
            );
        }
        if let Some(local) = local_address(self.scenario, 0) {
            self.dbg(
                0,
                format!("ISAKMP: Exchange {id}: source address {local} (set ip local)"),
            );
        }
        self.log(
            0,
            "ISAK",
            "PH1",
            format!("Phase 1 {mode} mode exchange {id} started with {peer}"),
        );
        self.neg = Some(Neg {
            phase: 1,
            step: 1,
            at: self.now + STEP,
            ex: [id, 0],
            retransmits: 0,
        });
    }

    fn set_state(&mut self, p: usize, id: u32, state: &'static str) {
        if let Some(e) = self.peers[p].exchanges.iter_mut().find(|e| e.id == id) {
            e.state = state;
        }
    }

    fn end_exchange(&mut self, p: usize, id: u32) {
        self.peers[p].exchanges.retain(|e| e.id != id);
    }

    /// Phase 1 failed: both ends drop the exchange, the initiator its SA in preparation.
    fn fail_phase1(&mut self, n: &Neg, retry_after: u64) {
        self.end_exchange(0, n.ex[0]);
        self.end_exchange(1, n.ex[1]);
        self.peers[0].ike_sas.retain(|s| s.established);
        self.peers[0].bump_isakmp("phase1Failed");
        self.neg = None;
        self.next_attempt = self.now + Duration::from_secs(retry_after);
    }

    fn negotiate(&mut self, mut n: Neg) {
        let peer2 = Self::wan(1).to_string();
        let peer1 = Self::wan(0).to_string();
        let [ex1, _] = n.ex;
        let s = self.scenario;
        if n.phase == 1 && n.step == 1 {
            // Does the responder answer at all?
            let wrong_source = s == Scenario::LocalAddressSet;
            if s == Scenario::Phase1Stall || wrong_source || !self.peers[1].isakmp_enabled {
                if let Some(&wait) = RETRANSMIT.get(n.retransmits) {
                    if wrong_source && self.peers[1].isakmp_enabled {
                        self.ike_from_wrong_address(n.retransmits > 0);
                    }
                    if n.retransmits > 0 {
                        self.dbg(0, format!("ISAKMP: Exchange {ex1}: no response from {peer2}, retransmitting MM1 (attempt {} of 8)", n.retransmits));
                        self.peers[0].bump_isakmp("retryIkeAttemptsPh1");
                    }
                    n.retransmits += 1;
                    n.at = self.now + Duration::from_secs(wait);
                    self.neg = Some(n);
                    return;
                }
                self.dbg(0, format!("ISAKMP: Exchange {ex1}: phase 1 timed out, no response from {peer2} after 8 retransmissions; exchange deleted"));
                self.log(
                    0,
                    "ISAK",
                    "PH1",
                    format!("Phase 1 exchange {ex1} with {peer2} failed: no response"),
                );
                self.fail_phase1(&n, 5);
                return;
            }
        }
        let aggressive = s.aggressive();
        match (n.phase, n.step) {
            (1, 1) if s == Scenario::Phase1ProposalMismatch => {
                self.refuse_phase1_proposal(&n);
                return;
            }
            (1, 3) | (1, 5) if s == Scenario::IdMismatch => {
                self.reject_peer_id(&n);
                return;
            }
            (2, 1) if s == Scenario::AddressesSwapped => {
                self.set_state(0, ex1, "WAIT_HASH_SA_NONCE");
                self.refuse_quick_ids(ex1);
                return;
            }
            (1, 1) => {
                let id = self.next_exchange;
                self.next_exchange += 1;
                n.ex[1] = id;
                let kind = if aggressive { "AGGRESSIVE" } else { "MAIN" };
                self.peers[1].exchanges.push(SimExchange {
                    id,
                    phase: "1",
                    state: if aggressive { "SAKERECV" } else { "SARECV" },
                    peer: peer1.clone(),
                    kind,
                });
                if s == Scenario::PolicySelection {
                    self.dbg(1, format!("ISAKMP: Exchange {id}: main mode proposal from {peer1} matched ISAKMP policy isakmp (peer=any, first by name)"));
                }
                self.dbg(1, format!("ISAKMP: Exchange {id}: SA proposal from {peer1} accepted: 3DES, SHA, group 2"));
                if s == Scenario::IdMismatch {
                    self.dbg(1, format!("ISAKMP: Exchange {id}: ID payload from {peer1} is KEY_ID {}, matches remoteid; sending SA, KE, nonce, ID ({}) and HASH_R", PEERS[0].name, PEERS[1].name));
                }
                if aggressive {
                    self.set_state(0, ex1, "SAKERECV");
                    self.set_state(1, id, "SAKEAUTHSENT");
                    self.dbg(0, format!("ISAKMP: Exchange {ex1}: received SA, KE, nonce, ID and HASH_R from {peer2}"));
                    n.step = 5;
                } else {
                    self.set_state(0, ex1, "SARECV");
                    self.dbg(
                        0,
                        format!("ISAKMP: Exchange {ex1}: received SA payload (MM2) from {peer2}"),
                    );
                    self.set_state(0, ex1, "KESENT");
                    self.dbg(0, format!("ISAKMP: Exchange {ex1}: sending KE and nonce payloads (MM3), state KESENT"));
                    n.step = 2;
                }
            }
            (1, 2) => {
                self.set_state(1, n.ex[1], "KERECV");
                self.dbg(1, format!("ISAKMP: Exchange {}: received KE and nonce (MM3) from {peer1}, sending MM4", n.ex[1]));
                self.set_state(0, ex1, "KERECV");
                self.set_state(0, ex1, "AUTHSENT");
                self.dbg(0, format!("ISAKMP: Exchange {ex1}: received KE and nonce (MM4), sending ID and HASH (MM5), state AUTHSENT"));
                n.step = 3;
            }
            (1, 3) | (1, 5) => {
                // The responder checks the initiator's authentication.
                if matches!(s, Scenario::PskMismatch | Scenario::PolicySelection) {
                    let r = n.ex[1];
                    self.dbg(1, format!("ISAKMP: Exchange {r}: HASH_I from {peer1} does not match: AUTHENTICATION-FAILED (pre-shared key mismatch?)"));
                    self.dbg(1, format!("ISAKMP: Exchange {r}: sending INFO exchange, notify AUTHENTICATION-FAILED (24) to {peer1}"));
                    self.dbg(0, format!("ISAKMP: Exchange {ex1}: received notify AUTHENTICATION-FAILED (24) from {peer2}; phase 1 failed"));
                    self.log(
                        0,
                        "ISAK",
                        "PH1",
                        format!(
                            "Phase 1 exchange {ex1} with {peer2} failed: authentication failed"
                        ),
                    );
                    self.log(
                        1,
                        "ISAK",
                        "PH1",
                        format!("Phase 1 exchange {r} with {peer1} failed: authentication failed"),
                    );
                    self.peers[1].bump_isakmp("phase1Failed");
                    self.fail_phase1(&n, 15);
                    return;
                }
                self.end_exchange(0, ex1);
                self.end_exchange(1, n.ex[1]);
                self.peers[0].ike_sas.retain(|x| x.established);
                if s == Scenario::SaAccumulation {
                    // No Initial Contact in aggressive mode: Peer2 keeps its old SAs.
                    let piled = self.peers[1].ike_sas.len();
                    if piled >= MAX_PILED_SAS {
                        self.peers[1].ike_sas.remove(0);
                    }
                } else {
                    self.peers[1].ike_sas.clear();
                    self.peers[1].ipsec_sas.clear();
                    if !aggressive {
                        self.dbg(0, format!("ISAKMP: Exchange {ex1}: sending notify INITIAL-CONTACT (24578) to {peer2}"));
                    }
                }
                self.establish_ike(self.now);
                let mode = if aggressive { "aggressive" } else { "main" };
                self.dbg(0, format!("ISAKMP: Exchange {ex1}: phase 1 {mode} mode complete, ISAKMP SA established with {peer2}"));
                self.dbg(
                    1,
                    format!(
                        "ISAKMP: Exchange {}: phase 1 complete, ISAKMP SA established with {peer1}",
                        n.ex[1]
                    ),
                );
                self.log(
                    0,
                    "ISAK",
                    "PH1",
                    format!("Phase 1 exchange {ex1} with {peer2} completed"),
                );
                self.log(
                    1,
                    "ISAK",
                    "PH1",
                    format!("Phase 1 exchange {} with {peer1} completed", n.ex[1]),
                );
                for p in 0..2 {
                    self.peers[p].bump_isakmp("phase1Completed");
                }
                self.last_heard = self.now;
                // Quick mode follows.
                let q = self.next_exchange;
                self.next_exchange += 1;
                self.peers[0].exchanges.push(SimExchange {
                    id: q,
                    phase: "2",
                    state: "SENDING_HASH_SA_NONCE",
                    peer: peer2.clone(),
                    kind: "QUICK",
                });
                let ids = self.proxy_ids();
                self.dbg(
                    0,
                    format!(
                        "ISAKMP: Exchange {q}: quick mode started with {peer2}, proxy IDs {ids}"
                    ),
                );
                self.neg = Some(Neg {
                    phase: 2,
                    step: 1,
                    at: self.now + STEP,
                    ex: [q, 0],
                    retransmits: 0,
                });
                return;
            }
            (2, 1) => {
                self.set_state(0, ex1, "WAIT_HASH_SA_NONCE");
                if s == Scenario::Phase2Mismatch {
                    self.dbg(1, format!("ISAKMP: quick mode proposal from {peer1}: no PFS offered, policy requires PFS group 2: NO-PROPOSAL-CHOSEN"));
                    self.dbg(1, format!("ISAKMP: sending INFO exchange, notify NO-PROPOSAL-CHOSEN (14) to {peer1}"));
                    self.dbg(0, format!("ISAKMP: Exchange {ex1}: received notify NO-PROPOSAL-CHOSEN (14) from {peer2}; quick mode failed"));
                    self.log(
                        0,
                        "ISAK",
                        "PH2",
                        format!("Phase 2 exchange {ex1} with {peer2} failed: no proposal chosen"),
                    );
                    self.log(
                        1,
                        "ISAK",
                        "PH2",
                        format!("Phase 2 with {peer1} failed: no proposal chosen"),
                    );
                    self.peers[0].bump_isakmp("phase2Failed");
                    self.peers[0].bump_isakmp("retryIkeAttemptsPh2");
                    self.end_exchange(0, ex1);
                    // The ISAKMP SA stays up; quick mode is retried later.
                    self.neg = None;
                    self.schedule_quick(20);
                    return;
                }
                let out1 = self.new_spi();
                let in1 = self.new_spi();
                self.end_exchange(0, ex1);
                self.establish_ipsec(out1, in1);
                self.dbg(0, format!("ISAKMP: Exchange {ex1}: quick mode complete, IPsec SA bundle created, ESP outbound SPI {out1}, inbound SPI {in1}"));
                self.dbg(1, format!("ISAKMP: quick mode with {peer1} complete, IPsec SA bundle created, ESP outbound SPI {in1}, inbound SPI {out1}"));
                self.log(
                    0,
                    "IPSE",
                    "BUND",
                    format!("IPsec SA bundle created for policy \"{POLICY}\""),
                );
                self.log(
                    1,
                    "IPSE",
                    "BUND",
                    format!("IPsec SA bundle created for policy \"{POLICY}\""),
                );
                for p in 0..2 {
                    self.peers[p].bump_isakmp("phase2Completed");
                }
                self.neg = None;
                if self.next_heartbeat < self.now {
                    self.next_heartbeat = self.now + Duration::from_secs(20);
                }
                return;
            }
            (2, 0) => {
                // Quick mode again on the ISAKMP SA that is still up.
                if self.peers[0].ike_sas.is_empty() {
                    self.neg = None;
                    return;
                }
                self.peers[0].exchanges.push(SimExchange {
                    id: ex1,
                    phase: "2",
                    state: "SENDING_HASH_SA_NONCE",
                    peer: peer2.clone(),
                    kind: "QUICK",
                });
                let ids = self.proxy_ids();
                self.dbg(
                    0,
                    format!(
                        "ISAKMP: Exchange {ex1}: quick mode started with {peer2}, proxy IDs {ids}"
                    ),
                );
                n.step = 1;
            }
            _ => {
                self.neg = None;
                return;
            }
        }
        // The negotiation goes on with its next message.
        n.at = self.now + STEP;
        self.neg = Some(n);
    }

    /// The proxy IDs Peer1 proposes in quick mode: its lad and rad.
    fn proxy_ids(&self) -> String {
        let s = self.scenario;
        format!("{}/24 <-> {}/24", facts(s, 0).lan, facts(s, 1).lan)
    }

    fn schedule_quick(&mut self, secs: u64) {
        let q = self.next_exchange;
        self.next_exchange += 1;
        self.neg = Some(Neg {
            phase: 2,
            step: 0,
            at: self.now + Duration::from_secs(secs),
            ex: [q, 0],
            retransmits: 0,
        });
    }

    fn heartbeat(&mut self) {
        self.next_heartbeat = self.now + Duration::from_secs(20);
        let up = !self.peers[0].ike_sas.is_empty()
            && self.peers[0].ike_sas.iter().all(|s| s.established);
        if !up {
            return;
        }
        let (a, b) = (Self::wan(0), Self::wan(1));
        match self.scenario {
            Scenario::SaAccumulation => {
                self.dbg(0, format!("ISAKMP: sending heartbeat to {b}"));
                if self.now.saturating_sub(self.last_heard) >= Duration::from_secs(40) {
                    // Peer1 expects heartbeats that Peer2 never sends: it gives up on the peer,
                    // deletes its SAs (and, with senddeletes=false, tells nobody).
                    self.dbg(0, format!("ISAKMP: no heartbeat received from {b} for 40 seconds: peer considered dead, deleting ISAKMP and IPsec SAs (no delete sent: senddeletes=false)"));
                    self.log(
                        0,
                        "ISAK",
                        "HBT",
                        format!("Heartbeats from {b} missing: SAs deleted"),
                    );
                    self.peers[0].ike_sas.clear();
                    self.peers[0].ipsec_sas.clear();
                    self.next_attempt = self.now + Duration::from_secs(2);
                }
            }
            Scenario::SaOutOfStep => {}
            _ => {
                self.dbg(0, format!("ISAKMP: sending heartbeat (R-U-THERE) to {b}"));
                self.dbg(
                    1,
                    format!("ISAKMP: heartbeat received from {a}, sending R-U-THERE-ACK"),
                );
                self.dbg(0, format!("ISAKMP: heartbeat acknowledged by {b}"));
                self.last_heard = self.now;
            }
        }
    }

    /// The next heartbeat no later than `after` from now: the demo opens with debug on at
    /// both ends, and its first screen should show the stream moving (the scenario's own
    /// heartbeats are 20 s apart).
    pub fn heartbeat_within(&mut self, after: Duration) {
        self.next_heartbeat = self.next_heartbeat.min(self.now + after);
    }

    /// A debug line of the caller's (benchmarks time the stream with these).
    pub fn debug_line(&mut self, p: usize, text: impl Into<String>) {
        self.dbg(p.min(1), text);
    }

    /// Peer `p` restarts: every SA and exchange it had is gone (the other peer keeps its
    /// own, as after a power cut), and the initiator negotiates afresh.
    pub fn restart(&mut self, p: usize) {
        let peer = &mut self.peers[p];
        peer.ike_sas.clear();
        peer.ipsec_sas.clear();
        peer.exchanges.clear();
        peer.debug_listeners = 0;
        peer.isakmp_enabled = true;
        peer.ipsec_enabled = true;
        if p == 0 {
            self.neg = None;
            self.next_attempt = self.now + Duration::from_secs(2);
        }
        self.log(p, "ISAK", "SYS", "Router restarted".into());
    }

    /// `disable ipsec`, `disable isakmp`, `enable isakmp`, `enable ipsec` on peer `p`.
    pub fn set_module(&mut self, p: usize, module: &str, enable: bool) {
        let name = PEERS[p].wan;
        match (module, enable) {
            ("ipsec", false) => {
                self.peers[p].ipsec_enabled = false;
                self.peers[p].ipsec_sas.clear();
                self.dbg(p, "IPSEC: module disabled, all IPsec SAs deleted");
            }
            ("isakmp", false) => {
                self.peers[p].isakmp_enabled = false;
                self.peers[p].ike_sas.clear();
                self.peers[p].exchanges.clear();
                if p == 0 {
                    self.neg = None;
                }
                self.dbg(
                    p,
                    "ISAKMP: module disabled, all ISAKMP SAs and exchanges deleted",
                );
            }
            ("isakmp", true) => {
                self.peers[p].isakmp_enabled = true;
                self.dbg(p, "ISAKMP: module enabled");
            }
            ("ipsec", true) => {
                self.peers[p].ipsec_enabled = true;
                self.dbg(p, format!("IPSEC: module enabled on {name}"));
            }
            _ => return,
        }
        // With both modules up again, the initiator negotiates afresh.
        let a = &self.peers[0];
        if a.isakmp_enabled && a.ipsec_enabled && a.ike_sas.is_empty() && self.neg.is_none() {
            self.next_attempt = self.now + Duration::from_secs(1);
        }
    }

    /// A ping from the PC behind peer `from` to `target`, through the tunnel when the target is
    /// on the other LAN. Returns whether a reply came back; counters move as the packets
    /// would move them.
    pub fn lan_ping(&mut self, from: usize, target: &str) -> bool {
        let from = from.min(1);
        let to = 1 - from;
        let s = self.scenario;
        let remote_lan = facts(s, to).lan.trim_end_matches(".0");
        if target == PEERS[to].wan || target == PEERS[from].wan {
            return true; // plain WAN ping: no tunnel involved
        }
        let own_lan = facts(s, from).lan.trim_end_matches(".0");
        if target.starts_with(own_lan) {
            if s == Scenario::SameSubnet {
                // The PC thinks the far PC is on its own LAN and asks for it there; nobody
                // answers, and the router never sees the packet.
                return target == facts(s, from).pc
                    || target == super::scenario::lan_address(s, from);
            }
            return true; // on the PC's own LAN: no tunnel involved
        }
        if !target.starts_with(remote_lan) {
            return false;
        }
        self.send_esp(from, to) && self.send_esp(to, from)
    }

    /// One packet through the tunnel from `a` to `b`.
    fn send_esp(&mut self, a: usize, b: usize) -> bool {
        let (wa, wb) = (Self::wan(a), Self::wan(b));
        if !self.peers[a].ipsec_enabled {
            return false;
        }
        if self.leaves_in_clear(a) {
            self.send_clear(a);
            return false;
        }
        self.peers[a].bump("outProcessStarted");
        let Some(sa) = self.peers[a].valid_sa().cloned() else {
            self.peers[a].bump("outDropNoSa");
            self.dbg(
                a,
                format!(
                    "IPSEC: no SA for packet to {}, starting negotiation",
                    PEERS[b].pc
                ),
            );
            if a == 0 && self.neg.is_none() && self.next_attempt == Duration::MAX {
                self.next_attempt = self.now + Duration::from_millis(100);
            }
            return false;
        };
        self.peers[a].bump("outProcessDone");
        let known = self.peers[b]
            .ipsec_sas
            .iter()
            .any(|s| s.in_spi == sa.out_spi);
        self.peers[b].bump("inProcessStarted");
        if !known {
            self.peers[b].bump("inDropUnknownSpi");
            self.peers[b].bump_isakmp("badSpiRequests");
            self.peers[b].bump_isakmp("badSpiSendNotifyUnset");
            self.dbg(
                b,
                format!(
                    "IPSEC: ESP packet from {wa} with unknown SPI {} dropped (respondbadspi=false)",
                    sa.out_spi
                ),
            );
            self.log(
                b,
                "IPSE",
                "SPI",
                format!("Packet with unknown SPI {} from {wa}", sa.out_spi),
            );
            return false;
        }
        let _ = wb;
        self.peers[b].bump("inProcessDone");
        true
    }
}

mod faults;

#[cfg(test)]
mod tests;
