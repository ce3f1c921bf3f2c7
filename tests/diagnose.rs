//! `tunnelscope diagnose` as a user runs it (issue 9, item 7): the release binary on a
//! simulated router, headless. A stalled phase 1 exits 1 with its finding; a healthy tunnel
//! exits 0 with the pings answered and the counters moved by the replies; a missing serial
//! device exits 2 with the reason `connect` gives; the capture it writes replays.

#[path = "support/cli.rs"]
mod cli;

use cli::{codes, json, tempdir, tunnelscope};

fn delta(v: &serde_json::Value, name: &str) -> u64 {
    v["counter_deltas"]["counters"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == name))
        .and_then(|c| c["delta"].as_u64())
        .unwrap_or(0)
}

#[test]
fn a_stalled_phase_one_exits_1_with_its_finding() {
    let d = tempdir("stall");
    let out = tunnelscope(
        &[
            "diagnose",
            "sim:phase1-stall",
            "--for",
            "30",
            "--json",
            "--no-capture",
        ],
        &d,
    );
    let v = json(&out);
    assert_eq!(out.status.code(), Some(1), "{:?}", codes(&v));
    assert!(
        codes(&v).iter().any(|c| c == "phase1-stalled"),
        "{:?}",
        codes(&v)
    );
    // The ping went out and nothing came back through a tunnel that is not there.
    assert_eq!(v["pings"]["sent"], 10);
    assert_eq!(v["pings"]["replied"], 0);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_healthy_tunnel_exits_0_with_the_pings_and_counters_moved_by_the_replies() {
    let d = tempdir("healthy");
    let capture = d.join("healthy.cap");
    let cap = capture.to_string_lossy().into_owned();
    let out = tunnelscope(
        &[
            "diagnose",
            "sim:healthy",
            "--for",
            "20",
            "--json",
            "--capture",
            &cap,
        ],
        &d,
    );
    let v = json(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{:?} {}",
        codes(&v),
        String::from_utf8_lossy(&out.stderr)
    );
    let replied = v["pings"]["replied"].as_u64().unwrap_or(0);
    assert_eq!(v["pings"]["sent"], 10);
    assert_eq!(replied, 10, "{}", v["pings"]);
    assert_eq!(
        delta(&v, "outProcessDone"),
        replied,
        "{}",
        v["counter_deltas"]
    );
    assert_eq!(
        delta(&v, "inProcessDone"),
        replied,
        "{}",
        v["counter_deltas"]
    );
    let verdict = v["counter_deltas"]["verdict"].to_string();
    assert!(verdict.contains("both ways"), "{verdict}");
    assert!(v["findings"]
        .as_array()
        .is_some_and(|f| f.iter().all(|f| f["severity"] != "error")));

    // The capture is 0600 and reads like any other; debug went off and the console was
    // logged off at the end.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&capture)
        .expect("capture")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&capture).expect("capture text");
    let on = text
        .find("> \"enable isakmp debug=all\\r\"")
        .expect("debug on sent");
    let off = text
        .find("> \"disable isakmp debug=all\\r\"")
        .expect("debug off sent");
    let logoff = text.rfind("> \"logoff\\r\"").expect("logoff sent");
    assert!(on < off && off < logoff, "debug on, off, then logoff");
    let a = tunnelscope(&["analyze", "--json", &cap], &d);
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    let av = json(&a);
    assert!(
        av["ipsec_sas"].as_array().is_some_and(|s| !s.is_empty()),
        "the capture's tables read back"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_missing_serial_device_exits_2_with_the_reason_connect_gives() {
    let d = tempdir("missing");
    let out = tunnelscope(&["diagnose", "serial:/dev/nonexistent"], &d);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("serial device /dev/nonexistent does not exist"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    // `snapshot` opens the same link the same way: the same words.
    let snap = tunnelscope(&["snapshot", "serial:/dev/nonexistent"], &d);
    assert_eq!(snap.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&snap.stderr), err);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_text_report_names_the_ping_and_the_counters() {
    let d = tempdir("text");
    let out = tunnelscope(
        &[
            "diagnose",
            "sim:healthy",
            "--for",
            "15",
            "--no-capture",
            "--no-debug",
        ],
        &d,
    );
    assert_eq!(out.status.code(), Some(0));
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("Ping across the tunnel"), "{t}");
    assert!(t.contains("10 sent, 10 replies"), "{t}");
    assert!(t.contains("outProcessDone"), "{t}");
    let _ = std::fs::remove_dir_all(&d);
}

/// The review of issue 10: two runs started in the same second wrote one capture between
/// them (the default name is the router and the second); each now gets its own.
#[test]
fn runs_started_together_each_keep_a_capture() {
    let d = tempdir("together");
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let d = d.clone();
            std::thread::spawn(move || {
                tunnelscope(&["diagnose", "sim:healthy", "--for", "2", "--no-debug"], &d)
            })
        })
        .collect();
    for r in runs {
        let out = r.join().expect("run");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let dir = d.join("tunnelscope").join("captures");
    let n = std::fs::read_dir(&dir)
        .map(|r| {
            r.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "tscap"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(n, 2, "one capture each in {}", dir.display());
    let _ = std::fs::remove_dir_all(&d);
}
