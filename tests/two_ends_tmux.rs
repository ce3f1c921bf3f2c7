//! Both ends of a tunnel on one screen, over two kinds of link (issue 10): one simulated router
//! on a real pseudo-terminal as its console cable, the other behind a real OpenSSH `sshd`, in
//! a real terminal (tmux). Killing the SSH end's router leaves the serial end updating; the
//! dropped end says "reconnecting" and comes back on its own.

mod support;

use std::time::{Duration, Instant};
use support::sim::console_on_pty;
use support::sshd::{Sshd, TEST_PASSWORD, TEST_USER};
use support::tmux::{binary, Tmux};
use tunnelscope::sim::serve::SharedNet;
use tunnelscope::sim::Scenario;

/// The seconds since an end's tables were read, as its heading says ("read 3s ago"), in the
/// part of the heading line that belongs to the end whose heading starts at `from`.
fn read_ago(line: &str, from: usize) -> Option<u64> {
    let part = line.get(from..)?;
    let at = part.find("read ")?;
    let rest = &part[at + 5..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

#[test]
#[ignore = "needs root: sshd logs in a local test account"]
fn a_serial_end_and_an_ssh_end_side_by_side_and_one_drop_leaves_the_other_updating() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    // Peer1: the simulator on the far side of a pty, at 960 characters a second (9600 baud).
    let net = SharedNet::new(Scenario::Healthy);
    let (pty, _serving) = console_on_pty(&net, Some(960), Some(&rt));
    // Peer2: the simulator's console is what every SSH login runs.
    let sshd = Sshd::start(&format!(
        "'{}' sim --scenario healthy --peer 2",
        binary().display()
    ));
    let t = Tmux::start_with(
        200,
        50,
        "env PS1='$ ' sh",
        &[
            ("TUNNELSCOPE_PASSWORD", "secoff"),
            ("TUNNELSCOPE_PASSWORD_2", TEST_PASSWORD),
        ],
    );
    let data = t.dir.join("data");
    let kh = t.dir.join("known_hosts");
    t.type_text(&format!(
        "XDG_DATA_HOME='{}' '{}' connect serial:secoff@{} ssh://{TEST_USER}@127.0.0.1:{} \
         --known-hosts '{}' --host-key accept-new --no-capture",
        data.display(),
        binary().display(),
        pty.path,
        sshd.port,
        kh.display()
    ));
    t.keys(&["Enter"]);
    // Both ends read: the ISAKMP SA rows of both side by side, the SPIs paired.
    let both = |s: &str| {
        s.lines()
            .any(|l| l.contains("200.200.200.1") && l.contains("200.200.200.2"))
            && s.contains("IPsec SAs, by SPI: 1/1 paired")
    };
    let screen = t.wait("both ends read", Duration::from_secs(60), both);
    let heading = |s: &str| -> Option<(String, usize)> {
        let l = s.lines().find(|l| l.contains("SAs and exchanges"))?;
        let second = l.match_indices("SAs and exchanges").nth(1)?.0;
        let start = l[..second].rfind('┌').unwrap_or(second);
        Some((l.to_string(), start))
    };
    assert!(
        heading(&screen).is_some(),
        "two headings side by side:\n{screen}"
    );

    // Peer2's router goes away (its process behind sshd is killed): the link drops.
    let killed = std::process::Command::new("pkill")
        .args(["-u", TEST_USER, "-f", "sim --scenario healthy --peer 2"])
        .status()
        .expect("pkill");
    assert!(killed.success(), "the SSH end's router was running");
    let dropped = t.wait("the SSH end reconnecting", Duration::from_secs(20), |s| {
        s.contains("reconnecting")
    });
    // Meanwhile the serial end keeps being read: its heading's age stays small.
    let deadline = Instant::now() + Duration::from_secs(8);
    let mut ages = Vec::new();
    while Instant::now() < deadline {
        let s = t.capture();
        if let Some((line, second)) = heading(&s) {
            if let Some(a) = read_ago(&line[..second.min(line.len())], 0) {
                ages.push(a);
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(!ages.is_empty(), "{dropped}");
    assert!(
        ages.iter().all(|a| *a <= 8),
        "the serial end stopped updating while the other was down: {ages:?}\n{dropped}"
    );
    // The dropped end comes back by itself (a new SSH login runs the simulator again).
    t.wait("the SSH end back", Duration::from_secs(60), |s| {
        !s.contains("reconnecting") && both(s)
    });
    // Debug was never turned on: q quits at once, logging off both ends.
    t.type_text("q");
    t.wait("the screen ends", Duration::from_secs(15), |_| {
        t.display("#{alternate_on}") == "0"
    });
    drop(sshd);
}
