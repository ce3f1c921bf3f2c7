//! The simulated AlliedWare routers: Peer1 and Peer2 of the How To Note on a shared WAN, their
//! consoles, the scenarios, and the servers that put a console on stdin/stdout, a tty or TCP.

pub mod console;
pub mod lan_ping;
pub mod network;
pub mod peer_config;
pub mod render;
pub mod scenario;
pub mod serve;

pub use console::{Console, ConsoleConfig, Start};
pub use network::Network;
pub use scenario::Scenario;
