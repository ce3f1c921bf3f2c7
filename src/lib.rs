//! tunnelscope: read an AlliedWare router's IKE and IPsec state, live or from captures,
//! and say why a VPN tunnel does not come up or does not pass traffic.
//!
//! Data flows one way: `console` turns bytes into lines and command blocks, `alliedware`
//! parses them into the vendor-neutral `model`, `doctor` draws findings from the model,
//! and `analyze` runs that pipeline over files.

pub mod alliedware;
pub mod analyze;
pub mod capture;
pub mod clock;
pub mod console;
pub mod diagnose;
pub mod dirs;
pub mod doctor;
pub mod fsutil;
pub mod link;
pub mod live;
pub mod logging;
pub mod model;
pub mod ping;
pub mod sim;
pub mod snapshot;
pub mod telnet_codec;
pub mod tui;
pub mod tunnel;
