//! inetutils `telnetd` for one connection, started as inetd starts it (the accepted socket as
//! its standard input and output; telnetd has no standalone mode), running a login program of
//! the test's instead of /bin/login.

use std::process::Stdio;
use tokio::net::TcpListener;
use tokio::process::Child;
use tokio::task::JoinHandle;

/// Listens on a free port of 127.0.0.1 and, on the first connection, starts telnetd running
/// `login_program` (a command line, which telnetd splits at spaces). Returns the port and the
/// task that yields telnetd once started; telnetd is killed when that `Child` is dropped, so
/// keep it (or wait for it) while the connection is in use.
pub async fn once(login_program: String) -> (u16, JoinHandle<Child>) {
    let telnetd = super::require(
        &["/usr/sbin/telnetd", "/usr/bin/telnetd"],
        "inetutils-telnetd",
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inetd = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let sock = sock.into_std().unwrap();
        // telnetd expects a blocking socket, as inetd hands it over.
        sock.set_nonblocking(false).unwrap();
        let fd: std::os::fd::OwnedFd = sock.into();
        let fd2 = fd.try_clone().unwrap();
        tokio::process::Command::new(telnetd)
            .args(["-h", "-E", &login_program])
            .stdin(Stdio::from(fd))
            .stdout(Stdio::from(fd2))
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start telnetd")
    });
    (port, inetd)
}
