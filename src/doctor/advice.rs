//! Advice shared by several findings, restating the How To Note's fixes once so every finding
//! that needs them says the same thing. The prose is the doctor's; every command it quotes is
//! spelt by the router's `Dialect`.

use crate::model::{Cmd, Dialect, IkePolicy};

/// What advice says where a value is not known: the reader fills it in.
pub const POLICY: &str = "NAME";
pub const KEY: &str = "N";

/// A command as advice quotes it, in backticks.
pub fn cmd(d: &dyn Dialect, c: &Cmd) -> String {
    format!("`{}`", d.command(c))
}

/// A setting of an ISAKMP policy, as a command to paste.
pub fn set_ike(d: &dyn Dialect, policy: &str, setting: &str) -> String {
    cmd(d, &Cmd::SetIkePolicy { policy, setting })
}

/// The Note's reset, in its order: IPsec goes down before ISAKMP and comes up after it, so no
/// IPsec SA is left without the ISAKMP SA that negotiated it.
pub fn reset(d: &dyn Dialect) -> String {
    let steps: Vec<String> = d
        .reset_sequence()
        .iter()
        .map(|c| format!("`{c}`"))
        .collect();
    format!(
        "Reset ISAKMP and IPsec on each peer, in this order: {} (re-enable at about the same \
time on both peers; this drops every VPN on the router)",
        steps.join(", ")
    )
}

/// The Note's "Preventing multiple SAs on the peer", for `policy` (a placeholder when no one
/// policy serves the peer).
pub fn prevent_multiple_sas(d: &dyn Dialect, policy: &str) -> String {
    format!(
        "Use main mode where you can, with {} so the Initial Contact message makes the peer drop \
its old SAs; set {} so Delete messages are sent; give both peers the same heartbeat setting \
(`heart=both` when both support heartbeats). If you must use aggressive mode, senddeletes=true is \
the main fix; with frequent power cycles also shorten the ISAKMP SA lifetime ({}, default 24 \
hours)",
        set_ike(d, policy, "sendnotify=true"),
        set_ike(d, policy, "senddeletes=true"),
        set_ike(d, policy, "expiryseconds=SECONDS"),
    )
}

/// The Note's "Prevent" list for SAs out of step.
pub const PREVENT_OUT_OF_STEP: &str = "Prevent it with ISAKMP heartbeats (`heart=both`) when \
both peers are Allied Telesis routers, `senddeletes=true` in the ISAKMP policy, and \
`respondbadspi=true` in the IPsec policy together with `sendnotify=true` in the ISAKMP policy \
(site-to-site, main mode only, both peers with fixed addresses; it does not work in \
aggressive mode)";

/// Step 1 of the Note: the underlying path must work before any tunnel can.
pub fn wan_check(d: &dyn Dialect, peer: &str) -> String {
    format!(
        "Check WAN-to-WAN reachability first: {} and {} from the router (a firewall on either \
end may block pings; the SA checks are not affected by it)",
        cmd(d, &Cmd::Ping(peer)),
        cmd(d, &Cmd::Trace(peer))
    )
}

/// The ISAKMP policies that can serve these peers: the ones naming one of them, else the
/// wildcard ones; with no peer known, every policy.
pub fn ike_policies_for<'a>(policies: &'a [IkePolicy], peers: &[&str]) -> Vec<&'a IkePolicy> {
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    if peers.is_empty() {
        return policies.iter().collect();
    }
    let named: Vec<&IkePolicy> = policies
        .iter()
        .filter(|p| {
            p.peer
                .as_deref()
                .is_some_and(|a| peers.iter().any(|q| same(a, q)))
        })
        .collect();
    if !named.is_empty() {
        return named;
    }
    policies.iter().filter(|p| p.peer_is_wildcard()).collect()
}

/// The one value all these policies share, when they share exactly one.
fn only<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Option<&'a str> {
    let mut found: Option<&str> = None;
    for v in values {
        let v = v.map(str::trim).filter(|v| !v.is_empty())?;
        match found {
            Some(f) if f != v => return None,
            _ => found = Some(v),
        }
    }
    found
}

/// The pre-shared key id these policies use, when they all use the same one.
pub fn key_id<'a>(policies: &[&'a IkePolicy]) -> Option<&'a str> {
    only(policies.iter().map(|p| p.key.as_deref()))
}

/// The policy's name when exactly one policy is meant.
pub fn policy_name<'a>(policies: &[&'a IkePolicy]) -> Option<&'a str> {
    match policies {
        [p] => Some(p.name.as_str()),
        _ => None,
    }
}

/// How to compare the pre-shared keys on both peers: by the id the policy uses when the
/// configuration names it, else how to find that id first.
pub fn compare_keys(d: &dyn Dialect, key: Option<&str>) -> String {
    match key {
        Some(id) => format!(
            "The ISAKMP policy uses key {id}; compare {} on both peers",
            cmd(d, &Cmd::ShowKey(id))
        ),
        None => format!(
            "Find the key ID the ISAKMP policy uses (`key=` in {}), list keys with {}, and \
compare {} on both peers",
            cmd(d, &Cmd::ShowIkeConfig),
            cmd(d, &Cmd::ShowKeys),
            cmd(d, &Cmd::ShowKey(KEY))
        ),
    }
}
