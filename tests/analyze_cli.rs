//! The `tunnelscope analyze` binary, run as a user runs it: exit status, the readable report,
//! the JSON contract of issue 2, and one-line errors for files it cannot read. The captures
//! are the fixtures described in `tests/analyze_fixtures.rs`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tunnelscope"))
        .arg("analyze")
        .args(args)
        // A rules file from the environment would change what is read.
        .env_remove("TUNNELSCOPE_RULES")
        .output()
        .unwrap()
}

fn analyze(path: &Path, json: bool) -> Output {
    let mut args = vec![path.as_os_str()];
    if json {
        args.push("--json".as_ref());
    }
    run(&args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_of(path: &Path) -> Value {
    let o = analyze(path, true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// A scratch directory of this test's own, removed first if a previous run left it.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tunnelscope-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Exit 2, and exactly one line on stderr that says what went wrong with which file.
fn assert_fails_on_one_line(o: &Output, names: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "stdout: {}", stdout(o));
    let err = stderr(o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err:?}");
    for n in names {
        assert!(err.contains(n), "{err:?} should name {n:?}");
    }
    assert!(o.stdout.is_empty(), "nothing on stdout: {}", stdout(o));
}

// ---- the readable report -------------------------------------------------------------------

#[test]
fn report_of_the_healthy_tunnel() {
    let o = analyze(&fixture("healthy-peer1.log"), false);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for needle in [
        "router Peer1",
        "ISAKMP SAs (phase 1)",
        "200.200.200.1",
        "86400/82080/970",
        "IPsec SAs (phase 2)",
        "wiz_Peer1 to Peer2",
        "1612248718",
        "outProcessDone",
        "LOCAL      address Not set",
        "Debug stream",
        "Findings: 0 error(s), 0 warning(s), 0 note(s)",
        "nothing wrong seen",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    // Pager text never reaches the report.
    assert!(!text.contains("--More--"));
}

#[test]
fn report_names_findings_with_their_advice() {
    let o = analyze(&fixture("phase1-stalled.log"), false);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(
        text.contains("Findings: 1 error(s), 0 warning(s)"),
        "{text}"
    );
    assert!(text.contains("ERROR   phase1-stalled: Phase 1 exchange 350"));
    assert!(text.contains("waiting for the peer"));
    assert!(text.contains("ping 200.200.200.1"));
    assert!(text.contains("- show isakmp exchange, line 17:"));
}

// ---- the JSON contract ------------------------------------------------------------------------

fn is_uint(v: &Value) -> bool {
    v.as_u64().is_some()
}

fn is_uint_or_null(v: &Value) -> bool {
    v.is_null() || is_uint(v)
}

fn is_str_or_null(v: &Value) -> bool {
    v.is_null() || v.is_string()
}

/// A JSON type check.
type Check = fn(&Value) -> bool;

/// `object` has every key in `keys`, each passing its type check. (Extra keys are welcome.)
fn has_keys(object: &Value, keys: &[(&str, Check)], what: &str) {
    let o = object
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {object}"));
    for (k, ok) in keys {
        let v = o
            .get(*k)
            .unwrap_or_else(|| panic!("{what} has no key {k:?}: {object}"));
        assert!(ok(v), "{what}.{k} has the wrong type: {v}");
    }
}

fn array<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v.get(key)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{key} is not an array"))
}

fn limits_ok(v: &Value) -> bool {
    ["hard", "soft", "used"]
        .iter()
        .all(|k| v.get(*k).is_some_and(is_uint_or_null))
}

/// The documented shape, checked on any analysis.
fn check_shape(v: &Value) {
    for key in [
        "isakmp_sas",
        "exchanges",
        "ipsec_sas",
        "counters",
        "debug",
        "findings",
    ] {
        assert!(v.get(key).is_some(), "no top-level {key}");
    }
    for sa in array(v, "isakmp_sas") {
        has_keys(
            sa,
            &[
                ("sa_id", is_uint),
                ("peer", Value::is_string),
                ("encryption", is_str_or_null),
                ("hash", is_str_or_null),
                ("bytes", limits_ok),
                ("seconds", limits_ok),
                ("established", Value::is_boolean),
            ],
            "isakmp_sas[]",
        );
    }
    for x in array(v, "exchanges") {
        has_keys(
            x,
            &[
                ("id", is_uint),
                ("phase", Value::is_string),
                ("state", Value::is_string),
                ("peer", Value::is_string),
                ("type", Value::is_string),
            ],
            "exchanges[]",
        );
    }
    for sa in array(v, "ipsec_sas") {
        has_keys(
            sa,
            &[
                ("sa_id", is_uint),
                ("policy", Value::is_string),
                ("bundle", is_uint_or_null),
                ("state", Value::is_string),
                ("protocol", Value::is_string),
                ("out_spi", is_uint_or_null),
                ("in_spi", is_uint_or_null),
            ],
            "ipsec_sas[]",
        );
    }
    for c in array(v, "counters") {
        has_keys(
            c,
            &[
                ("command", Value::is_string),
                ("section", Value::is_string),
                ("name", Value::is_string),
                ("value", is_uint),
            ],
            "counters[]",
        );
    }
    let debug = &v["debug"];
    has_keys(
        debug,
        &[
            ("lines", is_uint),
            ("failures", is_uint),
            ("by_phase", Value::is_object),
            ("events", Value::is_array),
        ],
        "debug",
    );
    let by_phase = debug["by_phase"].as_object().unwrap();
    let mut phases: Vec<&str> = by_phase.keys().map(String::as_str).collect();
    phases.sort_unstable();
    assert_eq!(phases, ["1", "1.5", "2", "info", "none"]);
    assert!(by_phase.values().all(is_uint));
    let total: u64 = by_phase.values().filter_map(Value::as_u64).sum();
    assert_eq!(Some(total), debug["lines"].as_u64());
    for e in array(debug, "events") {
        has_keys(
            e,
            &[
                ("line", is_uint),
                ("phase", Value::is_string),
                ("failure", Value::is_boolean),
                ("text", Value::is_string),
            ],
            "debug.events[]",
        );
        assert!(e["line"].as_u64() >= Some(1), "lines are 1-based: {e}");
        let phase = e["phase"].as_str().unwrap();
        assert!(by_phase.contains_key(phase), "{phase}");
    }
    for f in array(v, "findings") {
        has_keys(
            f,
            &[
                ("code", Value::is_string),
                ("severity", Value::is_string),
                ("summary", Value::is_string),
                ("advice", Value::is_string),
                ("evidence", Value::is_array),
            ],
            "findings[]",
        );
        let sev = f["severity"].as_str().unwrap();
        assert!(["error", "warning", "info"].contains(&sev), "{sev}");
        assert!(f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .all(Value::is_string));
    }
}

#[test]
fn json_of_every_fixture_has_the_documented_shape() {
    let dir = fixture("");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(names.len() >= 20);
    for p in &names {
        let v = json_of(p);
        check_shape(&v);
    }
}

#[test]
fn json_values_of_the_healthy_tunnel() {
    let name = "healthy-peer1.log";
    let v = json_of(&fixture(name));
    let sa = &v["isakmp_sas"][0];
    assert_eq!(sa["sa_id"], 1);
    assert_eq!(sa["peer"], "200.200.200.1");
    assert_eq!(sa["encryption"], "3DES");
    assert_eq!(sa["hash"], "SHA");
    // `-/-/-` in the table is null, null, null.
    assert_eq!(
        sa["bytes"],
        serde_json::json!({"hard": null, "soft": null, "used": null})
    );
    assert_eq!(
        sa["seconds"],
        serde_json::json!({"hard": 86400, "soft": 82080, "used": 970})
    );
    assert_eq!(sa["established"], true);

    let ip = &v["ipsec_sas"][0];
    assert_eq!(ip["sa_id"], 0);
    assert_eq!(ip["policy"], "wiz_Peer1 to Peer2");
    assert_eq!(ip["bundle"], 0);
    assert_eq!(ip["state"], "Valid");
    assert_eq!(ip["protocol"], "ESP");
    assert_eq!(ip["out_spi"], 1_612_248_718u64);
    assert_eq!(ip["in_spi"], 992_095_719u64);

    let done: Vec<&Value> = array(&v, "counters")
        .iter()
        .filter(|c| c["name"] == "outProcessDone")
        .collect();
    assert_eq!(done.len(), 1);
    assert_eq!(
        done[0]["command"],
        "show ipsec policy=\"wiz_Peer1 to Peer2\" counters"
    );
    assert_eq!(done[0]["section"], "Outbound Packet Processing Counters");
    assert_eq!(done[0]["value"], 16);

    assert_eq!(v["exchanges"], serde_json::json!([]));
    assert_eq!(v["findings"], serde_json::json!([]));
    let d = &v["debug"];
    assert_eq!(d["lines"], 12);
    assert_eq!(d["failures"], 0);
    assert_eq!(
        d["by_phase"],
        serde_json::json!({"1": 6, "1.5": 0, "2": 3, "info": 3, "none": 0})
    );
    // Every unsolicited line is an event, numbered as the file's line.
    let events = array(d, "events");
    assert_eq!(events.len(), 12);
    let file = std::fs::read_to_string(fixture(name)).unwrap();
    let lines: Vec<&str> = file.split('\n').collect();
    for e in events {
        let n = e["line"].as_u64().unwrap() as usize;
        let text = e["text"].as_str().unwrap();
        assert!(
            lines[n - 1].contains(text),
            "line {n} is {:?}, not {text:?}",
            lines[n - 1]
        );
    }
}

#[test]
fn json_dash_is_null_and_findings_are_complete() {
    let v = json_of(&fixture("phase2-missing.log"));
    let ip = &v["ipsec_sas"][0];
    assert_eq!(ip["out_spi"], Value::Null);
    assert_eq!(ip["in_spi"], Value::Null);
    assert_eq!(ip["state"], "CREATING");
    let f = &v["findings"][0];
    assert_eq!(f["code"], "phase2-missing");
    assert_eq!(f["severity"], "error");

    let v = json_of(&fixture("phase1-not-established.log"));
    let sa = &v["isakmp_sas"][0];
    assert_eq!(sa["encryption"], Value::Null);
    assert_eq!(sa["hash"], Value::Null);
    assert_eq!(sa["established"], false);
    assert_eq!(
        sa["seconds"],
        serde_json::json!({"hard": 0, "soft": 0, "used": 0})
    );

    let v = json_of(&fixture("phase1-stalled.log"));
    assert_eq!(
        v["exchanges"][0],
        serde_json::json!({"id": 350, "phase": "1", "state": "SASENT",
                        "peer": "200.200.200.1", "type": "MAIN", "line": 17})
    );
    let failing = json_of(&fixture("auth-failed.log"));
    let bad: Vec<&Value> = array(&failing["debug"], "events")
        .iter()
        .filter(|e| e["failure"] == true)
        .collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["phase"], "1");
    assert_eq!(failing["debug"]["failures"], 1);
}

// ---- inputs it cannot read, and inputs it must survive -------------------------------------------

#[test]
fn missing_file_is_a_one_line_error() {
    let dir = scratch("missing");
    let missing = dir.join("no-such-capture.log");
    let o = analyze(&missing, false);
    assert_fails_on_one_line(&o, &["no-such-capture.log", "no such file"]);
    // Checked before any output, also when a readable file comes first.
    let o = run(&[
        fixture("healthy-peer1.log").as_os_str(),
        missing.as_os_str(),
    ]);
    assert_fails_on_one_line(&o, &["no-such-capture.log"]);
}

#[test]
fn directory_is_a_one_line_error() {
    let dir = scratch("directory");
    let o = analyze(&dir, true);
    assert_fails_on_one_line(&o, &["directory"]);
}

#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("unreadable");
    let file = dir.join("locked.log");
    std::fs::copy(fixture("healthy-peer1.log"), &file).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    // A privileged user (root, CAP_DAC_OVERRIDE) reads mode 000 files anyway: then the file
    // is readable and must be analysed like any other.
    let privileged = std::fs::File::open(&file).is_ok();
    let o = analyze(&file, false);
    if privileged {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stdout(&o).contains("wiz_Peer1 to Peer2"));
    } else {
        assert_fails_on_one_line(&o, &["locked.log", "permission denied"]);
    }
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Garbage made here: each must give exit 0 and a report (or JSON of the documented shape).
fn garbage(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut put = |name: &str, bytes: Vec<u8>| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        files.push(p);
    };
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let random: Vec<u8> = (0..300_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect();
    put("random.bin", random);
    // The test binary itself: a real executable.
    put(
        "binary.bin",
        std::fs::read(std::env::current_exe().unwrap()).unwrap()[..1 << 20].to_vec(),
    );
    put("empty.log", Vec::new());
    put("only-cr.log", vec![b'\r'; 50_000]);
    let mut long = vec![b'A'; 10 << 20];
    long.extend_from_slice(b"\r\nSecOff Peer1> sh isa sa\r\n");
    put("long-line.log", long);
    files
}

#[test]
fn garbage_gives_a_report_not_a_crash() {
    let dir = scratch("garbage");
    for p in garbage(&dir) {
        let o = analyze(&p, false);
        assert_eq!(o.status.code(), Some(0), "{}: {}", p.display(), stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.starts_with("tunnelscope analyze:"), "{}", p.display());
        assert!(text.contains("Findings:"), "{}", p.display());

        let o = analyze(&p, true);
        assert_eq!(o.status.code(), Some(0), "{}: {}", p.display(), stderr(&o));
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{}: JSON does not parse: {e}", p.display()));
        check_shape(&v);
    }
}

#[test]
fn rules_file_with_a_typo_names_the_file() {
    let dir = scratch("rules");
    let rules = dir.join("my-rules.toml");
    // `patern` for `pattern`.
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"vendor-x\"\npatern = 'foo'\nphase = \"1\"\n",
    )
    .unwrap();
    let o = run(&[
        fixture("healthy-peer1.log").as_os_str(),
        "--rules".as_ref(),
        rules.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("my-rules.toml"), "{err}");
    assert!(o.stdout.is_empty());

    // A good file of extra rules is used.
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"paranoid\"\npattern = 'paranoid keepalives'\nphase = \"2\"\n\
         priority = 200\n",
    )
    .unwrap();
    let o = run(&[
        fixture("id-mismatch.log").as_os_str(),
        "--json".as_ref(),
        "--rules".as_ref(),
        rules.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let e = array(&v["debug"], "events")
        .iter()
        .find(|e| e["text"].as_str().unwrap().contains("paranoid"))
        .unwrap()
        .clone();
    assert_eq!(e["phase"], "2");
}
