//! Telnet links: opening a telnet connection to a router's console (`open_telnet`), with its
//! connect timeout and error wording. The protocol itself (negotiation, IAC escaping, the NVT
//! rules) is `crate::telnet_codec`, shared with the simulator's `--telnet` server; it is
//! re-exported here so `link::telnet::TelnetStream` keeps working.

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;

use super::{Link, LinkError, LinkOptions};

pub use crate::telnet_codec::{
    cmd, opt, Role, TelnetStream, CLIENT_TERMINAL_TYPE, CLIENT_WINDOW, MAX_SUBNEGOTIATION,
};

/// How long `open_telnet` waits for the TCP connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `host:port` as people write it, with brackets around an IPv6 address.
fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A connect error in words an engineer can act on.
fn connect_error(addr: &str, port: u16, e: &io::Error) -> LinkError {
    // EHOSTUNREACH and ENETUNREACH on Linux; matched by number so that older error kinds
    // (reported as "uncategorized") are recognised too.
    const EHOSTUNREACH: i32 = 113;
    const ENETUNREACH: i32 = 101;
    let reason = match (e.kind(), e.raw_os_error()) {
        (io::ErrorKind::ConnectionRefused, _) => format!(
            "connection refused: nothing listens on port {port} there. Check that the router's \
             telnet server is enabled and the port is right (telnet is port 23)"
        ),
        (_, Some(EHOSTUNREACH)) | (io::ErrorKind::HostUnreachable, _) => format!(
            "host unreachable ({e}): check the address, the cabling and that the router is up"
        ),
        (_, Some(ENETUNREACH)) | (io::ErrorKind::NetworkUnreachable, _) => {
            format!("network unreachable ({e}): this machine has no route to that address")
        }
        (io::ErrorKind::PermissionDenied, _) => {
            format!("not permitted ({e}): a local firewall may block the connection")
        }
        _ => e.to_string(),
    };
    LinkError::Connect {
        addr: addr.to_string(),
        reason,
    }
}

/// Opens a telnet connection to a router's console. The router's login prompt follows: logging
/// in is the session's job, so the link is not `authenticated`.
pub async fn open_telnet(host: &str, port: u16, opts: &LinkOptions) -> Result<Link, LinkError> {
    open_telnet_within(host, port, opts, CONNECT_TIMEOUT).await
}

/// `open_telnet` with a chosen connect timeout (for tests, and callers that know better).
pub async fn open_telnet_within(
    host: &str,
    port: u16,
    _opts: &LinkOptions,
    timeout: Duration,
) -> Result<Link, LinkError> {
    let addr = host_port(host, port);
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect((host, port))).await {
        Err(_) => {
            return Err(LinkError::Connect {
                addr,
                reason: format!(
                    "no answer within {} s: check the address, the route and any firewall \
                     on the way",
                    timeout.as_secs_f32()
                ),
            })
        }
        Ok(Err(e)) => return Err(connect_error(&addr, port, &e)),
        Ok(Ok(tcp)) => tcp,
    };
    // Keystrokes and poll commands are a few bytes each: Nagle's algorithm would hold them
    // back waiting for the router's acknowledgements. Failing to set it only costs latency.
    let _ = tcp.set_nodelay(true);
    tracing::debug!(%addr, "telnet connection open");
    let (reader, writer) = tokio::io::split(TelnetStream::client(tcp));
    Ok(Link {
        reader: Box::new(reader),
        writer: Box::new(writer),
        description: format!("telnet {addr}"),
        bytes_per_sec: None,
        authenticated: false,
    })
}
