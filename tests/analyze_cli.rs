//! The `tunnelscope analyze` binary, run as a user runs it: exit status, the readable report,
//! the JSON contract of issue 2, and one-line errors for files it cannot read. The captures
//! are the fixtures described in `tests/analyze_fixtures.rs`.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::run_analyze as run;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
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

// ---------------------------------------------------------------------------------------
// Issue 8: piped input (item 7), bounded memory (item 6), nothing dropped (item 8), and
// characters that hide or reorder text (item 9).

use std::io::Write;
use std::process::Stdio;

/// `analyze ARGS` with `input` written to its stdin by another thread.
fn run_with_stdin(args: &[&str], input: Vec<u8>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tunnelscope"))
        .arg("analyze")
        .args(args)
        .env_remove("TUNNELSCOPE_RULES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    o
}

/// The report without its first line (which names the input).
fn body(o: &Output) -> String {
    stdout(o).lines().skip(1).collect::<Vec<_>>().join("\n")
}

/// The first line's `(N bytes, M lines)`.
fn counts(o: &Output) -> String {
    let out = stdout(o);
    let first = out.lines().next().unwrap_or_default();
    first
        .split_once('(')
        .and_then(|(_, r)| r.split_once(')'))
        .map(|(c, _)| c.to_string())
        .unwrap_or_default()
}

/// A log longer than a pipe's first read (the first 8192 bytes were lost to the capture
/// check, which opened the input a second time).
fn long_log() -> Vec<u8> {
    let mut log = std::fs::read(fixture("proposal-rejected.log")).unwrap();
    let one = log.clone();
    while log.len() < 40_000 {
        log.extend_from_slice(&one);
    }
    log
}

#[test]
fn piped_input_is_read_once_and_whole() {
    let dir = scratch("piped");
    let file = dir.join("log.txt");
    let log = long_log();
    std::fs::write(&file, &log).unwrap();
    let direct = analyze(&file, false);
    assert_eq!(direct.status.code(), Some(0), "{}", stderr(&direct));
    let want = counts(&direct);
    assert!(want.starts_with(&format!("{} bytes", log.len())), "{want}");
    for args in [&["/dev/stdin"][..], &["-"][..]] {
        let o = run_with_stdin(args, log.clone());
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert_eq!(counts(&o), want, "{args:?}");
        assert_eq!(body(&o), body(&direct), "{args:?}");
    }
    // A capture through a pipe is still read as a capture.
    let capture =
        b"# tunnelscope capture 1\n# router: Peer1\n0.010 < \"SecOff Peer1> \"\n".to_vec();
    let o = run_with_stdin(&["-", "--json"], capture);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["system_name"], "Peer1", "{v}");
}

#[test]
fn process_substitution_and_fifo_are_read() {
    let dir = scratch("fifo");
    let file = dir.join("log.txt");
    std::fs::write(&file, long_log()).unwrap();
    let want = counts(&analyze(&file, false));
    // `analyze <(cat log)`: a pipe under /dev/fd, opened by name.
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "exec {} analyze <(cat {})",
            env!("CARGO_BIN_EXE_tunnelscope"),
            file.display()
        ))
        .env_remove("TUNNELSCOPE_RULES")
        .output()
        .expect("bash is needed for this test");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(counts(&o), want);
    // A FIFO whose writer opens it after tunnelscope does, and writes once.
    let fifo = dir.join("fifo");
    let st = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(st.success());
    let child = Command::new(env!("CARGO_BIN_EXE_tunnelscope"))
        .arg("analyze")
        .arg(&fifo)
        .env_remove("TUNNELSCOPE_RULES")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let f2 = fifo.clone();
    let file2 = file.clone();
    let writer = std::thread::spawn(move || {
        let mut w = std::fs::OpenOptions::new().write(true).open(&f2).unwrap();
        w.write_all(&std::fs::read(&file2).unwrap()).unwrap();
    });
    let pid = child.id();
    let waiter = std::thread::spawn(move || child.wait_with_output().unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !waiter.is_finished() {
        if std::time::Instant::now() > deadline {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("analyze of a FIFO hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    writer.join().unwrap();
    let o = waiter.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(counts(&o), want);
}

/// Peak resident memory of a running process, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// Feed `analyze -` `total` bytes made by `chunk`, then read its peak memory while its
/// stdin is still open (everything written has been read: a pipe holds only 64 KiB).
fn peak_while_fed(total: usize, chunk: &[u8]) -> u64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tunnelscope"))
        .args(["analyze", "-"])
        .env_remove("TUNNELSCOPE_RULES")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut sent = 0;
    while sent < total {
        stdin.write_all(chunk).unwrap();
        sent += chunk.len();
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let peak = peak_rss_kib(child.id());
    drop(stdin);
    let st = child.wait().unwrap();
    assert!(st.success());
    peak
}

/// Memory stays within a fixed budget whatever the input: an endless line (`/dev/zero`, or a
/// file with no newline) and a million empty lines took 4 GB, 215 MB and 425 MB. The budget
/// asserted is generous (the release binary stays near 12 to 19 MB).
#[test]
fn memory_is_bounded_on_any_input() {
    const BUDGET_KIB: u64 = 64 * 1024;
    let zeros = peak_while_fed(96 << 20, &vec![0u8; 1 << 20]);
    assert!(zeros < BUDGET_KIB, "96 MB of NUL bytes: peak {zeros} KiB");
    let no_newline = peak_while_fed(96 << 20, &vec![b'a'; 1 << 20]);
    assert!(
        no_newline < BUDGET_KIB,
        "96 MB without a newline: peak {no_newline} KiB"
    );
    let empty = peak_while_fed(1_000_000, &vec![b'\n'; 100_000]);
    assert!(
        empty < BUDGET_KIB,
        "a million empty lines: peak {empty} KiB"
    );
}

#[test]
fn unusual_counter_values_and_odd_rows_are_kept_as_text() {
    let dir = scratch("odd-values");
    let file = dir.join("odd.log");
    std::fs::write(
        &file,
        "SecOff Peer1> show ipsec policy=\"vpn\" counters\r\n\
         Outbound Packet Processing Counters\r\n\
         \x20 outProcessStarted ........ 12    outProcessDone ........... 10\r\n\
         \x20 outNeg ........ -5\r\n\
         \x20 outBig ........ 1e30\r\n\
         \x20 outHex ........ 0x10\r\n\
         \x20 outWrap ........ 18446744073709551616\r\n\
         \x20 outAfter ........ 3\r\n\
         SecOff Peer1> show ipsec sa\r\n\
         SA Id  Policy               Bundle  State  Protocol  OutSPI      InSPI\r\n\
         99999999999999999999999  wiz_Peer1 to Peer2   0   Valid  ESP  1612248718  992095719\r\n\
         18446744073709551616  wiz_Peer1 to Peer2   0   Valid  ESP  1612248718  992095719  extra\r\n\
         SecOff Peer1> \r\n",
    )
    .unwrap();
    let v = json_of(&file);
    // No table row went to the debug stream.
    assert_eq!(v["debug"]["lines"], 0, "{v}");
    let kept: Vec<String> = array(&v, "warnings")
        .iter()
        .flat_map(|w| w["lines"].as_array().unwrap().iter())
        .map(|l| l.as_str().unwrap().trim().to_string())
        .collect();
    for want in [
        "outNeg",
        "outBig",
        "outHex",
        "outWrap",
        "99999999999999999999999",
        "extra",
    ] {
        assert!(
            kept.iter().any(|l| l.contains(want)),
            "{want} not kept: {kept:?}"
        );
    }
    // The counters after them are read, in their section.
    let counters = array(&v, "counters");
    let after = counters.iter().find(|c| c["name"] == "outAfter").unwrap();
    assert_eq!(after["section"], "Outbound Packet Processing Counters");
    assert_eq!(counters.len(), 3, "{counters:?}");
    // The readable report shows the text kept.
    let report = stdout(&analyze(&file, false));
    assert!(report.contains("outNeg ........ -5"), "{report}");
}

#[test]
fn characters_that_hide_or_reorder_text_are_shown() {
    let dir = scratch("bidi");
    let file = dir.join("bidi.log");
    std::fs::write(
        &file,
        "SecOff Peer1> \r\nISAKMP: peer \u{202E}1.2.3.4\u{2066}\u{200B} sent\x1b]0;title\x1b\\ok \u{FEFF}done\r\n"
            .as_bytes(),
    )
    .unwrap();
    for json in [false, true] {
        let out = stdout(&analyze(&file, json));
        for c in ['\u{202E}', '\u{2066}', '\u{200B}', '\u{FEFF}'] {
            assert!(!out.contains(c), "{:?} in the output:\n{out}", c);
        }
        if json {
            assert!(
                out.contains("ISAKMP: peer <U+202E>1.2.3.4<U+2066><U+200B> sentok <U+FEFF>done"),
                "{out}"
            );
        }
    }
}
