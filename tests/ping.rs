//! The ping runner: command lines per OS and for the router, the parsers over real-looking
//! output of iputils, macOS and Windows ping and of the router's own, the running totals, and
//! the system `ping` run for real against 127.0.0.1 (stopped, dropped, never left a zombie),
//! and the clean environment a child starts with (no password, nothing of ours).

use std::time::Duration;
use tokio::sync::mpsc::Receiver;
use tokio::time::timeout;
use tunnelscope::ping::{
    spawn_command, spawn_system_ping, Os, PingCommand, PingEvent, PingForm, PingParser,
    PingRequest, PingStats, PingTarget,
};

fn parse(form: PingForm, text: &str) -> Vec<PingEvent> {
    let mut p = PingParser::new(form);
    text.lines().flat_map(|l| p.feed(l)).collect()
}

fn stats_of(events: &[PingEvent]) -> PingStats {
    let mut s = PingStats::new();
    for e in events {
        s.record(e);
    }
    s
}

fn reply(seq: u32, ms: f64) -> PingEvent {
    PingEvent::Reply {
        seq,
        time_ms: Some(ms),
    }
}

fn lost(seq: u32) -> PingEvent {
    PingEvent::Lost { seq, reason: None }
}

fn errors(events: &[PingEvent]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            PingEvent::Error(s) => Some(s.as_str()),
            _ => None,
        })
        .collect()
}

// Command lines.

#[test]
fn linux_command_line() {
    let t = PingTarget::System { os: Os::Linux };
    let req = PingRequest::new("192.168.2.100", Some(10)).interval(Duration::from_millis(500));
    let cmd = t.command(&req).expect("valid");
    assert_eq!(cmd.display(), "ping -n -O -c 10 -i 0.5 -W 2 192.168.2.100");
    assert_eq!(cmd.form, PingForm::Linux);
    // Until stopped, and an interval below what iputils allows a user.
    let req = PingRequest::new("10.0.0.1", None).interval(Duration::from_millis(10));
    let cmd = t.command(&req).expect("valid");
    assert_eq!(cmd.display(), "ping -n -O -i 0.2 -W 2 10.0.0.1");
}

#[test]
fn macos_command_line() {
    let t = PingTarget::System { os: Os::MacOs };
    let cmd = t
        .command(&PingRequest::new("192.168.2.100", Some(5)))
        .expect("valid");
    assert_eq!(cmd.display(), "ping -n -c 5 192.168.2.100");
    let slow = PingRequest::new("192.168.2.100", None).interval(Duration::from_secs(2));
    assert_eq!(
        t.command(&slow).expect("valid").display(),
        "ping -n -i 2 192.168.2.100"
    );
    let v6 = t
        .command(&PingRequest::new("fe80::1%en0", Some(1)))
        .expect("valid");
    assert_eq!(v6.display(), "ping6 -n -c 1 fe80::1%en0");
}

#[test]
fn windows_command_line() {
    let t = PingTarget::System { os: Os::Windows };
    let cmd = t
        .command(&PingRequest::new("192.168.2.100", Some(4)))
        .expect("valid");
    assert_eq!(cmd.display(), "ping -n 4 -w 2000 192.168.2.100");
    assert_eq!(cmd.form, PingForm::Windows);
    let cmd = t
        .command(&PingRequest::new("192.168.2.100", None))
        .expect("valid");
    assert_eq!(cmd.display(), "ping -t -w 2000 192.168.2.100");
}

#[test]
fn router_command_line() {
    let t = PingTarget::Router {
        source: Some("192.168.1.1".into()),
    };
    let cmd = t
        .command(&PingRequest::new("192.168.2.100", Some(5)))
        .expect("valid");
    assert_eq!(
        cmd.display(),
        "ping 192.168.2.100 number=5 sipaddress=192.168.1.1"
    );
    assert_eq!(cmd.form, PingForm::Router);
    let plain = PingTarget::Router { source: None }
        .command(&PingRequest::new("192.168.2.100", None))
        .expect("valid");
    assert_eq!(plain.display(), "ping 192.168.2.100 number=continuous");
}

#[test]
fn the_current_os_is_detected() {
    let expected = if cfg!(target_os = "windows") {
        Os::Windows
    } else if cfg!(target_os = "macos") {
        Os::MacOs
    } else if cfg!(target_os = "linux") {
        Os::Linux
    } else {
        Os::current()
    };
    assert_eq!(Os::current(), expected);
}

#[test]
fn addresses_that_look_like_options_or_words_are_refused() {
    let t = PingTarget::System { os: Os::Linux };
    for bad in ["", "-f", "10.0.0.1 -f", "host;reboot", "a\nb", "10.0.0.1\t"] {
        assert!(
            t.command(&PingRequest::new(bad, Some(1))).is_err(),
            "{bad:?}"
        );
    }
    for good in [
        "10.0.0.1",
        "gw.example.net",
        "::1",
        "fe80::1%eth0",
        "peer-2",
    ] {
        assert!(
            t.command(&PingRequest::new(good, Some(1))).is_ok(),
            "{good:?}"
        );
    }
}

// Linux (iputils).

const LINUX_WITH_TIMEOUTS: &str = "\
PING 192.168.2.100 (192.168.2.100) 56(84) bytes of data.
64 bytes from 192.168.2.100: icmp_seq=1 ttl=63 time=11.4 ms
no answer yet for icmp_seq=2
64 bytes from 192.168.2.100: icmp_seq=3 ttl=63 time=10.9 ms
64 bytes from 192.168.2.100: icmp_seq=4 ttl=63 time=12.1 ms

--- 192.168.2.100 ping statistics ---
5 packets transmitted, 3 received, 40% packet loss, time 4006ms
rtt min/avg/max/mdev = 10.912/11.466/12.103/0.487 ms
";

#[test]
fn linux_replies_timeouts_and_the_unanswered_last_packet() {
    let ev = parse(PingForm::Linux, LINUX_WITH_TIMEOUTS);
    assert_eq!(
        ev,
        [
            reply(1, 11.4),
            lost(2),
            reply(3, 10.9),
            reply(4, 12.1),
            lost(5),
            PingEvent::Summary {
                sent: 5,
                received: 3
            },
        ]
    );
    let s = stats_of(&ev);
    assert_eq!((s.sent, s.replied, s.lost), (5, 3, 2));
    assert_eq!((s.min_ms, s.max_ms), (Some(10.9), Some(12.1)));
    let avg = s.avg_ms().expect("avg");
    assert!((avg - 11.466).abs() < 0.01, "{avg}");
    assert_eq!(s.loss_percent(), Some(40.0));
    assert!(s.finished);
}

#[test]
fn linux_without_o_loses_packets_silently_and_the_gap_tells() {
    let out = "\
PING 10.0.0.5 (10.0.0.5) 56(84) bytes of data.
64 bytes from 10.0.0.5: icmp_seq=1 ttl=64 time=0.412 ms
64 bytes from 10.0.0.5: icmp_seq=3 ttl=64 time=0.388 ms
";
    assert_eq!(
        parse(PingForm::Linux, out),
        [reply(1, 0.412), lost(2), reply(3, 0.388)]
    );
}

#[test]
fn linux_unreachable_from_a_router() {
    let out = "\
PING 192.168.2.100 (192.168.2.100) 56(84) bytes of data.
From 192.168.1.1 icmp_seq=1 Destination Host Unreachable
From 192.168.1.1 icmp_seq=2 Destination Host Unreachable
From 192.168.1.1 icmp_seq=3 Frag needed and DF set (mtu = 1400)

--- 192.168.2.100 ping statistics ---
3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2036ms
pipe 3
";
    let ev = parse(PingForm::Linux, out);
    assert_eq!(ev.len(), 4);
    assert_eq!(
        ev[0],
        PingEvent::Lost {
            seq: 1,
            reason: Some("Destination Host Unreachable (from 192.168.1.1)".into())
        }
    );
    assert!(
        matches!(&ev[2], PingEvent::Lost { seq: 3, reason: Some(r) } if r.contains("mtu = 1400"))
    );
    let s = stats_of(&ev);
    assert_eq!((s.sent, s.replied, s.lost), (3, 0, 3));
}

/// As iputils 20221126 prints it with `-O`: an ICMP error, then "no answer yet" for the same
/// packet, and nothing for the last one.
#[test]
fn linux_o_reports_each_loss_once() {
    let out = "\
PING 10.255.255.1 (10.255.255.1) 56(84) bytes of data.
From 192.0.2.1 icmp_seq=1 Destination Port Unreachable
no answer yet for icmp_seq=1
From 192.0.2.1 icmp_seq=2 Destination Port Unreachable
no answer yet for icmp_seq=2
From 192.0.2.1 icmp_seq=3 Destination Port Unreachable

--- 10.255.255.1 ping statistics ---
3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 1035ms
";
    let ev = parse(PingForm::Linux, out);
    let seqs: Vec<u32> = ev
        .iter()
        .filter_map(|e| match e {
            PingEvent::Lost {
                seq,
                reason: Some(r),
            } if r.contains("Port Unreachable") => Some(*seq),
            _ => None,
        })
        .collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(ev.len(), 4, "{ev:?}");
    let silent = "\
PING 192.0.2.77 (192.0.2.77) 56(84) bytes of data.
no answer yet for icmp_seq=1
no answer yet for icmp_seq=2
no answer yet for icmp_seq=3

--- 192.0.2.77 ping statistics ---
4 packets transmitted, 0 received, 100% packet loss, time 1535ms
";
    let s = stats_of(&parse(PingForm::Linux, silent));
    assert_eq!((s.sent, s.replied, s.lost), (4, 0, 4));
}

#[test]
fn linux_late_reply_duplicates_and_host_names() {
    let out = "\
64 bytes from gw.example.net (10.0.0.1): icmp_seq=1 ttl=64 time=1.02 ms
no answer yet for icmp_seq=2
64 bytes from gw.example.net (10.0.0.1): icmp_seq=2 ttl=64 time=1503 ms
64 bytes from gw.example.net (10.0.0.1): icmp_seq=2 ttl=64 time=1504 ms (DUP!)
64 bytes from gw.example.net (10.0.0.1): icmp_seq=3 ttl=64 time=0.98 ms
64 bytes from gw.example.net (10.0.0.1): icmp_seq=3 ttl=64 time=0.99 ms
";
    let ev = parse(PingForm::Linux, out);
    assert_eq!(
        ev,
        [reply(1, 1.02), lost(2), reply(2, 1503.0), reply(3, 0.98)]
    );
    let s = stats_of(&ev);
    assert_eq!((s.sent, s.replied, s.lost), (3, 3, 0));
    assert!(s.recent.iter().all(|p| p.replied));
}

#[test]
fn linux_icmp_seq_wraps_past_65535() {
    let out = "\
64 bytes from 10.0.0.1: icmp_seq=65535 ttl=64 time=1.0 ms
64 bytes from 10.0.0.1: icmp_seq=0 ttl=64 time=1.0 ms
64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=1.0 ms
";
    let mut p = PingParser::new(PingForm::Linux);
    // Start as if the ping had been running for 18 hours.
    let mut seqs = Vec::new();
    for n in 1..65535u32 {
        p.feed(&format!(
            "64 bytes from 10.0.0.1: icmp_seq={n} ttl=64 time=1.0 ms"
        ));
    }
    for l in out.lines() {
        for e in p.feed(l) {
            if let PingEvent::Reply { seq, .. } = e {
                seqs.push(seq);
            }
        }
    }
    assert_eq!(seqs, [65535, 65536, 65537]);
}

#[test]
fn busybox_counts_from_zero() {
    let out = "\
PING 10.0.0.1 (10.0.0.1): 56 data bytes
64 bytes from 10.0.0.1: seq=0 ttl=64 time=0.071 ms
64 bytes from 10.0.0.1: seq=1 ttl=64 time=0.102 ms

--- 10.0.0.1 ping statistics ---
3 packets transmitted, 2 packets received, 33% packet loss
";
    let ev = parse(PingForm::Linux, out);
    assert_eq!(ev[..3], [reply(1, 0.071), reply(2, 0.102), lost(3)]);
}

#[test]
fn linux_errors_in_plain_words() {
    let cases = [
        (
            "ping: nosuchhost.example: Name or service not known",
            "unknown host",
        ),
        (
            "ping: nosuchhost.example: Temporary failure in name resolution",
            "unknown host",
        ),
        ("ping: connect: Network is unreachable", "no route"),
        ("ping: sendmsg: Network is unreachable", "no route"),
        ("ping: invalid argument: '0'", "invalid argument"),
    ];
    for (line, want) in cases {
        let ev = parse(PingForm::Linux, line);
        let errs = errors(&ev);
        assert_eq!(errs.len(), 1, "{line}");
        assert!(errs[0].contains(want), "{line} -> {}", errs[0]);
    }
    // iputils explains a permission failure in three lines: one error, with the remedy.
    let perm = "\
ping: socktype: SOCK_RAW
ping: socket: Operation not permitted
ping: => missing cap_net_raw+p capability or setuid?
";
    let ev = parse(PingForm::Linux, perm);
    let errs = errors(&ev);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("no permission to send ICMP"));
    assert!(errs[0].contains("ping_group_range"));
}

// macOS.

#[test]
fn macos_replies_and_timeouts() {
    let out = "\
PING 192.168.2.100 (192.168.2.100): 56 data bytes
64 bytes from 192.168.2.100: icmp_seq=0 ttl=63 time=11.234 ms
Request timeout for icmp_seq 1
64 bytes from 192.168.2.100: icmp_seq=2 ttl=63 time=10.871 ms
64 bytes from 192.168.2.100: icmp_seq=3 ttl=63 time=12.002 ms

--- 192.168.2.100 ping statistics ---
4 packets transmitted, 3 packets received, 25.0% packet loss
round-trip min/avg/max/stddev = 10.871/11.369/12.002/0.468 ms
";
    let ev = parse(PingForm::MacOs, out);
    assert_eq!(
        ev,
        [
            reply(1, 11.234),
            lost(2),
            reply(3, 10.871),
            reply(4, 12.002),
            PingEvent::Summary {
                sent: 4,
                received: 3
            },
        ]
    );
}

#[test]
fn macos_unreachable_is_one_lost_packet_not_two() {
    let out = "\
PING 192.168.2.100 (192.168.2.100): 56 data bytes
92 bytes from 192.168.1.1: Destination Host Unreachable
Vr HL TOS  Len   ID Flg  off TTL Pro  cks      Src      Dst
 4  5  00 5400 a3c5   0 0000  40  01 5e26 192.168.1.10  192.168.2.100

Request timeout for icmp_seq 0
Request timeout for icmp_seq 1

--- 192.168.2.100 ping statistics ---
2 packets transmitted, 0 packets received, 100.0% packet loss
";
    let ev = parse(PingForm::MacOs, out);
    assert_eq!(
        ev,
        [
            PingEvent::Lost {
                seq: 1,
                reason: Some("Destination Host Unreachable (from 192.168.1.1)".into())
            },
            lost(2),
            PingEvent::Summary {
                sent: 2,
                received: 0
            },
        ]
    );
}

#[test]
fn macos_errors() {
    let ev = parse(
        PingForm::MacOs,
        "ping: cannot resolve nosuchhost.example: Unknown host",
    );
    assert!(errors(&ev)[0].starts_with("unknown host"));
    let ev = parse(PingForm::MacOs, "ping: sendto: No route to host");
    assert!(errors(&ev)[0].contains("no route to the target"));
}

// Windows (English, CRLF).

#[test]
fn windows_replies_timeouts_and_sub_millisecond() {
    let out = "\r
Pinging 192.168.2.100 with 32 bytes of data:\r
Reply from 192.168.2.100: bytes=32 time=11ms TTL=63\r
Request timed out.\r
Reply from 192.168.2.100: bytes=32 time=12ms TTL=63\r
Reply from 192.168.2.100: bytes=32 time<1ms TTL=63\r
\r
Ping statistics for 192.168.2.100:\r
    Packets: Sent = 4, Received = 3, Lost = 1 (25% loss),\r
Approximate round trip times in milli-seconds:\r
    Minimum = 0ms, Maximum = 12ms, Average = 7ms\r
";
    let ev = parse(PingForm::Windows, out);
    assert_eq!(
        ev,
        [
            reply(1, 11.0),
            lost(2),
            reply(3, 12.0),
            reply(4, 0.5),
            PingEvent::Summary {
                sent: 4,
                received: 3
            },
        ]
    );
}

#[test]
fn windows_counts_icmp_errors_as_received_but_they_are_losses() {
    let out = "\
Pinging 192.168.2.100 with 32 bytes of data:
Reply from 192.168.1.1: Destination host unreachable.
Request timed out.
PING: transmit failed. General failure.
Reply from 192.168.2.100: bytes=32 time=9ms TTL=63

Ping statistics for 192.168.2.100:
    Packets: Sent = 4, Received = 2, Lost = 2 (50% loss),
";
    let ev = parse(PingForm::Windows, out);
    assert_eq!(
        ev[0],
        PingEvent::Lost {
            seq: 1,
            reason: Some("Destination host unreachable (from 192.168.1.1)".into())
        }
    );
    assert!(
        matches!(&ev[2], PingEvent::Lost { seq: 3, reason: Some(r) } if r.contains("General failure"))
    );
    let s = stats_of(&ev);
    assert_eq!((s.sent, s.replied, s.lost), (4, 1, 3));
}

#[test]
fn windows_unknown_host() {
    let ev = parse(
        PingForm::Windows,
        "Ping request could not find host nosuchhost. Please check the name and try again.",
    );
    assert_eq!(
        errors(&ev),
        ["unknown host nosuchhost: the name does not resolve"]
    );
}

// The router's own ping (the simulator's wording; real AlliedWare text is not published).

#[test]
fn router_ping_as_the_simulator_prints_it() {
    let out = "\
Manager Peer1> ping 192.168.2.100
Echo reply 1 from 192.168.2.100 time delay 11 ms
Request 2 timed out
Echo reply 3 from 192.168.2.100 time delay 13 ms
Echo reply 4 from 192.168.2.100 time delay 14 ms
Echo reply 5 from 192.168.2.100 time delay 15 ms
Ping: 5 sent, 4 received
";
    let ev = parse(PingForm::Router, out);
    assert_eq!(
        ev,
        [
            reply(1, 11.0),
            lost(2),
            reply(3, 13.0),
            reply(4, 14.0),
            reply(5, 15.0),
            PingEvent::Summary {
                sent: 5,
                received: 4
            },
        ]
    );
    let s = stats_of(&ev);
    assert_eq!((s.sent, s.replied, s.lost), (5, 4, 1));
    assert!(!s.running());
}

#[test]
fn router_ping_read_generously() {
    let out = "\
Echo reply from 192.168.2.100, time 4 ms
Ping 2 timed out
Reply from 192.168.2.100: bytes=32 time=5ms TTL=63
64 bytes from 192.168.2.100: icmp_seq=4 ttl=63 time=6.1 ms
Echo reply #5 from 192.168.2.100: time=7ms
Request timed out
Destination host unreachable
5 packets transmitted, 4 received, 28% packet loss
";
    let ev = parse(PingForm::Router, out);
    assert_eq!(
        ev,
        [
            reply(1, 4.0),
            lost(2),
            reply(3, 5.0),
            reply(4, 6.1),
            reply(5, 7.0),
            lost(6),
            PingEvent::Lost {
                seq: 7,
                reason: Some("Destination host unreachable".into())
            },
            PingEvent::Summary {
                sent: 5,
                received: 4
            },
        ]
    );
}

#[test]
fn router_ping_counting_from_zero_and_errors() {
    let ev = parse(
        PingForm::Router,
        "64 bytes from 10.0.0.1: icmp_seq=0 ttl=64 time=1 ms\n\
         64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=2 ms",
    );
    assert_eq!(ev, [reply(1, 1.0), reply(2, 2.0)]);
    let ev = parse(
        PingForm::Router,
        "Error (3035071): Invalid IP address \"1.2.3\".",
    );
    assert_eq!(
        errors(&ev),
        ["Error (3035071): Invalid IP address \"1.2.3\"."]
    );
}

#[test]
fn a_summary_alone_gives_the_totals() {
    let ev = parse(PingForm::Router, "Ping: 5 sent, 4 received");
    let s = stats_of(&ev);
    assert_eq!((s.sent, s.replied, s.lost), (5, 4, 1));
}

#[test]
fn garbage_is_ignored_not_fatal() {
    let junk = "\u{1b}[2J\0\u{fffd}\u{fffd} 99999999999999999999 packets transmitted, 1 received\n\
                64 bytes from x: icmp_seq=99999999999999 time=1 ms\n--More--";
    for form in [
        PingForm::Linux,
        PingForm::MacOs,
        PingForm::Windows,
        PingForm::Router,
    ] {
        let ev = parse(form, junk);
        assert!(ev.len() <= 2, "{form:?}: {ev:?}");
    }
    // A summary claiming billions of packets does not invent billions of losses.
    let ev = parse(
        PingForm::Linux,
        "4000000000 packets transmitted, 0 received",
    );
    assert_eq!(ev.len(), 1);
}

#[test]
fn stats_feed_the_verdict() {
    let mut s = stats_of(&parse(PingForm::Linux, LINUX_WITH_TIMEOUTS));
    s.record(&PingEvent::Finished {
        exit: Some(1),
        stopped: false,
    });
    let t = s.tally();
    assert_eq!((t.sent, t.replied, t.running), (5, 3, false));
    let mut running = PingStats::new();
    running.record(&PingEvent::Started {
        command: "ping".into(),
        pid: None,
    });
    running.record(&reply(1, 1.0));
    assert!(running.tally().running);
}

// The system ping, for real.

/// Under CI the machine is set up to ping; anywhere else a missing `ping` or missing ICMP
/// permission skips rather than fails.
fn ping_unavailable(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the system ping cannot run under CI: {why} (install iputils-ping; run as root or give ping cap_net_raw)");
    }
    eprintln!("SKIPPED: the system ping cannot run here: {why}");
}

/// The first error event that means ping cannot run at all on this machine.
fn fatal(e: &PingEvent) -> Option<String> {
    match e {
        PingEvent::Error(s)
            if s.contains("could not start")
                || s.contains("no permission")
                || s.contains("failed with exit status") =>
        {
            Some(s.clone())
        }
        _ => None,
    }
}

async fn next(rx: &mut Receiver<PingEvent>) -> Option<PingEvent> {
    timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an event within 10 s")
}

/// Whether the process is gone and reaped (a zombie still has its /proc entry).
fn reaped(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

async fn wait_reaped(pid: u32) -> bool {
    for _ in 0..50 {
        if reaped(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn real_ping_of_localhost_three_times() {
    let (mut rx, handle) = spawn_system_ping("127.0.0.1", Some(3), Duration::from_millis(200));
    let mut events = Vec::new();
    while let Some(e) = next(&mut rx).await {
        if let Some(why) = fatal(&e) {
            return ping_unavailable(&why);
        }
        events.push(e);
    }
    handle.join().await;
    let s = stats_of(&events);
    assert_eq!((s.sent, s.replied, s.lost), (3, 3, 0), "{events:?}");
    assert!(events.contains(&PingEvent::Summary {
        sent: 3,
        received: 3
    }));
    assert_eq!(
        events.last(),
        Some(&PingEvent::Finished {
            exit: Some(0),
            stopped: false
        })
    );
    let Some(PingEvent::Started { pid: Some(pid), .. }) = events.first() else {
        panic!("no Started event: {events:?}");
    };
    if cfg!(target_os = "linux") {
        assert!(reaped(*pid), "ping {pid} left behind");
    }
}

#[tokio::test]
async fn real_ping_until_stopped_stops_and_is_reaped() {
    let (mut rx, mut handle) = spawn_system_ping("127.0.0.1", None, Duration::from_millis(200));
    let mut pid = None;
    let mut replies = 0;
    while replies < 2 {
        let Some(e) = next(&mut rx).await else {
            panic!("the ping ended by itself");
        };
        if let Some(why) = fatal(&e) {
            return ping_unavailable(&why);
        }
        match e {
            PingEvent::Started { pid: p, .. } => pid = p,
            PingEvent::Reply { .. } => replies += 1,
            _ => {}
        }
    }
    handle.stop();
    let mut finished = None;
    while let Some(e) = next(&mut rx).await {
        if let PingEvent::Finished { stopped, .. } = e {
            finished = Some(stopped);
        }
    }
    assert_eq!(finished, Some(true));
    assert!(handle.is_finished() || timeout(Duration::from_secs(5), handle.join()).await.is_ok());
    if let (Some(pid), true) = (pid, cfg!(target_os = "linux")) {
        assert!(reaped(pid), "ping {pid} left behind");
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn dropping_the_handle_or_the_receiver_kills_the_ping() {
    for drop_handle in [true, false] {
        let (mut rx, handle) = spawn_system_ping("127.0.0.1", None, Duration::from_millis(200));
        let pid = loop {
            match next(&mut rx).await {
                Some(PingEvent::Started { pid: Some(pid), .. }) => break pid,
                Some(e) => {
                    if let Some(why) = fatal(&e) {
                        return ping_unavailable(&why);
                    }
                }
                None => panic!("no Started event"),
            }
        };
        assert!(!reaped(pid));
        if drop_handle {
            drop(handle);
            assert!(wait_reaped(pid).await, "ping {pid} outlived its handle");
        } else {
            drop(rx);
            assert!(wait_reaped(pid).await, "ping {pid} outlived its receiver");
            drop(handle);
        }
    }
}

async fn collect(cmd: PingCommand) -> Vec<PingEvent> {
    let (mut rx, _handle) = spawn_command(cmd);
    let mut events = Vec::new();
    while let Some(e) = next(&mut rx).await {
        events.push(e);
    }
    events
}

// The runner with stand-in programs, so its edges are tested without the network.

#[cfg(unix)]
fn sh(script: &str) -> PingCommand {
    PingCommand {
        program: "sh".into(),
        args: vec!["-c".into(), script.into()],
        form: PingForm::Linux,
    }
}

#[cfg(unix)]
#[tokio::test]
async fn no_icmp_permission_is_a_clear_error() {
    let events = collect(sh(
        "echo 'ping: socktype: SOCK_RAW' >&2; echo 'ping: socket: Operation not permitted' >&2; \
         echo 'ping: => missing cap_net_raw+p capability or setuid?' >&2; exit 2",
    ))
    .await;
    let errs = errors(&events);
    assert_eq!(errs.len(), 1, "{events:?}");
    assert!(errs[0].starts_with("no permission to send ICMP"));
    assert_eq!(
        events.last(),
        Some(&PingEvent::Finished {
            exit: Some(2),
            stopped: false
        })
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_failing_exit_without_words_is_still_an_error() {
    let events = collect(sh("echo 'odd' ; exit 3")).await;
    assert_eq!(
        errors(&events),
        ["`sh -c echo 'odd' ; exit 3` failed with exit status 3"]
    );
}

#[cfg(unix)]
#[tokio::test]
async fn lines_split_across_writes_are_joined() {
    let events = collect(sh(
        "printf '64 bytes from 10.0.0.1: icmp_'; sleep 0.2; \
         printf 'seq=1 ttl=64 time=1.5 ms\\n64 bytes from 10.0.0.1: icmp_seq=2 ttl=64 time=2 ms'",
    ))
    .await;
    let replies: Vec<&PingEvent> = events
        .iter()
        .filter(|e| matches!(e, PingEvent::Reply { .. }))
        .collect();
    assert_eq!(replies, [&reply(1, 1.5), &reply(2, 2.0)]);
}

#[tokio::test]
async fn a_missing_program_says_so() {
    let events = collect(PingCommand {
        program: "tunnelscope-no-such-ping".into(),
        args: vec![],
        form: PingForm::Linux,
    })
    .await;
    assert!(errors(&events)[0].starts_with("could not start `tunnelscope-no-such-ping`"));
    assert_eq!(
        events.last(),
        Some(&PingEvent::Finished {
            exit: None,
            stopped: false
        })
    );
}

#[tokio::test]
async fn a_bad_address_never_starts_a_process() {
    let (mut rx, handle) = spawn_system_ping("-f", Some(1), Duration::from_secs(1));
    assert!(handle.is_finished());
    let first = next(&mut rx).await;
    assert!(matches!(first, Some(PingEvent::Error(ref s)) if s.contains("not a host name")));
    assert!(matches!(
        next(&mut rx).await,
        Some(PingEvent::Finished { exit: None, .. })
    ));
}

/// The child starts with a clean environment: the password tunnelscope was given in
/// TUNNELSCOPE_PASSWORD (or anything else of this process, such as cargo's variables) never
/// reaches it; it gets PATH and the C locale only.
#[cfg(unix)]
#[tokio::test]
async fn the_child_gets_a_clean_environment() {
    // Only std touches the environment in this process, under its lock; no other test here
    // reads this variable.
    std::env::set_var("TUNNELSCOPE_PASSWORD", "ts-ping-env-secret");
    let events = collect(sh(
        "env > /dev/null; leaked=$(env | grep -v -E '^(PATH|LC_ALL|LANG|PWD|SHLVL|_|OLDPWD)='); \
         if [ -n \"$leaked\" ]; then echo \"leaked: $leaked\"; exit 3; fi; \
         [ \"$LC_ALL\" = C ] && [ \"$LANG\" = C ] && [ -n \"$PATH\" ] || exit 4; \
         echo '64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=1.5 ms'",
    ))
    .await;
    std::env::remove_var("TUNNELSCOPE_PASSWORD");
    assert!(errors(&events).is_empty(), "{events:?}");
    assert!(events.contains(&reply(1, 1.5)), "{events:?}");
    assert_eq!(
        events.last(),
        Some(&PingEvent::Finished {
            exit: Some(0),
            stopped: false
        })
    );
}
