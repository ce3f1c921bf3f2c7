//! The command line's edges found by a newcomer: output to a full disk is a message, not a
//! panic; an unknown simulator scenario is refused at once (it was retried for ever); the
//! simulator's own log-ins need no password from the user.

use std::process::{Command, Stdio};
use std::time::Duration;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tunnelscope"));
    let dir = std::env::temp_dir().join(format!("ts-cli-edges-{}", std::process::id()));
    c.env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env_remove("TUNNELSCOPE_PASSWORD")
        .stdin(Stdio::null());
    c
}

#[test]
fn keys_and_ports_to_a_full_disk_are_a_message_not_a_panic() {
    for args in [&["keys"][..], &["ports"][..]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = bin().args(args).stdout(full).output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        // `ports` on a machine with no serial port and no output error would be 0; with
        // /dev/full every write fails.
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    }
}

#[test]
fn an_unknown_scenario_is_refused_at_once() {
    for cmd in ["connect", "snapshot"] {
        let mut child = bin()
            .args([cmd, "sim:nope"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run");
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break s;
            }
            if start.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                panic!("{cmd} sim:nope still running after 10 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = child.wait_with_output().expect("output");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(status.code(), Some(2), "{cmd}: {err}");
        assert!(err.contains("nope"), "{cmd}: {err}");
    }
}

#[test]
fn the_simulators_manager_login_needs_no_password() {
    let out = bin()
        .args(["snapshot", "sim:healthy", "--user", "manager", "--json"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        v["isakmp_sas"].as_array().is_some_and(|a| !a.is_empty()),
        "{v}"
    );
}
