//! Both ends of a tunnel from the command line (issue 10): `snapshot A B --json`,
//! `diagnose A B --json` and `analyze FILE --other FILE` report `ends`, `tunnel` (SA and SPI
//! pairs, the configuration side by side) and one `findings` list naming each finding's end.
//! Two `sim:` targets of one scenario are the two peers of one simulated network.

#[path = "support/cli.rs"]
mod cli;

use cli::{codes, json, tempdir, tunnelscope};
use std::process::Command;

fn snapshot(scenario: &str) -> serde_json::Value {
    let d = tempdir(scenario);
    let a = format!("sim:{scenario}");
    let b = format!("sim:{scenario}/2");
    let out = tunnelscope(&["snapshot", &a, &b, "--json"], &d);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&d);
    json(&out)
}

#[test]
fn a_healthy_tunnel_has_every_ipsec_pair_paired_and_no_tunnel_finding() {
    let v = snapshot("healthy");
    let ends = v["ends"].as_array().expect("ends");
    assert_eq!(ends.len(), 2);
    assert_eq!(ends[0]["router"], "Peer1");
    assert_eq!(ends[1]["router"], "Peer2");
    let pairs = v["tunnel"]["ipsec_pairs"].as_array().expect("ipsec pairs");
    assert!(!pairs.is_empty(), "{}", v["tunnel"]);
    assert!(pairs.iter().all(|p| p["paired"] == true), "{pairs:?}");
    // A's OutSPI is B's InSPI.
    for p in pairs {
        assert_eq!(p["a_out_spi"], p["b_in_spi"]);
        assert_eq!(p["a_in_spi"], p["b_out_spi"]);
    }
    let isakmp = v["tunnel"]["isakmp_pairs"]
        .as_array()
        .expect("isakmp pairs");
    assert!(isakmp.iter().any(|p| p["paired"] == true), "{isakmp:?}");
    assert!(
        v["findings"]
            .as_array()
            .is_some_and(|f| f.iter().all(|f| f["severity"] != "error")),
        "{:?}",
        codes(&v)
    );
    assert!(v["tunnel"]["config_check"]
        .as_array()
        .is_some_and(|rows| rows.iter().all(|r| r["match"] == true)));
}

#[test]
fn each_scenarios_cause_is_a_tunnel_finding() {
    for (scenario, code) in [
        ("sa-out-of-step", "spi-unpaired"),
        ("phase2-mismatch", "pfs-mismatch"),
        ("sa-accumulation", "heartbeat-mismatch"),
        ("addresses-swapped", "addresses-not-mirrored"),
        ("phase1-stall", "ike-blocked-at-peer"),
        ("phase1-proposal-mismatch", "proposal-mismatch"),
        ("id-mismatch", "id-mismatch"),
    ] {
        let v = snapshot(scenario);
        let c = codes(&v);
        assert!(c.iter().any(|x| x == code), "{scenario}: {c:?}");
        let f = v["findings"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["code"] == code))
            .expect("the finding");
        assert!(f["end"].is_string(), "{scenario}: names its end: {f}");
        assert!(
            f["evidence"].as_array().is_some_and(|e| !e.is_empty()),
            "{scenario}: cites evidence: {f}"
        );
    }
}

#[test]
fn analyze_with_the_other_ends_captures_compares_the_two() {
    let d = tempdir("analyze");
    let (ca, cb) = (d.join("a.cap"), d.join("b.cap"));
    let out = tunnelscope(
        &[
            "diagnose",
            "sim:sa-out-of-step",
            "sim:sa-out-of-step/2",
            "--for",
            "5",
            "--json",
            "--no-debug",
            "--capture",
            &ca.to_string_lossy(),
        ],
        &d,
    );
    let v = json(&out);
    assert!(
        codes(&v).iter().any(|c| c == "spi-unpaired"),
        "{:?}",
        codes(&v)
    );
    assert_eq!(v["ends"].as_array().map(Vec::len), Some(2));
    // The second end's capture is named after it.
    let second = d.join("a-peer2.cap");
    assert!(
        second.exists(),
        "{:?}",
        std::fs::read_dir(&d).map(|r| r.count())
    );
    std::fs::rename(&second, &cb).expect("rename");
    let a = tunnelscope(
        &[
            "analyze",
            "--json",
            &ca.to_string_lossy(),
            "--other",
            &cb.to_string_lossy(),
        ],
        &d,
    );
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    let av = json(&a);
    assert!(
        codes(&av).iter().any(|c| c == "spi-unpaired"),
        "{:?}",
        codes(&av)
    );
    let t = tunnelscope(
        &[
            "analyze",
            &ca.to_string_lossy(),
            "--other",
            &cb.to_string_lossy(),
        ],
        &d,
    );
    let text = String::from_utf8_lossy(&t.stdout);
    assert!(text.starts_with("Tunnel: "), "{text}");
    assert!(text.contains("spi-unpaired"), "{text}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_same_target_twice_is_refused() {
    let d = tempdir("same");
    let out = tunnelscope(&["snapshot", "sim:healthy", "sim:healthy"], &d);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("both targets are"));
    let _ = std::fs::remove_dir_all(&d);
}

/// The key value a simulated peer shows for `show enco key=N` (read from the simulator's own
/// console, as a person at it would).
fn sim_key(scenario: &str, peer: &str, key: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tunnelscope"))
        .args(["sim", "--scenario", scenario, "--peer", peer])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sim");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("show enco key={key}\r\nlogoff\r\n").as_bytes())
        .expect("typed");
    drop(stdin);
    let out = child.wait_with_output().expect("sim ends");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Value"))
        .map(|v| v.trim_start_matches([' ', '.']).trim().to_string())
        .unwrap_or_else(|| panic!("no key value in: {text}"))
}

#[test]
fn keys_are_compared_by_fingerprint_and_never_shown() {
    let d = tempdir("keys");
    let values = [
        sim_key("psk-mismatch", "1", "1"),
        sim_key("psk-mismatch", "2", "2"),
    ];
    assert_ne!(values[0], values[1], "the scenario's keys differ");
    let cap = d.join("keys.cap");
    let out = tunnelscope(
        &[
            "diagnose",
            "sim:psk-mismatch",
            "sim:psk-mismatch/2",
            "--compare-keys",
            "--for",
            "3",
            "--json",
            "--capture",
            &cap.to_string_lossy(),
        ],
        &d,
    );
    let v = json(&out);
    assert!(
        codes(&v).iter().any(|c| c == "psk-mismatch"),
        "{:?}",
        codes(&v)
    );
    let row = v["tunnel"]["config_check"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["check"] == "preshared-key"))
        .expect("the key row");
    assert_eq!(row["match"], false);
    assert_eq!(row["a"], "differ");
    // Neither value anywhere: stdout, stderr, either end's capture.
    let mut places = vec![
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ];
    for f in std::fs::read_dir(&d).expect("dir").flatten() {
        if f.path().extension().is_some_and(|e| e == "cap") {
            places.push(std::fs::read_to_string(f.path()).expect("capture"));
        }
    }
    assert!(places.len() >= 4, "two captures written");
    for p in &places {
        for value in &values {
            assert!(!p.contains(value.as_str()), "a key value leaked");
        }
    }
    // Without --compare-keys no psk-mismatch is claimed.
    let plain = snapshot("psk-mismatch");
    assert!(!codes(&plain).iter().any(|c| c == "psk-mismatch"));
    // Healthy: the same keys.
    let out = tunnelscope(
        &[
            "snapshot",
            "sim:healthy",
            "sim:healthy/2",
            "--json",
            "--compare-keys",
        ],
        &d,
    );
    let v = json(&out);
    let row = v["tunnel"]["config_check"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["check"] == "preshared-key"))
        .expect("the key row");
    assert_eq!(row["match"], true);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_ladder_shows_quick_mode_between_the_routers_and_where_it_stopped() {
    let d = tempdir("ladder");
    let out = tunnelscope(
        &[
            "diagnose",
            "sim:phase2-mismatch",
            "sim:phase2-mismatch/2",
            "--ladder",
            "--for",
            "20",
            "--no-capture",
        ],
        &d,
    );
    let t = String::from_utf8_lossy(&out.stdout);
    let at = t.find("Exchange ladder").expect("a ladder");
    let ladder = &t[at..];
    let header = ladder.lines().nth(1).unwrap_or("");
    assert!(
        header.contains("Peer1") && header.contains("Peer2"),
        "{ladder}"
    );
    let qm1 = ladder
        .lines()
        .position(|l| l.contains("---- QM1") && l.contains("-->"))
        .unwrap_or_else(|| panic!("QM1 from Peer1 to Peer2:\n{ladder}"));
    let notify = ladder
        .lines()
        .position(|l| l.contains("<---") && l.contains("NO-PROPOSAL-CHOSEN"))
        .unwrap_or_else(|| panic!("the refusal back:\n{ladder}"));
    let stop = ladder
        .lines()
        .position(|l| {
            l.trim_start()
                .starts_with("stopped: Peer2: NO-PROPOSAL-CHOSEN")
        })
        .unwrap_or_else(|| panic!("where and why it stopped:\n{ladder}"));
    assert!(qm1 < notify && notify < stop, "{ladder}");
    // The JSON has it too.
    let j = tunnelscope(
        &[
            "diagnose",
            "sim:phase2-mismatch",
            "sim:phase2-mismatch/2",
            "--ladder",
            "--for",
            "20",
            "--no-capture",
            "--json",
        ],
        &d,
    );
    let v = json(&j);
    assert_eq!(v["ladder"]["outcome"], "stopped", "{}", v["ladder"]);
    assert_eq!(v["ladder"]["stop"]["end"], "Peer2");
    let _ = std::fs::remove_dir_all(&d);
}
