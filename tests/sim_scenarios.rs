//! The simulator's scenarios for the tunnel checks (issue 10, item 7), read from both ends: the
//! two peers' consoles of one simulated network are driven headless on a controlled clock,
//! as an engineer would (debug on, wait, the How To Note's commands, a LAN ping), and what
//! they print goes through the real pipeline (`analyze_bytes`: cleaner, transcript, parsers,
//! classifier). Each test asserts that the tables, the debug and the configuration of the two
//! ends show the scenario's cause where the How To Note says to look for it.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::analyze::{analyze_bytes, Analysis, Options};
use tunnelscope::sim::lan_ping::far_pc_in;
use tunnelscope::sim::scenario::{psk_value, PEERS, POLICY};
use tunnelscope::sim::{Console, ConsoleConfig, Network, Scenario, Start};

const COUNTERS: &str = "show ipsec policy=\"wiz_Peer1 to Peer2\" counters";

/// Both peers' consoles of one simulated network, at the security officer's prompt.
struct Two {
    net: Arc<Mutex<Network>>,
    c: Vec<Console>,
    out: [Vec<u8>; 2],
    now: Duration,
}

impl Two {
    /// Both consoles logged in, debug turned on at both ends at once.
    fn new(s: Scenario) -> Two {
        let net = Arc::new(Mutex::new(Network::new(s)));
        let cfg = ConsoleConfig {
            page_lines: 100_000,
            ..Default::default()
        };
        let c = (0..2)
            .map(|p| Console::new(net.clone(), p, Start::SecOff, cfg.clone()))
            .collect();
        let mut t = Two {
            net,
            c,
            out: [Vec::new(), Vec::new()],
            now: Duration::ZERO,
        };
        for p in 0..2 {
            t.cmd(p, "enable isakmp debug=all");
        }
        t
    }

    fn drain(&mut self, p: usize) -> Vec<u8> {
        let b = self.c[p].take_output(usize::MAX);
        self.out[p].extend_from_slice(&b);
        b
    }

    /// Simulated time runs to `secs`, a second at a time; debug flows at both ends.
    fn run_to(&mut self, secs: u64) {
        while self.now < Duration::from_secs(secs) {
            self.now += Duration::from_secs(1);
            for p in 0..2 {
                self.c[p].tick(self.now);
                self.drain(p);
            }
        }
    }

    /// A command at peer `p`'s prompt; its output (with the echo) as text.
    fn cmd(&mut self, p: usize, cmd: &str) -> String {
        self.drain(p);
        self.c[p].input(format!("{cmd}\r").as_bytes(), self.now);
        String::from_utf8_lossy(&self.drain(p)).into_owned()
    }

    /// The How To Note's look at one end: SAs, exchanges, counters, configuration, interfaces.
    fn look(&mut self, p: usize) {
        for c in [
            "show isakmp sa",
            "show isakmp exchange",
            "show ipsec sa",
            COUNTERS,
            "show isakmp counters",
            "show config dynamic",
            "show ip interface",
        ] {
            self.cmd(p, c);
        }
    }

    fn analysis(&self, p: usize) -> Analysis {
        let opts = Options {
            keep_events: true,
            exchanges: true,
        };
        analyze_bytes(&self.out[p], Classifier::builtin(), opts)
    }

    /// One ping from the PC behind `p` to the PC on the far LAN.
    fn lan_ping(&mut self, p: usize) -> bool {
        let s = self.net.lock().unwrap().scenario;
        let mut n = self.net.lock().unwrap();
        n.advance(self.now);
        n.lan_ping(p, far_pc_in(s, p))
    }
}

/// The debug lines one end printed.
fn debug(a: &Analysis) -> Vec<&str> {
    a.state
        .debug
        .events
        .iter()
        .map(|e| e.text.as_str())
        .collect()
}

fn has_debug(a: &Analysis, needle: &str) -> bool {
    debug(a).iter().any(|l| l.contains(needle))
}

fn counter(a: &Analysis, name: &str) -> u64 {
    a.state
        .snapshot
        .counters
        .iter()
        .rev()
        .find(|c| c.name == name && c.command.contains("wiz_Peer1 to Peer2"))
        .map(|c| c.value)
        .unwrap_or_else(|| panic!("counter {name} not read"))
}

fn tunnel_policy(a: &Analysis) -> &tunnelscope::model::IpsecPolicy {
    a.state
        .snapshot
        .config
        .ipsec_policies
        .iter()
        .find(|p| p.name == POLICY)
        .expect("the tunnel's IPsec policy in the configuration")
}

#[test]
fn new_scenarios_are_listed_after_the_seven() {
    let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "healthy",
            "phase1-stall",
            "psk-mismatch",
            "phase2-mismatch",
            "sa-out-of-step",
            "sa-accumulation",
            "policy-selection",
            "phase1-proposal-mismatch",
            "addresses-swapped",
            "id-mismatch",
            "local-address-set",
            "permit-first",
            "same-subnet",
        ]
    );
    for s in Scenario::ALL {
        assert_eq!(s.name().parse::<Scenario>(), Ok(s));
        // The picker's description column is as wide as the longest of the first seven.
        assert!(s.describe().len() <= 56, "{}: {}", s.name(), s.describe());
    }
}

#[test]
fn phase1_proposal_mismatch_refused_at_message_2() {
    let mut t = Two::new(Scenario::Phase1ProposalMismatch);
    t.run_to(20);
    t.look(0);
    t.look(1);
    let (a, b) = (t.analysis(0), t.analysis(1));
    // The configuration shows the cause: DES on Peer2, 3DES on Peer1.
    let enc = |x: &Analysis| x.state.snapshot.config.ike_policies[0].encalg.clone();
    assert_eq!(enc(&a).as_deref(), Some("3desouter"));
    assert_eq!(enc(&b).as_deref(), Some("des"));
    // Peer2 refuses MM1 with NO-PROPOSAL-CHOSEN; Peer1 is told so, in reply to MM1.
    assert!(has_debug(&b, "NO-PROPOSAL-CHOSEN"), "{:?}", debug(&b));
    assert!(has_debug(&b, "requires encryption DES"), "{:?}", debug(&b));
    assert!(
        has_debug(
            &a,
            "received notify NO-PROPOSAL-CHOSEN (14) from 200.200.200.1 in reply to MM1"
        ),
        "{:?}",
        debug(&a)
    );
    assert!(!has_debug(&a, "(MM2)"), "no MM2 ever arrives");
    // No ISAKMP SA is established at either end.
    for x in [&a, &b] {
        assert!(x.state.snapshot.ike_sas.iter().all(|s| !s.established));
        assert!(x.state.snapshot.ipsec_sas.is_empty());
    }
}

#[test]
fn addresses_swapped_fails_quick_mode_on_the_ids() {
    let mut t = Two::new(Scenario::AddressesSwapped);
    t.run_to(10);
    t.look(0);
    t.look(1);
    let (a, b) = (t.analysis(0), t.analysis(1));
    let (p1, p2) = (tunnel_policy(&a), tunnel_policy(&b));
    // Peer2's lad is Peer1's LAN: the ranges are not mirrored.
    assert_eq!(p1.laddress.as_deref(), Some("192.168.1.0"));
    assert_eq!(p1.raddress.as_deref(), Some("192.168.2.0"));
    assert_eq!(p2.laddress.as_deref(), Some("192.168.1.0"));
    assert_eq!(p2.raddress.as_deref(), Some("192.168.2.0"));
    // Phase 1 up at both ends, no IPsec SA at either.
    for x in [&a, &b] {
        assert_eq!(x.state.snapshot.ike_sas.len(), 1);
        assert!(x.state.snapshot.ike_sas[0].established);
        assert!(x.state.snapshot.ipsec_sas.is_empty());
    }
    assert!(has_debug(&b, "INVALID-ID-INFORMATION"), "{:?}", debug(&b));
    assert!(has_debug(&b, "no IPsec policy has laddress 192.168.2.0/24"));
    assert!(has_debug(
        &a,
        "received notify INVALID-ID-INFORMATION (18) from 200.200.200.1; quick mode failed"
    ));
}

#[test]
fn id_mismatch_fails_aggressive_mode() {
    let mut t = Two::new(Scenario::IdMismatch);
    t.run_to(10);
    t.look(0);
    t.look(1);
    let (a, b) = (t.analysis(0), t.analysis(1));
    let ike = |x: &Analysis| x.state.snapshot.config.ike_policies[0].clone();
    let (i1, i2) = (ike(&a), ike(&b));
    assert_eq!(i1.mode.as_deref(), Some("aggressive"));
    assert_eq!(i2.mode.as_deref(), Some("aggressive"));
    // The IDs do not cross: Peer1 expects a remote ID that is not Peer2's local ID.
    assert_eq!(i2.localid.as_deref(), Some("Peer2"));
    assert_ne!(i1.remoteid, i2.localid);
    assert_eq!(i2.remoteid, i1.localid, "the other way they cross");
    assert!(has_debug(
        &a,
        "expects remoteid Peer-2: INVALID-ID-INFORMATION"
    ));
    assert!(has_debug(&b, "received notify INVALID-ID-INFORMATION (18)"));
    assert!(has_debug(&a, "aggressive mode initiated"));
    for x in [&a, &b] {
        assert!(x.state.snapshot.ike_sas.iter().all(|s| !s.established));
        assert!(x.state.snapshot.ipsec_sas.is_empty());
    }
}

#[test]
fn local_address_set_peer2_sees_ike_from_the_wrong_address() {
    let mut t = Two::new(Scenario::LocalAddressSet);
    t.run_to(30);
    t.look(0);
    t.look(1);
    let (a, b) = (t.analysis(0), t.analysis(1));
    // Peer1's configuration and LOCAL interface show the address; Peer2's do not.
    assert_eq!(
        a.state.snapshot.config.ip_local.as_deref(),
        Some("192.168.1.1")
    );
    assert_eq!(b.state.snapshot.config.ip_local, None);
    let local = |x: &Analysis| {
        x.state
            .snapshot
            .interfaces
            .iter()
            .find(|i| i.name == "LOCAL")
            .expect("LOCAL")
            .address
            .clone()
    };
    assert_eq!(local(&a).as_deref(), Some("192.168.1.1"));
    let mask = a
        .state
        .snapshot
        .interfaces
        .iter()
        .find(|i| i.name == "LOCAL")
        .and_then(|i| i.mask.clone());
    assert_eq!(mask.as_deref(), Some("255.255.255.255"));
    assert_eq!(local(&b), None, "Not set");
    // Peer1 stalls in SASENT and retransmits; Peer2 ignores IKE from 192.168.1.1.
    assert!(a
        .state
        .snapshot
        .exchanges
        .iter()
        .any(|e| e.state == "SASENT"));
    assert!(has_debug(&a, "retransmitting MM1"));
    assert!(has_debug(&a, "source address 192.168.1.1 (set ip local)"));
    assert!(has_debug(
        &b,
        "from 192.168.1.1 ignored: no ISAKMP policy for peer 192.168.1.1"
    ));
    assert!(b.state.snapshot.ike_sas.is_empty());
    assert!(b.state.snapshot.exchanges.is_empty());
    // Peer1's ISAKMP SA says where its IKE leaves from.
    let detail = t.cmd(0, "show isakmp sa=1");
    assert!(
        detail.contains("Local Address") && detail.contains("192.168.1.1"),
        "{detail}"
    );
}

#[test]
fn permit_first_pings_leave_in_clear_and_the_counters_stay_still() {
    let mut t = Two::new(Scenario::PermitFirst);
    t.run_to(5);
    t.look(0);
    t.look(1);
    let (a1, b1) = (t.analysis(0), t.analysis(1));
    // The permit policy comes before the tunnel's on Peer1, after it on Peer2.
    let order = |x: &Analysis| -> Vec<String> {
        x.state
            .snapshot
            .config
            .ipsec_policies
            .iter()
            .map(|p| p.name.clone())
            .collect()
    };
    assert_eq!(order(&a1), ["internet", POLICY]);
    assert_eq!(order(&b1), [POLICY, "internet"]);
    // The SAs are up and paired: the tables look healthy.
    let (sa1, sa2) = (
        &a1.state.snapshot.ipsec_sas[0],
        &b1.state.snapshot.ipsec_sas[0],
    );
    assert_eq!((sa1.out_spi, sa1.in_spi), (sa2.in_spi, sa2.out_spi));
    // Ten pings from the PC behind Peer1: none answered, no IPsec counter moves at either end.
    for _ in 0..10 {
        assert!(!t.lan_ping(0));
    }
    t.cmd(0, COUNTERS);
    t.cmd(1, COUNTERS);
    let (a2, b2) = (t.analysis(0), t.analysis(1));
    for name in ["outProcessDone", "inProcessDone", "outProcessStarted"] {
        assert_eq!(counter(&a2, name), counter(&a1, name), "Peer1 {name}");
        assert_eq!(counter(&b2, name), counter(&b1, name), "Peer2 {name}");
    }
    // The permit policy let them out.
    let permitted = t.cmd(0, "show ipsec policy=internet counters");
    assert!(permitted.contains("outPermitted"), "{permitted}");
    assert!(
        permitted
            .lines()
            .any(|l| l.contains("outPermitted") && l.trim_end().ends_with("10")),
        "{permitted}"
    );
    // show ipsec policy lists them in the order they are checked.
    let list = t.cmd(0, "show ipsec policy");
    let at = |n: &str| list.find(n).unwrap_or(usize::MAX);
    assert!(at("internet") < at(POLICY), "{list}");
    // A trace from Peer1 goes out through the ISP, not the tunnel.
    let trace = t.cmd(0, "trace 192.168.2.100");
    assert!(trace.contains("200.200.200.254"), "{trace}");
}

#[test]
fn same_subnet_traffic_never_reaches_the_tunnel() {
    let mut t = Two::new(Scenario::SameSubnet);
    t.run_to(10);
    t.look(0);
    t.look(1);
    let (a1, b1) = (t.analysis(0), t.analysis(1));
    for x in [&a1, &b1] {
        let p = tunnel_policy(x);
        assert_eq!(p.laddress.as_deref(), Some("192.168.1.0"));
        assert_eq!(p.raddress.as_deref(), Some("192.168.1.0"));
        let vlan = x
            .state
            .snapshot
            .interfaces
            .iter()
            .find(|i| i.name == "vlan1")
            .expect("vlan1");
        assert_eq!(vlan.address.as_deref(), Some("192.168.1.1"));
    }
    // The tunnel itself comes up (the IDs mirror each other), proxy IDs the same subnet.
    assert!(has_debug(
        &a1,
        "proxy IDs 192.168.1.0/24 <-> 192.168.1.0/24"
    ));
    assert_eq!(a1.state.snapshot.ipsec_sas.len(), 1);
    assert_eq!(far_pc_in(Scenario::SameSubnet, 0), "192.168.1.200");
    for p in 0..2 {
        for _ in 0..5 {
            assert!(!t.lan_ping(p), "the PC looks for the far PC on its own LAN");
        }
    }
    t.cmd(0, COUNTERS);
    t.cmd(1, COUNTERS);
    let (a2, b2) = (t.analysis(0), t.analysis(1));
    for name in ["outProcessStarted", "outProcessDone", "inProcessDone"] {
        assert_eq!(counter(&a2, name), counter(&a1, name), "Peer1 {name}");
        assert_eq!(counter(&b2, name), counter(&b1, name), "Peer2 {name}");
    }
}

#[test]
fn phase1_stall_peer2_firewall_lets_no_ike_in() {
    let mut t = Two::new(Scenario::Phase1Stall);
    t.run_to(40);
    t.look(0);
    t.look(1);
    t.cmd(1, "show firewall policy=main");
    let (a, b) = (t.analysis(0), t.analysis(1));
    let udp500 = |x: &Analysis| {
        x.state.snapshot.config.firewall_policies.iter().any(|f| {
            f.rules.iter().any(|r| {
                r.action.as_deref() == Some("allow")
                    && r.protocol.as_deref() == Some("udp")
                    && r.port.as_deref() == Some("500")
            })
        })
    };
    assert!(udp500(&a), "Peer1 lets IKE in");
    assert!(!udp500(&b), "Peer2 has no rule for UDP 500");
    assert!(!b.state.snapshot.config.firewall_policies.is_empty());
    // Peer1 retransmits main mode 1; Peer2 sees nothing.
    assert!(has_debug(&a, "retransmitting MM1"));
    assert!(debug(&b).is_empty(), "{:?}", debug(&b));
    assert!(b.state.snapshot.ike_sas.is_empty() && b.state.snapshot.exchanges.is_empty());
}

#[test]
fn pre_shared_keys_differ_only_in_psk_mismatch() {
    for s in Scenario::ALL {
        let mut t = Two::new(s);
        // The key each end's (first) ISAKMP policy names.
        let mut values = Vec::new();
        for p in 0..2 {
            t.cmd(p, "show config dynamic=isakmp");
            let a = t.analysis(p);
            let key = a.state.snapshot.config.ike_policies[0]
                .key
                .clone()
                .expect("a key id");
            let shown = t.cmd(p, &format!("show enco key={key}"));
            let value = psk_value(s, p, key.parse().unwrap()).expect("the key exists");
            assert!(value.starts_with("SYNTHETIC-"), "marked synthetic");
            assert!(shown.contains("Value ") && shown.contains(value), "{shown}");
            assert!(shown.contains("SYNTHETIC"));
            values.push(value);
        }
        match s {
            Scenario::PskMismatch => assert_ne!(values[0], values[1]),
            // main mode picks Peer2's first policy (key 1), not the one Peer1's key matches.
            Scenario::PolicySelection => assert_ne!(values[0], values[1]),
            _ => assert_eq!(values[0], values[1], "{}", s.name()),
        }
    }
    // Managers may list keys but not see their values.
    let net = Arc::new(Mutex::new(Network::new(Scenario::Healthy)));
    let mut c = Console::new(net, 0, Start::Login, ConsoleConfig::default());
    c.input(b"manager\rfriend\rshow enco key=1\r", Duration::ZERO);
    let out = String::from_utf8_lossy(&c.take_output(usize::MAX)).into_owned();
    assert!(out.contains("requires security officer"), "{out}");
    assert!(!out.contains("SYNTHETIC-sim-psk"), "{out}");
}

/// Every command of the How To Note's `show debug ipsec` list, `trace`, and the keys are
/// answered at both ends of every scenario (no "Unknown command").
#[test]
fn every_show_debug_ipsec_command_is_answered() {
    let list = [
        "show system",
        "show file",
        "show install",
        "show feature",
        "show release",
        "show config dynamic",
        "show buffer scan",
        "show cpu",
        "show log",
        "show exception",
        "show ipsec policy sabundle",
        "show ipsec sa=0",
        "show ipsec sa counters",
        "show ipsec counters",
        COUNTERS,
        "show enco",
        "show enco channel",
        "show enco channel=1",
        "show enco channel=1 counters",
        "show enco counters",
        "show isakmp sa",
        "show isakmp exchange",
        "show isakmp exchange detail",
        "show isakmp sa detail",
        "show isakmp counters",
        "show ffile check",
        "show enco key",
        "show ipsec policy",
        "show isakmp policy",
        "show firewall policy=main",
        "trace 200.200.200.1",
        "trace 192.168.2.100",
    ];
    for s in Scenario::ALL {
        let mut t = Two::new(s);
        t.run_to(3);
        for p in 0..2 {
            for c in list {
                let out = t.cmd(p, c);
                assert!(
                    !out.contains("Unknown command"),
                    "{} Peer{} {c}: {out}",
                    s.name(),
                    p + 1
                );
                // The echo, at least one line of display, the prompt (the exchange tables
                // are empty when nothing negotiates, as the How To Note says).
                let lines = out.lines().filter(|l| !l.trim().is_empty()).count();
                let may_be_empty = c.starts_with("show isakmp exchange");
                assert!(
                    lines >= 3 || may_be_empty,
                    "{} Peer{} {c}: {out:?}",
                    s.name(),
                    p + 1
                );
            }
            let all = t.cmd(p, "show debug ipsec");
            for title in [
                "Router System Status",
                "Install Information",
                "Special Feature Licences",
                "Release Licences",
                "Buffer scan",
                "CPU Utilisation",
                "No exceptions recorded.",
                "IPSEC Policy SA Bundles",
                "IPSEC SA Counters",
                "IPSEC General Counters",
                "ENCO Module Status",
                "ENCO Counters",
                "ISAKMP General Counters",
                "Flash file system check",
            ] {
                assert!(all.contains(title), "{} Peer{}: {title}", s.name(), p + 1);
            }
            // The key values never appear in the dump.
            for k in [1, 2] {
                if let Some(v) = psk_value(s, p, k) {
                    assert!(!all.contains(v), "{} Peer{}", s.name(), p + 1);
                }
            }
        }
    }
}

#[test]
fn healthy_trace_through_the_tunnel_needs_a_lan_source() {
    // From the router itself the source is its WAN address: not the tunnel's traffic.
    let mut t = Two::new(Scenario::Healthy);
    let out = t.cmd(0, "trace 192.168.2.100");
    assert!(
        out.contains(&format!("Trace from {}", PEERS[0].wan)),
        "{out}"
    );
    assert!(out.contains("200.200.200.254"), "{out}");
    let wan = t.cmd(0, "trace 200.200.200.1");
    assert!(
        wan.contains(" 1.  200.200.200.1") && wan.contains("Trace complete"),
        "{wan}"
    );
}

/// `show ipsec sa=N` on Peer2 once named Peer1's LAN as its local range (the filters were
/// fixed text); each end names its own LAN now. And `show config dynamic=ip` is the IP
/// section alone (it once matched IPsec's too).
#[test]
fn sa_filters_and_the_ip_section_are_each_ends_own() {
    let mut t = Two::new(Scenario::Healthy);
    let p2 = t.cmd(1, "show ipsec sa=3");
    let line = |out: &str, label: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(label))
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert!(
        line(&p2, "Local address").ends_with("192.168.2.0 - 192.168.2.255"),
        "{p2}"
    );
    assert!(
        line(&p2, "Remote address").ends_with("192.168.1.0 - 192.168.1.255"),
        "{p2}"
    );
    let p1 = t.cmd(0, "show ipsec sa=0");
    assert!(
        line(&p1, "Local address").ends_with("192.168.1.0 - 192.168.1.255"),
        "{p1}"
    );
    let mut t = Two::new(Scenario::LocalAddressSet);
    let ip = t.cmd(0, "show config dynamic=ip");
    assert!(ip.contains("set ip local ip=192.168.1.1"), "{ip}");
    assert!(!ip.contains("create ipsec"), "{ip}");
    let ipsec = t.cmd(0, "show config dynamic=ipsec");
    assert!(
        ipsec.contains("create ipsec") && !ipsec.contains("set ip local"),
        "{ipsec}"
    );
}
