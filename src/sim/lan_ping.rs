//! A ping from the simulated PC on a peer's LAN to the far LAN: a reply when the packet made it
//! through the simulated tunnel and back (the counters move as they would on the routers).

use super::scenario::{facts, Scenario};
use super::serve::SharedNet;

/// The far LAN's PC as seen from `peer` (0: Peer1, 1: Peer2).
pub fn far_pc(peer: usize) -> &'static str {
    if peer == 1 {
        "192.168.1.100"
    } else {
        "192.168.2.100"
    }
}

/// The far LAN's PC as seen from `peer` in scenario `s`: as `far_pc`, except in same-subnet,
/// where Peer2's PC is 192.168.1.200 (both LANs are 192.168.1.0/24).
pub fn far_pc_in(s: Scenario, peer: usize) -> &'static str {
    facts(s, 1 - peer.min(1)).pc
}

/// One ping from the PC behind `peer` to `target`, now: true when it was answered.
pub fn ping_once(net: &SharedNet, peer: usize, target: &str) -> bool {
    let now = net.now();
    let mut g = net.net.lock().unwrap_or_else(|e| e.into_inner());
    g.advance(now);
    g.lan_ping(peer, target)
}
