//! Advice shared by several findings, restating the How To Note's fixes once so every finding
//! that needs them says the same thing.

/// The Note's reset, in its order: IPsec goes down before ISAKMP and comes up after it, so no
/// IPsec SA is left without the ISAKMP SA that negotiated it.
pub const RESET: &str = "Reset ISAKMP and IPsec on each peer, in this order: `disable ipsec`, \
`disable isakmp`, `enable isakmp`, `enable ipsec` (re-enable at about the same time on both \
peers; this drops every VPN on the router)";

/// The Note's "Preventing multiple SAs on the peer".
pub const PREVENT_MULTIPLE_SAS: &str = "Use main mode where you can, with \
`set isakmp policy=NAME sendnotify=true` so the Initial Contact message makes the peer drop its \
old SAs; set `set isakmp policy=NAME senddeletes=true` so Delete messages are sent; give both \
peers the same heartbeat setting (`heart=both` when both support heartbeats). If you must use \
aggressive mode, senddeletes=true is the main fix; with frequent power cycles also shorten the \
ISAKMP SA lifetime (`set isakmp policy=NAME expiryseconds=SECONDS`, default 24 hours)";

/// The Note's "Prevent" list for SAs out of step.
pub const PREVENT_OUT_OF_STEP: &str = "Prevent it with ISAKMP heartbeats (`heart=both`) when \
both peers are Allied Telesis routers, `senddeletes=true` in the ISAKMP policy, and \
`respondbadspi=true` in the IPsec policy together with `sendnotify=true` in the ISAKMP policy \
(site-to-site, main mode only, both peers with fixed addresses; it does not work in \
aggressive mode)";

/// Step 1 of the Note: the underlying path must work before any tunnel can.
pub fn wan_check(peer: &str) -> String {
    format!(
        "Check WAN-to-WAN reachability first: `ping {peer}` and `trace {peer}` from the router \
(a firewall on either end may block pings; the SA checks are not affected by it)"
    )
}
