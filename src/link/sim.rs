//! The in-process simulator as a link: the console of a simulated router served on one end
//! of an in-memory pipe, as if it were a cable.

use super::{Link, LinkError};
use crate::sim::serve::{serve, SharedNet};
use crate::sim::{ConsoleConfig, Scenario, Start};

/// Open a console of peer `peer` (1 or 2) on `net` (shared, so both ends of the tunnel can
/// be opened on one network). It starts at the login prompt, as a console port does.
pub fn open_sim_on(net: &SharedNet, peer: u8, start: Start, cfg: ConsoleConfig) -> Link {
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let console = net.console(usize::from(peer.clamp(1, 2) - 1), start, cfg);
    let net2 = net.clone();
    tokio::spawn(async move {
        let (r, w) = tokio::io::split(theirs);
        let _ = serve(console, &net2, r, w, None).await;
    });
    let (r, w) = tokio::io::split(ours);
    Link {
        reader: Box::new(r),
        writer: Box::new(w),
        description: format!(
            "simulator Peer{peer} ({})",
            net.net
                .lock()
                .map(|n| n.scenario.to_string())
                .unwrap_or_default()
        ),
        bytes_per_sec: None,
        authenticated: false,
    }
}

pub fn open_sim(scenario: &str, peer: u8) -> Result<Link, LinkError> {
    let s: Scenario = scenario.parse().map_err(LinkError::Sim)?;
    Ok(open_sim_on(
        &SharedNet::new(s),
        peer,
        Start::Login,
        ConsoleConfig::default(),
    ))
}
