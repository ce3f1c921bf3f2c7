//! The live room with no terminal at all (issue 9): the demo's two simulated routers run
//! headless, a ping crosses, a reset goes out, and `RouterState` says so; the user's `--rules`
//! reach the live room and a replay; the user's `--prompt` reaches the support dump's
//! collection (a router on a real pty whose prompt only the user's pattern knows).

#[path = "support/pty.rs"]
mod pty;

use std::io::{Read, Write};
use std::time::{Duration, Instant};
use tunnelscope::alliedware::debug::Classifier;
use tunnelscope::alliedware::prompt::PromptMatcher;
use tunnelscope::console::session::{LoginState, SessionConfig};
use tunnelscope::live::debuglog::Entry;
use tunnelscope::live::{Action, CaptureChoice, Live, Options, Pace, RouterState, Source};
use tunnelscope::model::Phase;
use tunnelscope::sim::Scenario;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Run the room until `ok` holds; fails the test naming `what` after `within`.
async fn until(live: &mut Live, what: &str, within: Duration, ok: impl Fn(&Live) -> bool) {
    let end = Instant::now() + within;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    while !ok(live) {
        assert!(Instant::now() < end, "waited {within:?} for {what}");
        tokio::select! {
            i = live.recv() => if let Some(i) = i { live.handle(i); },
            _ = tick.tick() => live.tick(),
        }
    }
}

fn logged_in(r: &RouterState) -> bool {
    r.status
        .as_ref()
        .is_some_and(|s| s.login == LoginState::LoggedIn)
}

fn debug_on(r: &RouterState) -> bool {
    r.status.as_ref().is_some_and(|s| s.debug_on)
}

fn delta(r: &RouterState, name: &str) -> u64 {
    r.counters
        .rows()
        .iter()
        .find(|c| c.name == name)
        .map_or(0, |c| c.delta())
}

#[test]
fn the_demo_runs_headless_a_ping_crosses_and_a_reset_renegotiates() {
    runtime().block_on(async {
        let mut live = Live::open(Source::Demo(Scenario::Healthy), Options::default())
            .expect("the room opens");
        assert_eq!(live.routers.len(), 2);
        until(
            &mut live,
            "both routers read",
            Duration::from_secs(40),
            |l| {
                l.routers
                    .iter()
                    .all(|r| logged_in(r) && r.config_read && r.counters_reads > 0 && r.reads >= 3)
            },
        )
        .await;
        let r = &live.routers[0];
        assert_eq!(r.label, "Peer1");
        assert!(
            r.state.snapshot.ike_sas.iter().any(|s| s.established),
            "Peer1's ISAKMP SA: {:?}",
            r.state.snapshot.ike_sas
        );
        assert_eq!(r.chosen_policy().as_deref(), Some("wiz_Peer1 to Peer2"));

        for router in 0..2 {
            live.apply(Action::Debug { router, on: true });
            live.apply(Action::Baseline { router });
        }
        until(
            &mut live,
            "debug on at both ends",
            Duration::from_secs(20),
            |l| l.routers.iter().all(debug_on),
        )
        .await;
        live.apply(Action::Ping {
            router: 0,
            start: true,
        });
        until(&mut live, "the ping's end", Duration::from_secs(30), |l| {
            let p = &l.routers[0].ping;
            p.sent == 10 && !p.running
        })
        .await;
        assert_eq!(live.routers[0].ping.replied, 10, "every ping answered");
        let reads = live.routers[0].counters_reads;
        live.apply(Action::PollNow { router: 0 });
        until(
            &mut live,
            "the counters after the ping",
            Duration::from_secs(20),
            |l| l.routers[0].counters_reads > reads,
        )
        .await;
        assert_eq!(delta(&live.routers[0], "outProcessDone"), 10);
        assert_eq!(delta(&live.routers[0], "inProcessDone"), 10);

        // The How To Note's reset: the four commands, in order, then a new phase 1.
        let lines_before = live.routers[0].debug.total();
        live.apply(Action::Reset { router: 0 });
        assert!(
            live.routers[0]
                .console
                .iter()
                .any(|l| l.contains("disable ipsec, disable isakmp, enable isakmp, enable ipsec")),
            "{:?}",
            live.routers[0].console
        );
        until(
            &mut live,
            "phase 1 negotiated again",
            Duration::from_secs(40),
            |l| {
                let r = &l.routers[0];
                r.debug
                    .iter()
                    .skip(lines_before)
                    .any(|s| matches!(&s.entry, Entry::Line(e) if e.phase == Phase::One))
            },
        )
        .await;

        // Quit: debug turned off where it was turned on, and each console logged off.
        live.shutdown().await;
        for r in &live.routers {
            assert!(!debug_on(r), "{}: debug left on", r.label);
        }
    });
}

/// A rules file that puts the simulator's heartbeat lines in phase 1.5 (built in, they are
/// information).
fn heartbeat_rules(dir: &std::path::Path) -> &'static Classifier {
    let path = dir.join("rules.toml");
    std::fs::write(
        &path,
        "[[rule]]\nname = \"heartbeat-is-1.5\"\npattern = 'heartbeat'\nphase = \"1.5\"\npriority = 250\n",
    )
    .expect("rules file");
    Box::leak(Box::new(
        Classifier::with_user_file(&path).expect("the rules load"),
    ))
}

fn heartbeat_phases(r: &RouterState) -> Vec<Phase> {
    r.debug
        .iter()
        .filter_map(|s| match &s.entry {
            Entry::Line(e) if e.text.to_ascii_lowercase().contains("heartbeat") => Some(e.phase),
            _ => None,
        })
        .collect()
}

#[test]
fn user_rules_reach_the_live_room_and_a_replay() {
    let dir = tempdir();
    let rules = heartbeat_rules(&dir);
    let capture = dir.join("peer1.cap");
    runtime().block_on(async {
        // Built in, a heartbeat line is not phase 1.5.
        assert_ne!(
            Classifier::builtin()
                .classify("ISAKMP: heartbeat sent to 200.200.200.2", false)
                .phase,
            Phase::OneAndHalf
        );
        let opts = Options {
            rules,
            capture: CaptureChoice::Path(capture.clone()),
            ..Options::default()
        };
        let mut live = Live::open(Source::Demo(Scenario::Healthy), opts).expect("opens");
        until(&mut live, "logged in", Duration::from_secs(40), |l| {
            l.routers.iter().all(logged_in)
        })
        .await;
        live.apply(Action::Debug {
            router: 0,
            on: true,
        });
        until(&mut live, "heartbeat lines", Duration::from_secs(60), |l| {
            heartbeat_phases(&l.routers[0]).len() >= 2
        })
        .await;
        let phases = heartbeat_phases(&live.routers[0]);
        assert!(
            phases.iter().all(|p| *p == Phase::OneAndHalf),
            "the live room reads with the user's rules: {phases:?}"
        );
        live.shutdown().await;

        // The same capture replayed with and without the rules.
        for (rules, want) in [(rules, true), (Classifier::builtin(), false)] {
            let opts = Options {
                rules,
                ..Options::default()
            };
            let mut replay = Live::open(Source::Replay(vec![capture.clone()], Pace::Instant), opts)
                .expect("replay");
            until(
                &mut replay,
                "the replay's end",
                Duration::from_secs(30),
                |l| {
                    l.replay_status
                        .as_deref()
                        .is_some_and(|s| s.starts_with("replay finished"))
                        && !heartbeat_phases(&l.routers[0]).is_empty()
                },
            )
            .await;
            let phases = heartbeat_phases(&replay.routers[0]);
            assert_eq!(
                phases.iter().all(|p| *p == Phase::OneAndHalf),
                want,
                "replay with user rules {want}: {phases:?}"
            );
        }
    });
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "tunnelscope-live-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A router whose prompt is `GW-9# `, which only the user's `--prompt` knows, on a pty: it
/// answers `show debug ipsec` with a few lines and every other command with nothing.
fn odd_prompt_router(p: &pty::Pty) -> std::thread::JoinHandle<()> {
    let fd = p.master.try_clone().expect("dup");
    std::thread::spawn(move || {
        let mut f = std::fs::File::from(fd);
        let mut line = String::new();
        let mut buf = [0u8; 256];
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            for &b in &buf[..n] {
                match b {
                    b'\r' | b'\n' => {
                        let cmd = std::mem::take(&mut line);
                        let mut out = String::from("\r\n");
                        if cmd.trim() == "show debug ipsec" {
                            out.push_str(
                                "System: GW-9\r\nIPsec module enabled\r\nISAKMP module enabled\r\n",
                            );
                        }
                        out.push_str("GW-9# ");
                        if f.write_all(out.as_bytes()).is_err() {
                            return;
                        }
                    }
                    0x20..=0x7e => {
                        line.push(char::from(b));
                        // The console echoes what is typed.
                        if f.write_all(&[b]).is_err() {
                            return;
                        }
                    }
                    _ => {}
                }
            }
        }
    })
}

#[test]
fn the_users_prompt_reaches_the_support_dump() {
    let dir = tempdir();
    let p = pty::open();
    let _router = odd_prompt_router(&p);
    let target = format!("serial:{}", p.path);
    let mut cfg: SessionConfig = tunnelscope::console::session::SessionConfig {
        target: target.parse().expect("target"),
        link: Default::default(),
        user: None,
        password: None,
        prompt: PromptMatcher::new(Some(r"^GW-9# ")).expect("prompt"),
        poll: Default::default(),
        reconnect: false,
        dialect: tunnelscope::alliedware::dialect::dialect(),
        rules: Classifier::builtin(),
    };
    cfg.poll.enabled = false;
    let capture = dir.join("gw9.cap");
    runtime().block_on(async {
        let opts = Options {
            capture: CaptureChoice::Path(capture.clone()),
            prompt: cfg.prompt.clone(),
            ..Options::default()
        };
        let mut live = Live::open(Source::link(cfg), opts).expect("opens");
        let r = until(&mut live, "the prompt", Duration::from_secs(20), |l| {
            logged_in(&l.routers[0])
        });
        if tokio::time::timeout(Duration::from_secs(10), r)
            .await
            .is_err()
        {
            panic!(
                "{:?} {:?} {:?}",
                live.routers[0].status, live.routers[0].raw_lines, live.routers[0].errors
            );
        }
        live.apply(Action::SupportDump { router: 0 });
        until(&mut live, "the dump saved", Duration::from_secs(20), |l| {
            !l.routers[0].saved.is_empty()
        })
        .await;
        let saved = std::fs::read_to_string(&live.routers[0].saved[0]).expect("the dump file");
        assert_eq!(
            saved, "System: GW-9\nIPsec module enabled\nISAKMP module enabled\n",
            "the dump is the command's output, ended by the user's prompt"
        );
        live.shutdown().await;
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// `replay CAP_A CAP_B`: the two ends' captures play into one room, each into its own router,
/// started together where their recordings started.
#[test]
fn two_captures_replay_into_two_routers() {
    let dir = tempdir();
    let capture = dir.join("both.cap");
    runtime().block_on(async {
        let opts = Options {
            capture: CaptureChoice::Path(capture.clone()),
            ..Options::default()
        };
        let mut live = Live::open(Source::Demo(Scenario::SaOutOfStep), opts).expect("opens");
        until(&mut live, "both read", Duration::from_secs(40), |l| {
            l.routers.iter().all(|r| r.reads >= 3)
        })
        .await;
        live.shutdown().await;
        let second = dir.join("both-peer2.cap");
        assert!(
            second.exists(),
            "the second end's capture is named after it"
        );
        let mut replay = Live::open(
            Source::Replay(vec![capture.clone(), second], Pace::Instant),
            Options::default(),
        )
        .expect("replay");
        assert_eq!(replay.routers.len(), 2);
        until(
            &mut replay,
            "both ends' tables",
            Duration::from_secs(30),
            |l| l.routers.iter().all(|r| r.reads >= 3),
        )
        .await;
        // Each capture went to its own router: Peer1 still sends with its SA, Peer2 has none
        // (sa-out-of-step), and compared they are unpaired.
        let (a, b) = (&replay.routers[0], &replay.routers[1]);
        assert_eq!(a.state.snapshot.ipsec_sas.len(), 1);
        assert!(b.state.snapshot.ipsec_sas.is_empty());
        let t = tunnelscope::tunnel::examine(
            &tunnelscope::tunnel::End::new("Peer1", &a.state.snapshot),
            &tunnelscope::tunnel::End::new("Peer2", &b.state.snapshot),
        );
        assert!(t.has(tunnelscope::tunnel::FactKind::SpiUnpaired), "{t:?}");
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// A router whose `show enco key=N` reply has the value where no redaction looks for it (on a
/// line of its own, with no `Value` label), and again a moment after its prompt.
fn hostile_key_router(p: &pty::Pty, secret: &'static str) -> std::thread::JoinHandle<()> {
    let fd = p.master.try_clone().expect("dup");
    std::thread::spawn(move || {
        let mut f = std::fs::File::from(fd);
        let mut line = String::new();
        let mut buf = [0u8; 256];
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            for &b in &buf[..n] {
                match b {
                    b'\r' | b'\n' => {
                        let cmd = std::mem::take(&mut line);
                        let mut out = String::from("\r\n");
                        let c = cmd.trim();
                        if c == "show config dynamic" {
                            out.push_str("create isakmp policy=vpn peer=10.0.0.2 key=1\r\n");
                        } else if c.starts_with("show enco key") {
                            out.push_str(&format!("EncoKey {secret}\r\n{secret}\r\n"));
                        }
                        out.push_str("GW-9# ");
                        if f.write_all(out.as_bytes()).is_err() {
                            return;
                        }
                        if c.starts_with("show enco key") {
                            std::thread::sleep(Duration::from_millis(300));
                            let late = format!("  Value ....... {secret}\r\n");
                            if f.write_all(late.as_bytes()).is_err() {
                                return;
                            }
                        }
                    }
                    0x20..=0x7e => {
                        line.push(char::from(b));
                        if f.write_all(&[b]).is_err() {
                            return;
                        }
                    }
                    _ => {}
                }
            }
        }
    })
}

/// The attacker's review of issue 10: a key value in an unexpected layout, or arriving after
/// the prompt, reached the capture and the report. Nothing the routers send while their keys
/// are read (and a moment after) reaches a capture or the room's state.
#[test]
fn key_values_in_odd_layouts_reach_no_capture_and_no_state() {
    let dir = tempdir();
    let secrets = ["TopSecretPSK-A-XYZZY", "TopSecretPSK-B-XYZZY"];
    let ptys = [pty::open(), pty::open()];
    let _routers: Vec<_> = ptys
        .iter()
        .zip(secrets)
        .map(|(p, s)| hostile_key_router(p, s))
        .collect();
    let cfgs: Vec<SessionConfig> = ptys
        .iter()
        .map(|p| {
            let mut c = SessionConfig {
                target: format!("serial:{}", p.path).parse().expect("target"),
                link: Default::default(),
                user: None,
                password: None,
                prompt: PromptMatcher::new(Some(r"^GW-9# ")).expect("prompt"),
                poll: Default::default(),
                reconnect: false,
                dialect: tunnelscope::alliedware::dialect::dialect(),
                rules: Classifier::builtin(),
            };
            c.poll.enabled = false;
            c
        })
        .collect();
    let capture = dir.join("keys.cap");
    runtime().block_on(async {
        let opts = Options {
            capture: CaptureChoice::Path(capture.clone()),
            prompt: cfgs[0].prompt.clone(),
            ..Options::default()
        };
        let mut live = Live::open(Source::Links(cfgs), opts).expect("opens");
        until(
            &mut live,
            "both configurations",
            Duration::from_secs(20),
            |l| l.routers.iter().all(|r| r.config_read),
        )
        .await;
        live.apply(Action::CompareKeys);
        until(&mut live, "the comparison", Duration::from_secs(40), |l| {
            !l.reading_keys()
        })
        .await;
        // The late values come and go while the output is still withheld.
        let end = Instant::now() + Duration::from_secs(4);
        while Instant::now() < end {
            if let Ok(Some(i)) = tokio::time::timeout(Duration::from_millis(200), live.recv()).await
            {
                let _ = live.handle(i);
            }
        }
        assert_eq!(
            live.keys_same, None,
            "no value found: not compared, never 'same'"
        );
        for r in &live.routers {
            let seen = format!(
                "{:?}{:?}{:?}{:?}",
                r.state.snapshot, r.console, r.raw_lines, r.raw_pending
            ) + &r
                .debug
                .iter()
                .map(|s| s.text().to_string())
                .collect::<String>();
            for s in secrets {
                assert!(
                    !seen.contains(s),
                    "{}: a key value in the room's state",
                    r.label
                );
            }
        }
        live.shutdown().await;
    });
    for f in std::fs::read_dir(&dir).expect("dir").flatten() {
        let text = std::fs::read_to_string(f.path()).unwrap_or_default();
        for s in secrets {
            assert!(
                !text.contains(s),
                "{}: a key value captured",
                f.path().display()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
