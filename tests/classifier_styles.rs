//! The debug classifier on IKEv1 debug text in the styles of several implementations.
//!
//! No AlliedWare debug sample is published, so the classifier must place lines from any IKEv1
//! implementation sensibly. Each table below holds lines written in one implementation's style
//! with the phase and failure flag an IKE engineer would give them:
//! - a line naming a mode, state or SA object takes that phase, even when it carries an error
//!   notify (a NO-PROPOSAL-CHOSEN in quick mode is phase 2 and a failure);
//! - a standalone notify, delete, DPD / heartbeat or initial-contact line is `info` (also when
//!   the notify is an error: the line alone does not say which phase failed);
//! - a line that says nothing IKE-specific is `none`.
//!
//! Lines whose phase the line itself does not tell (a bare "no suitable proposal found") are in
//! `PHASE_UNSTATED`, where only the failure flag is checked.
//!
//! Every mismatch is collected, and the test fails once listing them all.

use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::model::Phase;

use Phase::{Info, None as NoPhase, One, OneAndHalf as OnePointFive, Two};

type Sample = (&'static str, Phase, bool);

// ---- strongSwan charon, IKEv1 ---------------------------------------------------------------
const STRONGSWAN: &[Sample] = &[
    ("09[IKE] initiating Main Mode IKE_SA peer[1] to 200.200.200.1", One, false),
    ("09[IKE] initiating Aggressive Mode IKE_SA peer[1] to 200.200.200.1", One, false),
    ("09[ENC] generating ID_PROT request 0 [ SA V V V V V ]", One, false),
    ("09[NET] sending packet: from 1.1.1.1[500] to 200.200.200.1[500] (180 bytes)", NoPhase, false),
    ("10[NET] received packet: from 200.200.200.1[500] to 1.1.1.1[500] (160 bytes)", NoPhase, false),
    ("10[ENC] parsing ID_PROT response 0 [ SA V V V ]", One, false),
    ("10[IKE] received NAT-T (RFC 3947) vendor ID", One, false),
    ("10[IKE] received DPD vendor ID", One, false),
    ("10[IKE] received XAuth vendor ID", One, false),
    ("10[CFG] received proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024", One, false),
    ("10[CFG] selected proposal: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048", One, false),
    ("10[ENC] generating ID_PROT request 0 [ KE No NAT-D NAT-D ]", One, false),
    ("11[ENC] generating ID_PROT request 0 [ ID HASH N(INITIAL_CONTACT) ]", One, false),
    ("11[ENC] generating AGGRESSIVE request 0 [ SA KE No ID V V V V ]", One, false),
    ("11[CFG] looking for pre-shared key peer configs matching 1.1.1.1...200.200.200.1[200.200.200.1]", One, false),
    ("12[IKE] IKE_SA peer[1] established between 1.1.1.1[1.1.1.1]...200.200.200.1[200.200.200.1]", One, false),
    ("12[IKE] establishing IKE_SA failed, peer not responding", One, true),
    ("12[IKE] received AUTHENTICATION_FAILED error notify", One, true),
    ("12[IKE] sending retransmit 2 of request message ID 0, seq 1", One, true),
    ("13[ENC] generating TRANSACTION request 1865273104 [ HASH CPRQ(X_USER X_PWD) ]", OnePointFive, false),
    ("13[ENC] parsing TRANSACTION request 2394873401 [ HASH CPS(INTERNAL_IP4_ADDRESS INTERNAL_IP4_DNS) ]", OnePointFive, false),
    ("13[IKE] XAuth authentication of 'bob' successful", OnePointFive, false),
    ("13[IKE] XAuth authentication of 'bob' failed", OnePointFive, true),
    ("13[IKE] installing new virtual IP 10.3.0.1", OnePointFive, false),
    ("13[IKE] assigning virtual IP 10.3.0.1 to peer 'bob'", OnePointFive, false),
    ("13[IKE] handling INTERNAL_IP4_DNS attribute failed", OnePointFive, true),
    ("14[IKE] establishing CHILD_SA peer{1}", Two, false),
    ("14[ENC] generating QUICK_MODE request 3135 [ HASH SA No ID ID ]", Two, false),
    ("14[ENC] parsing QUICK_MODE response 3135 [ HASH SA No ID ID ]", Two, false),
    ("14[CFG] selected proposal: ESP:AES_CBC_128/HMAC_SHA1_96/NO_EXT_SEQ", Two, false),
    ("14[IKE] CHILD_SA peer{1} established with SPIs c8f9a1b2_i 0d4e5f60_o and TS 10.1.0.0/16 === 10.2.0.0/16", Two, false),
    ("14[IKE] detected rekeying of CHILD_SA peer{2}", Two, false),
    ("15[IKE] sending DPD request", Info, false),
    ("15[ENC] generating INFORMATIONAL_V1 request 2215430430 [ HASH N(DPD) ]", Info, false),
    ("15[ENC] parsing INFORMATIONAL_V1 request 1428853225 [ HASH N(DPD_ACK) ]", Info, false),
    ("15[IKE] DPD check timed out, enforcing DPD action", Info, true),
    ("16[IKE] received NO_PROPOSAL_CHOSEN error notify", Info, true),
    ("16[ENC] generating INFORMATIONAL_V1 request 3976563434 [ HASH D ]", Info, false),
    ("16[IKE] received DELETE for ESP CHILD_SA with SPI c8f9a1b2", Info, false),
    ("16[IKE] deleting IKE_SA peer[1] between 1.1.1.1[1.1.1.1]...200.200.200.1[200.200.200.1]", Info, false),
    ("00[DMN] Starting IKE charon daemon (strongSwan 5.9.5, Linux 5.15.0, x86_64)", NoPhase, false),
    ("00[CFG] loading secrets from '/etc/ipsec.secrets'", NoPhase, false),
    ("00[JOB] spawning 16 worker threads", NoPhase, false),
    ("05[KNL] 10.1.0.1 appeared on eth1", NoPhase, false),
];

// ---- racoon (ipsec-tools) -------------------------------------------------------------------
// racoon prefixes every message with its log level: `INFO:` must not make a line informational,
// nor `NOTIFY:` a notify; `ERROR:` lines are failures.
const RACOON: &[Sample] = &[
    ("2024-03-01 10:15:02: INFO: initiate new phase 1 negotiation: 192.168.1.1[500]<=>200.200.200.1[500]", One, false),
    ("2024-03-01 10:15:02: INFO: begin Identity Protection mode.", One, false),
    ("2024-03-01 10:15:02: INFO: begin Aggressive mode.", One, false),
    ("2024-03-01 10:15:02: INFO: respond new phase 1 negotiation: 192.168.1.1[500]<=>200.200.200.1[500]", One, false),
    ("2024-03-01 10:15:02: INFO: received Vendor ID: RFC 3947", One, false),
    ("2024-03-01 10:15:02: INFO: received Vendor ID: DPD", One, false),
    ("2024-03-01 10:15:02: INFO: received Vendor ID: draft-ietf-ipsra-isakmp-xauth-06.txt", One, false),
    ("2024-03-01 10:15:03: [200.200.200.1] INFO: Selected NAT-T version: RFC 3947", One, false),
    ("2024-03-01 10:15:03: INFO: Adding remote and local NAT-D payloads.", One, false),
    ("2024-03-01 10:15:03: [200.200.200.1] INFO: NAT-D payload #0 verified", One, false),
    ("2024-03-01 10:15:03: INFO: ISAKMP-SA established 192.168.1.1[500]-200.200.200.1[500] spi:9e1f2c3d4b5a6978:1a2b3c4d5e6f7a8b", One, false),
    ("Mar  1 10:15:03 gw racoon: ERROR: couldn't find the pskey for 200.200.200.1.", One, true),
    ("Mar  1 10:15:03 gw racoon: ERROR: failed to process ph1 packet (side: 1, status: 1).", One, true),
    ("Mar  1 10:15:03 gw racoon: ERROR: phase1 negotiation failed.", One, true),
    ("Mar  1 10:16:02 gw racoon: ERROR: phase1 negotiation failed due to time up. 9e1f2c3d4b5a6978:0000000000000000", One, true),
    ("Mar  1 10:16:02 gw racoon: ERROR: fatal NO-PROPOSAL-CHOSEN notify messsage, phase1 should be deleted.", One, true),
    ("2024-03-01 10:15:04: INFO: ISAKMP-SA expired 192.168.1.1[500]-200.200.200.1[500] spi:9e1f2c3d4b5a6978:1a2b3c4d5e6f7a8b", One, false),
    ("2024-03-01 10:15:04: INFO: Sending Xauth request", OnePointFive, false),
    ("2024-03-01 10:15:04: ERROR: Xauth reply but peer did not declare itself as Xauth capable", OnePointFive, true),
    ("2024-03-01 10:15:05: INFO: initiate new phase 2 negotiation: 192.168.1.1[500]<=>200.200.200.1[500]", Two, false),
    ("2024-03-01 10:15:05: INFO: respond new phase 2 negotiation: 192.168.1.1[500]<=>200.200.200.1[500]", Two, false),
    ("2024-03-01 10:15:05: INFO: IPsec-SA established: ESP/Tunnel 200.200.200.1[500]->192.168.1.1[500] spi=123456789(0x75bcd15)", Two, false),
    ("2024-03-01 10:15:05: INFO: IPsec-SA expired: ESP/Tunnel 200.200.200.1[500]->192.168.1.1[500] spi=123456789(0x75bcd15)", Two, false),
    ("Mar  1 10:16:05 gw racoon: ERROR: failed to pre-process ph2 packet (side: 1, status: 1).", Two, true),
    ("Mar  1 10:16:05 gw racoon: ERROR: phase2 negotiation failed due to time up waiting for phase1. ESP 200.200.200.1[0]->192.168.1.1[0]", Two, true),
    ("Nov 20 10:39:26 k2 racoon: ERROR: pfkey.c:740:pfkey_timeover(): 200.200.200.1 give up to get IPsec-SA due to time up to wait.", Two, true),
    ("2024-03-01 10:17:00: INFO: DPD: remote (ISAKMP-SA spi=9e1f2c3d4b5a6978:1a2b3c4d5e6f7a8b) seems to be dead.", Info, true),
    ("2024-03-01 10:17:00: DEBUG: received an R-U-THERE-ACK", Info, false),
    ("2024-03-01 10:17:00: INFO: purging ISAKMP-SA spi=9e1f2c3d4b5a6978:1a2b3c4d5e6f7a8b.", Info, false),
    ("2024-03-01 10:17:00: INFO: purged IPsec-SA proto_id=ESP spi=123456789.", Info, false),
    ("2024-03-01 10:17:00: INFO: ISAKMP-SA deleted 192.168.1.1[500]-200.200.200.1[500] spi:9e1f2c3d4b5a6978:1a2b3c4d5e6f7a8b", Info, false),
    ("2024-03-01 10:17:00: INFO: sendto Information delete.", Info, false),
    ("Dec 23 15:06:24 sapphire racoon: DEBUG: notification message 14:NO-PROPOSAL-CHOSEN, doi=1 proto_id=3 spi=00f1f2ed(size=4).", Info, true),
    ("2024-03-01 10:15:00: INFO: @(#)ipsec-tools 0.8.2 (http://ipsec-tools.sourceforge.net)", NoPhase, false),
    ("2024-03-01 10:15:00: INFO: @(#)This product linked OpenSSL 1.0.1e 11 Feb 2013 (http://www.openssl.org/)", NoPhase, false),
    ("2024-03-01 10:15:00: INFO: 192.168.1.1[500] used as isakmp port (fd=7)", NoPhase, false),
    ("2024-03-01 10:15:02: DEBUG: 92 bytes message received from 200.200.200.1[500] to 192.168.1.1[500]", NoPhase, false),
];

// ---- Cisco IOS `debug crypto isakmp` / `debug crypto ipsec` ---------------------------------
const CISCO_IOS: &[Sample] = &[
    ("ISAKMP:(0):Old State = IKE_READY  New State = IKE_I_MM1", One, false),
    ("ISAKMP:(0): beginning Main Mode exchange", One, false),
    ("*Mar  1 00:12:34.567: ISAKMP:(0): beginning Aggressive Mode exchange", One, false),
    ("ISAKMP:(0): sending packet to 200.200.200.1 my_port 500 peer_port 500 (I) MM_NO_STATE", One, false),
    ("ISAKMP (0:0): received packet from 200.200.200.1 dport 500 sport 500 Global (I) MM_NO_STATE", One, false),
    ("ISAKMP:(0):Input = IKE_MESG_FROM_PEER, IKE_MM_EXCH", One, false),
    ("ISAKMP:(0):Checking ISAKMP transform 1 against priority 10 policy", One, false),
    ("ISAKMP:(0):found peer pre-shared key matching 200.200.200.1", One, false),
    ("ISAKMP:(0):No pre-shared key with 200.200.200.1!", One, true),
    ("ISAKMP:(0): processing KE payload. message ID = 0", One, false),
    ("ISAKMP:(0): processing NONCE payload. message ID = 0", One, false),
    ("ISAKMP:(0): processing vendor id payload", One, false),
    ("ISAKMP:(0): vendor ID is DPD", One, false),
    ("ISAKMP:(0):Old State = IKE_I_MM4  New State = IKE_I_MM5", One, false),
    ("ISAKMP:(1001):Old State = IKE_I_MM6  New State = IKE_P1_COMPLETE", One, false),
    ("ISAKMP:(1001): retransmitting phase 1 MM_KEY_EXCH...", One, true),
    ("ISAKMP:(1001):deleting SA reason \"Death by retransmission P1\" state (I) MM_KEY_EXCH (peer 200.200.200.1)", One, true),
    ("%CRYPTO-6-IKMP_MODE_FAILURE: Processing of Main mode failed with peer at 1.2.3.4", One, true),
    ("ISAKMP/xauth: request attribute XAUTH_USER_NAME_V2", OnePointFive, false),
    ("ISAKMP:(1001):Old State = IKE_P1_COMPLETE  New State = IKE_XAUTH_REQ_SENT", OnePointFive, false),
    ("ISAKMP:(1001):Input = IKE_MESG_FROM_PEER, IKE_CFG_REPLY", OnePointFive, false),
    ("ISAKMP:(1001): processing transaction payload from 200.200.200.1. message ID = 2140165410", OnePointFive, false),
    ("ISAKMP:(1001):beginning Quick Mode exchange, M-ID of 1867521356", Two, false),
    ("ISAKMP:(1001):Old State = IKE_QM_READY  New State = IKE_QM_I_QM1", Two, false),
    ("ISAKMP:(1001):Node 1867521356, Input = IKE_MESG_FROM_PEER, IKE_QM_EXCH", Two, false),
    ("ISAKMP:(1001): processing SA payload. message ID = 1867521356", Two, false),
    ("ISAKMP:(1001): processing ID payload. message ID = 1867521356", Two, false),
    ("ISAKMP:(1002):Checking IPSec proposal 1", Two, false),
    ("ISAKMP: transform 1, ESP_AES", Two, false),
    ("IPSEC(validate_proposal_request): proposal part #1", Two, false),
    ("IPSEC(validate_transform_proposal): proxy identities not supported", Two, true),
    ("ISAKMP:(1001): phase 2 SA policy not acceptable! (local 1.1.1.1 remote 200.200.200.1)", Two, true),
    ("ISAKMP:(1001):IPSec policy invalidated proposal with error 32", Two, true),
    ("ISAKMP:(1001):deleting node 1867521356 error TRUE reason \"QM rejected\"", Two, true),
    ("ISAKMP:(1001):QM Initiator gets spi", Two, false),
    ("IPSEC(create_sa): sa created, (sa) sa_dest= 200.200.200.1, sa_proto= 50, sa_spi= 0x1A2B3C4D(439041101), sa_trans= esp-aes esp-sha-hmac , sa_conn_id= 2001", Two, false),
    ("ISAKMP:(1001): retransmitting phase 2 QM_IDLE 1867521356 ...", Two, true),
    ("%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=1.1.1.1, prot=50, spi=0x1A2B3C4D(439041101), srcaddr=200.200.200.1", Two, true),
    ("ISAKMP:(1001):Send initial contact", Info, false),
    ("ISAKMP:(1001): processing NOTIFY INVALID_ID_INFO protocol 1", Info, true),
    ("ISAKMP:(1001):DPD/R_U_THERE received from peer 200.200.200.1, sequence 0x2A1B3C4D", Info, false),
    ("ISAKMP: (1001):DPD/R_U_THERE sent to 200.200.200.1 seq 0x2A1B3C4E", Info, false),
    ("ISAKMP:(1001):Sending NOTIFY DPD/R_U_THERE_ACK protocol 1", Info, false),
    ("ISAKMP:(1001):processing DELETE payload. message ID = 4038749398, spi size = 4", Info, false),
    ("ISAKMP:(1001): processing NOTIFY RESPONDER_LIFETIME protocol 3", Info, false),
    ("ISAKMP:(0):Sending an IKE IPv4 Packet.", NoPhase, false),
    ("ISAKMP: Created a peer struct for 200.200.200.1, peer port 500", NoPhase, false),
    ("ISAKMP: Locking peer struct 0x6A1B2C3D, refcount 1 for isakmp_initiator", NoPhase, false),
    ("*Mar  1 00:12:35.011: ISAKMP: Unlocking peer struct 0x6A1B2C3D for isadb_mark_sa_deleted(), count 0", NoPhase, false),
];

// ---- Libreswan / Openswan pluto -------------------------------------------------------------
const PLUTO: &[Sample] = &[
    ("\"tunnel\" #1: initiating Main Mode", One, false),
    ("002 \"tunnel\" #1: initiating Main Mode", One, false),
    ("\"tunnel\" #1: STATE_MAIN_I1: initiate", One, false),
    ("\"tunnel\" #1: STATE_MAIN_I2: sent MI2, expecting MR2", One, false),
    ("\"tunnel\" #1: STATE_MAIN_I3: sent MI3, expecting MR3", One, false),
    ("\"tunnel\" #1: received Vendor ID payload [Dead Peer Detection]", One, false),
    ("\"tunnel\" #1: received Vendor ID payload [XAUTH]", One, false),
    ("\"tunnel\" #1: received Vendor ID payload [RFC 3947] method set to=115", One, false),
    ("\"tunnel\" #1: NAT-Traversal: Result using RFC 3947 (NAT-Traversal) sender port 500: no NAT detected", One, false),
    ("\"tunnel\" #1: Main mode peer ID is ID_IPV4_ADDR: '200.200.200.1'", One, false),
    ("\"tunnel\" #1: STATE_MAIN_I4: ISAKMP SA established {auth=PRESHARED_KEY cipher=aes_256 integ=sha group=MODP2048}", One, false),
    ("\"tunnel\" #1: responding to Main Mode", One, false),
    ("\"tunnel\" #1: STATE_MAIN_R1: sent MR1, expecting MI2", One, false),
    ("\"tunnel\" #1: initiating Aggressive Mode #1, connection \"tunnel\"", One, false),
    ("\"tunnel\" #1: STATE_AGGR_I2: sent AI2, ISAKMP SA established", One, false),
    ("\"tunnel\"[1] 200.200.200.1 #4: responding to Aggressive Mode", One, false),
    ("\"tunnel\" #1: max number of retransmissions (2) reached STATE_MAIN_I1.  No response (or no acceptable response) to our first IKE message", One, true),
    ("\"tunnel\" #1: Can't authenticate: no preshared key found for '1.1.1.1' and '200.200.200.1'.  Attribute OAKLEY_AUTHENTICATION_METHOD", One, true),
    ("\"tunnel\" #1: no acceptable Oakley Transform", One, true),
    ("\"xauth-client\" #1: XAUTH: Answering XAUTH challenge with user='bob'", OnePointFive, false),
    ("\"xauth-client\" #1: XAUTH: Successfully Authenticated", OnePointFive, false),
    ("\"xauth-client\" #1: STATE_XAUTH_I1: XAUTH client - possibly awaiting CFG_set {auth=PRESHARED_KEY cipher=aes_256 integ=sha group=MODP2048}", OnePointFive, false),
    ("\"xauth-client\" #1: modecfg: Sending IP request (MODECFG_I1)", OnePointFive, false),
    ("\"xauth-server\" #1: STATE_MODE_CFG_R1: ModeCfg Set sent, expecting Ack", OnePointFive, false),
    ("\"tunnel\" #2: initiating Quick Mode PSK+ENCRYPT+TUNNEL+PFS+UP+IKEV1_ALLOW+IKEV2_ALLOW {using isakmp#1 msgid:5a1f2e3d proposal=AES(12)_256-SHA1(2)_160 pfsgroup=OAKLEY_GROUP_MODP2048}", Two, false),
    ("\"tunnel\" #2: STATE_QUICK_I2: sent QI2, IPsec SA established tunnel mode {ESP=>0x1a2b3c4d <0x5e6f7a8b xfrm=AES_CBC_256-HMAC_SHA1_96 NATOA=none NATD=none DPD=passive}", Two, false),
    ("\"tunnel\" #3: responding to Quick Mode proposal {msgid:6b2a3f4e}", Two, false),
    ("\"tunnel\" #3: STATE_QUICK_R1: sent QR1, inbound IPsec SA installed, expecting QI2", Two, false),
    ("\"tunnel\" #2: max number of retransmissions (2) reached STATE_QUICK_I1.  No acceptable response to our first Quick Mode message: perhaps peer likes no proposal", Two, true),
    ("\"tunnel\" #2: cannot respond to IPsec SA request because no connection is known for 10.2.0.0/16===200.200.200.1...1.1.1.1===10.1.0.0/16", Two, true),
    ("\"tunnel\" #2: no acceptable Proposal in IPsec SA", Two, true),
    ("\"tunnel\" #2: Quick Mode I1 message is unacceptable because it uses a previously used Message ID 0x5a1f2e3d (perhaps this is a duplicated packet)", Two, true),
    ("\"tunnel\" #1: ignoring informational payload, type NO_PROPOSAL_CHOSEN msgid=00000000", Info, true),
    ("\"tunnel\" #1: sending notification INVALID_ID_INFORMATION to 200.200.200.1:500", Info, true),
    ("\"tunnel\" #1: sending encrypted notification INVALID_MESSAGE_ID to 200.200.200.1:500", Info, true),
    ("\"tunnel\" #1: received Delete SA payload: deleting ISAKMP State #1", Info, false),
    ("\"tunnel\" #2: received Delete SA(0x1a2b3c4d) payload: deleting IPSEC State #2", Info, false),
    ("\"tunnel\" #1: DPD: No response from peer - declaring peer dead", Info, true),
    ("\"tunnel\" #1: received and ignored informational message", Info, false),
    ("| processing version=1.0 packet with exchange type=ISAKMP_XCHG_IDPROT (2)", One, false),
    ("| processing version=1.0 packet with exchange type=ISAKMP_XCHG_QUICK (32)", Two, false),
    ("| processing version=1.0 packet with exchange type=ISAKMP_XCHG_INFO (5)", Info, false),
    ("Mar  1 10:15:02 gw pluto[2718]: loading secrets from \"/etc/ipsec.secrets\"", NoPhase, false),
    ("Mar  1 10:15:02 gw pluto[2718]: adding interface eth0/eth0 1.1.1.1:500", NoPhase, false),
    ("Mar  1 10:15:02 gw pluto[2718]: | *received 92 bytes from 200.200.200.1:500 on eth0 (port=500)", NoPhase, false),
];

// ---- AlliedWare-flavoured (invented from the vocabulary of ALLIEDWARE.md) --------------------
const ALLIEDWARE: &[Sample] = &[
    ("ISAKMP: Exchange 348 created: type MAIN, peer 200.200.200.1, role INITIATOR", One, false),
    ("ISAKMP: Exchange 348 state IDLE -> SASENT", One, false),
    ("ISAKMP: Exchange 348 state SASENT, retransmitting message (attempt 3 of 8)", One, true),
    ("ISAKMP: Exchange 348 state SASENT: no response from 200.200.200.1 after 8 attempts, exchange deleted", One, true),
    ("ISAKMP: Exchange 348 SARECV -> KESENT", One, false),
    ("ISAKMP: Exchange 348 KERECV -> AUTHSENT, sending ID and HASH payloads", One, false),
    ("ISAKMP: Exchange 348 state AUTHRECV: hash verification failed, peer 200.200.200.1", One, true),
    ("ISAKMP: Exchange 348 received NOTIFY PAYLOAD-MALFORMED (16), state KESENT", One, true),
    ("ISAKMP: Exchange 348 authentication failed: pre-shared key mismatch with 200.200.200.1", One, true),
    ("ISAKMP: Exchange 348 state UP, ISAKMP SA 5 established with 200.200.200.1, cookies 1a2b3c4d5e6f7a8b/9e8d7c6b5a493827", One, false),
    ("ISAKMP: Exchange 348 Phase 1 complete, ISAKMP SA 5", One, false),
    ("ISAKMP: Exchange 350 created: type AGGRESSIVE, peer 200.200.200.1", One, false),
    ("ISAKMP: Exchange 350 state SAKESENT", One, false),
    ("ISAKMP: Exchange 350 SAKEAUTHRECV -> AUTHSENT", One, false),
    ("ISAKMP: Exchange 348 using ISAKMP policy isakmp_peer1 for peer 200.200.200.1 (peer=any)", One, false),
    ("ISAKMP: ISAKMP SA 5 expired (hard limit 86400 seconds)", One, false),
    ("ISAKMP: Vendor ID received: RFC 3706 DPD", One, false),
    ("ISAKMP: NAT-T detected, floating to port 4500", One, false),
    ("ISAKMP: Exchange 351 created: type TRANSACTION, peer 200.200.200.1", OnePointFive, false),
    ("ISAKMP: Exchange 351 state REQSENT, XAUTH request sent", OnePointFive, false),
    ("ISAKMP: Exchange 351 state SETRECV: mode config address 192.168.100.10 assigned", OnePointFive, false),
    ("ISAKMP: Exchange 351 XAUTH failed for user bob", OnePointFive, true),
    ("ISAKMP: Exchange 349 created: type QUICK, SA 5, peer 200.200.200.1, message id 0x3a4b5c6d", Two, false),
    ("ISAKMP: Exchange 349 state WAIT_HASH_SA_NONCE", Two, false),
    ("ISAKMP: Exchange 349 QUICK message 1 sent, message id 0x3a4b5c6d", Two, false),
    ("ISAKMP: Exchange 349 state SENDING_HASH -> DONE, IPsec SA bundle 2 created", Two, false),
    ("ISAKMP: Exchange 349 received NOTIFY NO-PROPOSAL-CHOSEN (14) from 200.200.200.1, type QUICK", Two, true),
    ("ISAKMP: Exchange 349 state WAIT_HASH_SA_NONCE: no proposal matches IPsec policy wiz_Peer1 to Peer2", Two, true),
    ("ISAKMP: Exchange 349 received NOTIFY INVALID-ID-INFORMATION (18), state WAIT_HASH", Two, true),
    ("ISAKMP: Phase 2 exchange 355 using PFS group 2", Two, false),
    ("IPSEC: SA bundle 2 state CREATING -> VALID, OutSPI 2882400018 InSPI 3735928559", Two, false),
    ("IPSEC: Packet received from 200.200.200.1 with unknown SPI 3735928559, policy wiz_Peer1 to Peer2", Two, true),
    ("ISAKMP: Exchange 352 created: type INFO, peer 200.200.200.1", Info, false),
    ("ISAKMP: Exchange 352 sending NOTIFY INITIAL-CONTACT (24578)", Info, false),
    ("ISAKMP: Exchange 352 received NOTIFY RESPONDER-LIFETIME (24576), SA lifetime 3600 seconds", Info, false),
    ("ISAKMP: Exchange 353 received NOTIFY R-U-THERE (36136) from 200.200.200.1", Info, false),
    ("ISAKMP: Exchange 353 sending NOTIFY R-U-THERE-ACK (36137)", Info, false),
    ("ISAKMP: Heartbeat sent to 200.200.200.1, sequence 117", Info, false),
    ("ISAKMP: Heartbeat timeout for peer 200.200.200.1, deleting ISAKMP SA 5", Info, true),
    ("ISAKMP: received NOTIFY INVALID-SPI (11) for SPI 3735928559 from 200.200.200.1", Info, true),
    ("ISAKMP: Exchange 354 received DELETE payload for IPsec SA, SPI 3735928559", Info, false),
    ("ISAKMP: Packet received from 200.200.200.1 port 500, 92 bytes", NoPhase, false),
    ("ENCO: channel 3 opened for DES", NoPhase, false),
];

// ---- lines whose phase the line does not tell: only the failure flag is checked ---------------
const PHASE_UNSTATED: &[(&str, bool)] = &[
    ("10[IKE] giving up after 5 retransmits", true),
    ("10[IKE] no proposal found", true),
    ("10[ENC] invalid HASH_V1 payload length, decryption failed?", true),
    ("10[ENC] could not decrypt payloads", true),
    ("Mar  1 10:15:03 gw racoon: ERROR: no suitable proposal found.", true),
    ("Mar  1 10:15:03 gw racoon: ERROR: failed to get valid proposal.", true),
    ("Mar  1 10:15:03 gw racoon: ERROR: rejected hashtype: DB(prop#1:trns#1):Peer(prop#1:trns#1) = SHA:MD5", true),
    ("Mar  1 10:15:03 gw racoon: WARNING: trns_id mismatched: my:3DES peer:AES", true),
    ("Mar  1 10:15:03 gw racoon: ERROR: no policy found: 10.1.0.0/16[0] 10.2.0.0/16[0] proto=any dir=in", true),
    ("Mar  1 10:15:10 gw racoon: NOTIFY: the packet is retransmitted by 200.200.200.1[500] (1).", true),
    ("ISAKMP:(0):atts are not acceptable. Next payload is 3", true),
    ("ISAKMP:(0):atts are acceptable. Next payload is 0", false),
    ("ISAKMP:(0):Encryption algorithm offered does not match policy!", true),
    ("ISAKMP: Exchange 348 message retransmitted to 200.200.200.1, timer 16 seconds", true),
];

/// Lines carrying a log-level word (racoon's `INFO:` / `NOTIFY:`) that must not make them
/// informational.
const LOG_LEVEL_NOT_INFO: &[&str] = &[
    "Mar  1 10:15:10 gw racoon: NOTIFY: the packet is retransmitted by 200.200.200.1[500] (1).",
    "2024-03-01 10:15:02: INFO: begin Identity Protection mode.",
    "2024-03-01 10:15:00: INFO: @(#)ipsec-tools 0.8.2 (http://ipsec-tools.sourceforge.net)",
];

const STYLES: &[(&str, &[Sample])] = &[
    ("strongSwan", STRONGSWAN),
    ("racoon", RACOON),
    ("Cisco IOS", CISCO_IOS),
    ("pluto", PLUTO),
    ("AlliedWare", ALLIEDWARE),
];

#[test]
fn styles_have_enough_samples() {
    for (style, samples) in STYLES {
        assert!(
            samples.len() >= 25,
            "{style}: only {} samples",
            samples.len()
        );
    }
}

#[test]
fn every_style_is_classified() {
    let c = Classifier::builtin();
    let mut bad = Vec::new();
    for (style, samples) in STYLES {
        for (line, phase, failure) in samples.iter() {
            let r = c.classify(line, true);
            if r.phase != *phase || r.failure != *failure {
                bad.push(format!(
                    "[{style}] {line}\n    expected phase {phase} failure {failure}, got phase {} failure {} (rules {:?})",
                    r.phase, r.failure, r.rules
                ));
            }
            if !c.is_debug(line) {
                bad.push(format!("[{style}] not seen as debug: {line}"));
            }
        }
    }
    for (line, failure) in PHASE_UNSTATED {
        let r = c.classify(line, false);
        if r.failure != *failure {
            bad.push(format!(
                "[phase unstated] {line}\n    expected failure {failure}, got {} (phase {}, rules {:?})",
                r.failure, r.phase, r.rules
            ));
        }
        if !c.is_debug(line) {
            bad.push(format!("[phase unstated] not seen as debug: {line}"));
        }
    }
    for line in LOG_LEVEL_NOT_INFO {
        let r = c.classify(line, false);
        if r.phase == Phase::Info {
            bad.push(format!(
                "[log level] {line}\n    taken as info (rules {:?})",
                r.rules
            ));
        }
    }
    let total: usize = STYLES.iter().map(|(_, s)| s.len()).sum::<usize>() + PHASE_UNSTATED.len();
    assert!(
        bad.is_empty(),
        "{} of {total} lines mismatched:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// What the exchange reference should hold; `None` where the line does not name that part.
struct Expect {
    line: &'static str,
    exchange_id: Option<u32>,
    peer: Option<&'static str>,
    cookie: Option<&'static str>,
    message_id: Option<&'static str>,
}

#[test]
fn exchange_references() {
    let cases = [
        Expect {
            line: "09[IKE] initiating Main Mode IKE_SA peer[1] to 200.200.200.1",
            exchange_id: Some(1),
            peer: Some("200.200.200.1"),
            cookie: None,
            message_id: None,
        },
        Expect {
            line: "14[ENC] generating QUICK_MODE request 3135 [ HASH SA No ID ID ]",
            exchange_id: None,
            peer: None,
            cookie: None,
            message_id: Some("3135"),
        },
        Expect {
            line: "12[IKE] sending retransmit 2 of request message ID 0, seq 1",
            exchange_id: None,
            peer: None,
            cookie: None,
            message_id: Some("0"),
        },
        Expect {
            line: "2024-03-01 10:15:03: INFO: ISAKMP-SA established 192.168.1.1[500]-200.200.200.1[500] spi:9e1f2c3d4b5a6978:1a2b3c4d5e6f7a8b",
            exchange_id: None,
            // The line gives both ends without saying which is the peer: the first is taken.
            peer: Some("192.168.1.1"),
            cookie: Some("9e1f2c3d4b5a6978"),
            message_id: None,
        },
        Expect {
            line: "ISAKMP (0:0): received packet from 200.200.200.1 dport 500 sport 500 Global (I) MM_NO_STATE",
            exchange_id: None,
            peer: Some("200.200.200.1"),
            cookie: None,
            message_id: None,
        },
        Expect {
            line: "ISAKMP:(1001):beginning Quick Mode exchange, M-ID of 1867521356",
            exchange_id: Some(1001),
            peer: None,
            cookie: None,
            message_id: Some("1867521356"),
        },
        Expect {
            line: "ISAKMP:(1001): processing SA payload. message ID = 1867521356",
            exchange_id: Some(1001),
            peer: None,
            cookie: None,
            message_id: Some("1867521356"),
        },
        Expect {
            line: "\"tunnel\" #2: initiating Quick Mode PSK+ENCRYPT+TUNNEL+PFS+UP {using isakmp#1 msgid:5a1f2e3d proposal=AES(12)_256-SHA1(2)_160 pfsgroup=OAKLEY_GROUP_MODP2048}",
            exchange_id: Some(2),
            peer: None,
            cookie: None,
            message_id: Some("5a1f2e3d"),
        },
        Expect {
            line: "\"tunnel\"[1] 200.200.200.1 #4: responding to Aggressive Mode",
            exchange_id: Some(4),
            peer: Some("200.200.200.1"),
            cookie: None,
            message_id: None,
        },
        Expect {
            line: "ISAKMP: Exchange 349 created: type QUICK, SA 5, peer 200.200.200.1, message id 0x3a4b5c6d",
            exchange_id: Some(349),
            peer: Some("200.200.200.1"),
            cookie: None,
            message_id: Some("0x3a4b5c6d"),
        },
        Expect {
            line: "ISAKMP: Exchange 348 state UP, ISAKMP SA 5 established with 200.200.200.1, cookies 1a2b3c4d5e6f7a8b/9e8d7c6b5a493827",
            exchange_id: Some(348),
            peer: Some("200.200.200.1"),
            cookie: Some("1a2b3c4d5e6f7a8b"),
            message_id: None,
        },
    ];
    let c = Classifier::builtin();
    let mut bad = Vec::new();
    for e in &cases {
        let x = c.classify(e.line, true).exchange;
        let got = (
            x.exchange_id,
            x.peer.as_deref(),
            x.cookie.as_deref(),
            x.message_id.as_deref(),
        );
        let want = (e.exchange_id, e.peer, e.cookie, e.message_id);
        if got != want {
            bad.push(format!(
                "{}\n    expected (id, peer, cookie, msgid) {want:?}, got {got:?}",
                e.line
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} exchange references wrong:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// Display rows without IKE vocabulary are not debug. (Rows that carry it, such as a `show
/// isakmp exchange` row with its state name or a `show ipsec sa` row with `ESP`, are matched by
/// the rules and so are seen as debug: telling them apart is the caller's job, by context.)
#[test]
fn plain_display_rows_are_not_debug() {
    let c = Classifier::builtin();
    for row in [
        "1      200.200.200.1    3DES   SHA     -/-/-  86400/82080/970",
        "2      200.200.200.9    -      -       0/0/0  0/0/0",
        "SA Id  PeerAddress      EncA.  HashA.  Bytes  Seconds",
        "Id   Phase  State        PeerAddress       Type",
        "  State ............................ Valid",
        "  retryIkeAttemptsPh1      4   retryIkeAttemptsPh2      0",
        "  outProcessDone         120   inProcessDone          118",
    ] {
        assert!(!c.is_debug(row), "display row seen as debug: {row}");
    }
}
